from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from overture.channels.models import KINDS
from overture.i18n import gettext as _
from overture.kit.ids import IdField
from overture.kit.schemas import CONTROL_CLASS, SPACE_CLASS, Strict, described
from overture.kit.text import PlainName, ShortText

Kind = Literal[KINDS]  # type: ignore[valid-type]


# An origin as browsers send it: scheme, host (letters, digits, dots and hyphens, IDNs in
# punycode; or an IPv6 address in brackets) and maybe a port. Nothing after it.
_ORIGIN_RE = re.compile(r"\*|https?://([a-z0-9.\-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?", re.I | re.A)


def _origin(value: str) -> str:
    value = value.strip().rstrip("/")
    if not _ORIGIN_RE.fullmatch(value):
        raise ValueError(_("%(value)s is not an origin like https://www.example.com")
                         % {"value": repr(value)})
    return value.lower()


def _avatar(value: str) -> str:
    value = value.strip()
    if value and not re.match(r"https?:", value, re.I | re.A):
        raise ValueError(_("the avatar must be an http(s) URL"))
    return value


# What `_origin` and `_avatar` accept, said as patterns for the description (before the
# surrounding space is stripped).
_S, _C = SPACE_CLASS, CONTROL_CLASS
_ORIGIN = (rf"^[{_S}]*(\*|[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])"
           rf"(:[0-9]{{1,5}})?)/*[{_S}]*$")
_AVATAR = rf"^[{_S}]*$|^[{_S}]*[Hh][Tt][Tt][Pp][Ss]?:[^{_C}]*$"
Origin = Annotated[str, Field(max_length=200), AfterValidator(_origin), described(_ORIGIN)]
Avatar = Annotated[str, Field(max_length=500), AfterValidator(_avatar), described(_AVATAR)]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class ChannelTexts(Strict):
    """A channel's texts in one language; a text left out (or empty) falls back to the
    channel's own `launcher_text` / `sender_name`."""

    launcher_text: ShortText | None = None
    sender_name: ShortText | None = None


class Translations(Strict):
    """The channel's texts per language the widget speaks (overture.i18n.LOCALES, as BCP-47
    tags): any other key is refused."""

    en: ChannelTexts | None = None
    pt_BR: ChannelTexts | None = Field(default=None, alias="pt-BR")

    def as_stored(self) -> dict[str, dict[str, str]]:
        """`{"pt-BR": {"launcher_text": …}}` with only the texts that were given."""
        out: dict[str, dict[str, str]] = {}
        for tag, texts in self.model_dump(by_alias=True, exclude_none=True).items():
            kept = {k: v for k, v in texts.items() if v}
            if kept:
                out[tag] = kept
        return out


class ChannelIn(Strict):
    brand_id: IdField
    name: PlainName
    kind: Kind = "web_widget"
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=50)
    sender_name: ShortText = ""
    sender_avatar_url: Avatar = ""
    launcher_text: ShortText = ""
    color: Color = "#1f73b7"
    schedule_id: IdField | None = None
    # Verify identity tokens with the brand's secret, and share its customers (see Brand).
    identity_shared_with_brand: bool = False
    # Ask for name and email before a conversation starts from the launcher.
    launcher_asks_contact: bool = False
    translations: Translations = Field(default_factory=Translations)
    # The brand's flow-builder bot that answers here (bot responses, the launcher's greeting).
    bot_id: IdField | None = None


class ChannelPatch(Strict):
    """Fields left out stay as they are; a channel keeps a brand and a name (no null), and
    drops its schedule with `"schedule_id": null`. Null leaves the other fields as they are."""

    brand_id: IdField = None  # type: ignore[assignment]
    name: PlainName = None  # type: ignore[assignment]
    kind: Kind | None = None
    allowed_origins: list[Origin] | None = Field(default=None, max_length=50)
    sender_name: ShortText | None = None
    sender_avatar_url: Avatar | None = None
    launcher_text: ShortText | None = None
    color: Color | None = None
    schedule_id: IdField | None = None
    identity_shared_with_brand: bool | None = None
    launcher_asks_contact: bool | None = None
    # Replaces every translation of the channel ({} drops them all).
    translations: Translations | None = None
    # `null` disconnects the bot.
    bot_id: IdField | None = None


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
    identity_shared_with_brand: bool
    launcher_asks_contact: bool
    translations: dict[str, dict[str, str]]
    bot_id: int | None
    can_carry_proactive: bool
    created_at: datetime
    updated_at: datetime


class ChannelSecretOut(ChannelOut):
    """Admins also see the channel's own identity secret (in use unless the channel shares
    its brand's, `identity_shared_with_brand`)."""

    jwt_secret: str
