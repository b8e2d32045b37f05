"""Settings: the only place that reads the environment (prefix OVERTURE_)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_FILE = Path(".overture-secret")
INSECURE_DEFAULT = "change-me"


@dataclass(frozen=True)
class Lifetime:
    """How long a signed-in session may sit unused, and how long it may live at all."""

    idle: timedelta
    absolute: timedelta


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OVERTURE_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///./overture.db"
    redis_url: str | None = None
    # Keys and pub/sub channels in Redis start with this, so installations can share a server.
    redis_prefix: str = "overture:"
    secret_key: str = INSECURE_DEFAULT
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    json_logs: bool = False
    # Bounded request bodies: the widget API and forms never need more.
    max_body_bytes: int = 256 * 1024
    # Bounded request heads (request line + headers), refused with 431 by the HTTP protocol
    # before they are kept whole (web/http_protocol.py). Browsers send a few KiB; big cookies
    # and tracing headers stay well under this.
    max_header_bytes: int = Field(default=32 * 1024, ge=4 * 1024, le=1024 * 1024)
    login_attempts_per_minute: int = 10
    # A signed-in browser is signed out after this long unused, and after this long at all.
    session_idle_minutes: int = Field(default=12 * 60, ge=5, le=30 * 24 * 60)
    session_max_days: int = Field(default=14, ge=1, le=365)
    # What a new password hash costs (kit/passwords.py). "test" is for test suites only.
    password_hash_profile: Literal["production", "test"] = "production"
    # Addresses of the reverse proxies whose X-Forwarded-For / -Proto are believed (comma
    # separated, "*" for any). Empty: the client's own address counts, whatever it claims.
    trusted_proxies: str = ""
    # How far ahead an identity token's exp may be: a leaked token vouches for no longer.
    identity_token_max_hours: int = 24
    widget_requests_per_ip_per_minute: int = 600
    # Live chat sockets open at once, per visitor (their tabs) and per address (a household,
    # an office behind one NAT), over every server process; and new ones per address a minute.
    widget_sockets_per_visitor: int = 10
    widget_sockets_per_ip: int = 100
    widget_socket_opens_per_ip_per_minute: int = 120
    widget_requests_per_visitor_per_minute: int = 120
    # Webhooks (webhooks/): `overture serve` sends them itself unless this is off (then run
    # `overture worker`, as many as needed). Receivers on loopback or private addresses are
    # refused unless allowed here (an installation whose receivers live on its own network).
    webhook_worker: bool = True
    webhooks_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, ge=0.1, le=60)
    # The first retry waits this long, each next one twice as long (at most 6 hours), for 24
    # hours from the event.
    webhook_retry_seconds: float = Field(default=30.0, ge=0.05, le=3600)
    webhook_poll_seconds: float = Field(default=1.0, ge=0.05, le=60)

    @model_validator(mode="after")
    def _secret(self) -> Settings:
        if self.secret_key == INSECURE_DEFAULT:
            if self.environment == "production":
                raise ValueError(
                    "OVERTURE_SECRET_KEY must be set to a long random value in production"
                )
            self.secret_key = _dev_secret()
        if self.environment == "production" and self.password_hash_profile != "production":
            raise ValueError("OVERTURE_PASSWORD_HASH_PROFILE=test is for test suites; "
                             "production hashes passwords with the production profile")
        return self

    @property
    def session_lifetime(self) -> Lifetime:
        return Lifetime(timedelta(minutes=self.session_idle_minutes),
                        timedelta(days=self.session_max_days))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _dev_secret() -> str:
    """Generate once and keep it, so development sessions survive restarts."""
    if DEV_SECRET_FILE.exists():
        return DEV_SECRET_FILE.read_text().strip()
    key = secrets.token_urlsafe(48)
    DEV_SECRET_FILE.write_text(key)
    DEV_SECRET_FILE.chmod(0o600)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
