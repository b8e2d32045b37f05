"""Real `overture serve` processes sharing PostgreSQL + Redis, for the scale-out tests."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import TEST_SETTINGS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, database_url: str, redis_url: str | None, prefix: str, secret: str,
                 **settings: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "OVERTURE_DATABASE_URL": database_url,
               "OVERTURE_REDIS_PREFIX": prefix,
               "OVERTURE_SECRET_KEY": secret, "OVERTURE_ENVIRONMENT": "test",
               "OVERTURE_PASSWORD_HASH_PROFILE": TEST_SETTINGS["password_hash_profile"],
               "OVERTURE_LOG_LEVEL": "warning", **settings}
        env.pop("OVERTURE_REDIS_URL", None)
        if redis_url:
            env["OVERTURE_REDIS_URL"] = redis_url
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"overture-{self.port}.log"
        self._log = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "overture.cli", "serve", "--port", str(self.port)],
            env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/login", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()  # gone, with its database connections, before the test goes on
        self._log.close()


def start_pair(database_url: str, redis_url: str,
               **settings: str) -> tuple[ServerProcess, ServerProcess]:
    prefix = f"overture-2p-{secrets.token_hex(4)}:"
    secret = secrets.token_urlsafe(32)
    a = ServerProcess(database_url, redis_url, prefix, secret, **settings)
    a.wait_ready()  # the first one migrates; then the second starts on an up-to-date schema
    b = ServerProcess(database_url, redis_url, prefix, secret, **settings)
    b.wait_ready()
    return a, b


def seed_site(url: str, message_text: str) -> dict:
    """On a migrated database: an admin (ops@example.test) with an API token, a brand, a
    channel and one live message saying `message_text`, shown every time."""
    from overture import wiring
    from overture.accounts.service import create_token, create_user, get_settings_row
    from overture.brands.schemas import BrandIn
    from overture.brands.service import create_brand
    from overture.channels.schemas import ChannelIn
    from overture.channels.service import create_channel
    from overture.db import Database
    from overture.proactive.schemas import MessageIn
    from overture.proactive.service import create_message, publish

    wiring.connect()  # services send their signals, as in any script that changes data
    db = Database(url)
    with db.unit_of_work() as s:
        get_settings_row(s)
        user = create_user(s, email="ops@example.test", name="Ops", password="x" * 12,
                           role="admin")
        _t, token = create_token(s, user, "scale-out")
        brand = create_brand(s, BrandIn(name="Shop"))
        channel = create_channel(s, ChannelIn(brand_id=brand.id, name="Site"))
        message = create_message(s, MessageIn.model_validate({
            "name": "First", "channel_id": channel.id, "message": message_text,
            "response": {"type": "agent", "follow_up": "Thanks"}, "frequency": "every_time"}))
        publish(s, message)
        site = {"token": token, "key": channel.key, "channel_id": channel.id,
                "message_id": message.id, "url": url}
    db.dispose()
    return site
