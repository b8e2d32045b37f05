from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool

from overture.kit.schemas import Strict
from overture.kit.text import PlainName
from overture.schedules.schemas import TimeZone


class SettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    agent_workspace_enabled: bool
    messaging_enabled: bool
    visit_timeout_minutes: int
    default_locale: str
    time_zone: str = Field(description="The IANA zone the admin pages show times in.")
    updated_at: datetime


class SettingsPatch(Strict):
    agent_workspace_enabled: bool | None = None
    messaging_enabled: bool | None = None
    visit_timeout_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    default_locale: Literal["en", "pt_BR"] | None = None
    time_zone: TimeZone | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: str
    locale: str | None
    is_active: bool


class UserIn(Strict):
    email: EmailStr
    name: PlainName
    role: Literal["admin", "agent"]
    password: str = Field(min_length=10, max_length=200)


class UserPatch(Strict):
    """What an admin may change of a user; fields left out stay as they are."""

    email: EmailStr | None = None
    name: PlainName | None = None
    role: Literal["admin", "agent"] | None = None
    is_active: StrictBool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=200)


class PasswordChange(Strict):
    current_password: str = Field(max_length=200)
    new_password: str = Field(min_length=10, max_length=200)


class TokenIn(Strict):
    name: PlainName


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret, shown this once: send it as "
                                   "`Authorization: Bearer <token>`.")
