"""Bodies of the widget / SDK API (docs/widget-protocol.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
)

from overture.i18n import gettext as _
from overture.kit.ids import IdField
from overture.kit.schemas import Closed, text

# The widget's bodies are Closed, not Strict: validated on every page view, their texts carry
# the control-character rule in their type (kit.schemas.text), with no Python call per body.


ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{16,64}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{8,64}$")]
_ATTR_NAME = r"^[A-Za-z0-9_\-.]{1,64}$"
AttrValue = text(500) | int | float | bool


class PageViewIn(Closed):
    visitor_id: ClientId
    session_id: ClientId
    event_id: EventId
    url: text(2000, min_length=1)
    title: text(500) = ""
    referrer: text(2000) = ""
    language: text(35) = ""
    device_type: Literal["desktop", "mobile", "tablet"] | None = None
    attributes: dict[str, AttrValue] = Field(default_factory=dict, max_length=50,
                                             json_schema_extra={"propertyNames": {
                                                 "pattern": _ATTR_NAME}})

    @field_validator("attributes")
    @classmethod
    def _names(cls, value: dict) -> dict:
        import re

        for name in value:
            if not re.match(_ATTR_NAME, name):
                raise ValueError(
                    _("attribute name %(name)s must be 1–64 letters, digits, _, - or .")
                    % {"name": repr(name[:64])})
        return value


class CheckIn(Closed):
    visitor_id: ClientId
    page_view_id: IdField


class EventIn(Closed):
    visitor_id: ClientId
    event_id: EventId
    delivery_id: IdField
    kind: Literal["opened", "dismissed", "replied"]


class IdentifyIn(Closed):
    visitor_id: ClientId
    token: text(4000, min_length=1)


class Sender(BaseModel):
    name: str
    avatar_url: str
    kind: Literal["agent", "bot"]


class Show(BaseModel):
    delivery_id: IdField
    message_id: int
    version: int
    text: list[dict]
    plain_text: str
    sender: Sender
    response: dict
    repeat: bool


class DecisionOut(BaseModel):
    visitor_id: str
    visit_id: int
    page_view_id: IdField
    show: Show | None
    pending: list[int]


class EventOut(BaseModel):
    ok: bool
    duplicate: bool


class IdentifyOut(BaseModel):
    visitor_id: str
    name: str
    email: str


class ConfigOut(BaseModel):
    name: str
    kind: str
    color: str
    launcher_text: str
    sender: dict
    locale: str
    # Name and email are asked for before a conversation starts from the launcher.
    ask_contact: bool
    # The channel's connected bot while published ({"name", "avatar_url"}), and whether its
    # greeting answer runs when the messenger is opened from the launcher.
    bot: dict | None = None
    greeting: bool = False
