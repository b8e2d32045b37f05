from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from overture.channels.models import KINDS
from overture.i18n import gettext as _
from overture.kit.ids import IdField
from overture.kit.schemas import Strict
from overture.kit.text import PlainName, ShortText

Kind = Literal[KINDS]  # type: ignore[valid-type]


def _origin(value: str) -> str:
    value = value.strip().rstrip("/")
    if value == "*":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise ValueError(_("%(value)s is not an origin like https://www.example.com")
                         % {"value": repr(value)})
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _avatar(value: str) -> str:
    value = value.strip()
    if value and urlsplit(value).scheme not in ("http", "https"):
        raise ValueError(_("the avatar must be an http(s) URL"))
    return value


Origin = Annotated[str, Field(max_length=200), AfterValidator(_origin)]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class ChannelIn(Strict):
    brand_id: IdField
    name: PlainName
    kind: Kind = "web_widget"
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=50)
    sender_name: ShortText = ""
    sender_avatar_url: Annotated[str, Field(max_length=500), AfterValidator(_avatar)] = ""
    launcher_text: ShortText = ""
    color: Color = "#1f73b7"
    schedule_id: IdField | None = None


class ChannelPatch(Strict):
    brand_id: IdField | None = None
    name: PlainName | None = None
    kind: Kind | None = None
    allowed_origins: list[Origin] | None = Field(default=None, max_length=50)
    sender_name: ShortText | None = None
    sender_avatar_url: Annotated[str, Field(max_length=500), AfterValidator(_avatar)] | None = None
    launcher_text: ShortText | None = None
    color: Color | None = None
    schedule_id: IdField | None = None


class ChannelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    brand_id: IdField
    name: str
    kind: str
    key: str
    allowed_origins: list[str]
    sender_name: str
    sender_avatar_url: str
    launcher_text: str
    color: str
    schedule_id: int | None
    can_carry_proactive: bool
    created_at: datetime
    updated_at: datetime


class ChannelSecretOut(ChannelOut):
    """Admins also see the secret that signs identity tokens."""

    jwt_secret: str
