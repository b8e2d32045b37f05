"""The proactive message as the API and the admin editor send it, and as they get it back."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
)

from overture.i18n import gettext as _
from overture.kit.ids import IdField
from overture.kit.schemas import Strict
from overture.proactive.rules import ConditionTree

_TAG = re.compile(r"^[a-z0-9_:\-]{1,50}$")
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PLACEHOLDERS = ("first_name", "full_name")
# Emoji and pictographs: the follow-up is plain text only.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_FORMATTING = re.compile(r"(\*\*|__|\*|_|~~|`|\[[^\]]*\]\([^)]*\))")


def _no_html(value: str) -> str:
    if _HTML_TAG.search(value):
        raise ValueError(_("HTML is not allowed here; write plain text (Markdown in messages)"))
    return value


def _placeholders(value: str) -> str:
    for name in _PLACEHOLDER.findall(value):
        if name not in PLACEHOLDERS:
            raise ValueError(
                _("unknown placeholder {{%(name)s}}; use {{first_name}} or {{full_name}}")
                % {"name": name}
            )
    return value


def _plain_text(value: str) -> str:
    if _EMOJI.search(value):
        raise ValueError(_("the follow-up message is plain text: no emojis"))
    if _FORMATTING.search(value):
        raise ValueError(_("the follow-up message is plain text: no formatting or links"))
    return _no_html(value)


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(_no_html),
]
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=1000),
    AfterValidator(_no_html), AfterValidator(_placeholders),
]
FollowUp = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=300), AfterValidator(_plain_text)
]


class AgentResponse(Strict):
    type: Literal["agent"] = "agent"
    collect: list[Literal["name", "email"]] = Field(default_factory=lambda: ["name", "email"])
    follow_up: FollowUp = ""

    @field_validator("collect")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return [f for f in ("name", "email") if f in value]


class BotResponse(Strict):
    type: Literal["bot"]
    bot_id: IdField | None = None
    answer_id: IdField | None = None


Response = Annotated[AgentResponse | BotResponse, Field(discriminator="type")]


class PageLoad(Strict):
    event: Literal["page_load"] = "page_load"


class OnPage(Strict):
    event: Literal["on_page"]
    seconds: int = Field(ge=1, le=3600)


Trigger = Annotated[PageLoad | OnPage, Field(discriminator="event")]


class AnyTime(Strict):
    when: Literal["any_time"] = "any_time"


class InHours(Strict):
    when: Literal["business_hours", "outside_business_hours"]
    schedule_id: IdField | None = None


Timing = Annotated[AnyTime | InHours, Field(discriminator="when")]
Frequency = Literal["once_per_customer", "once_per_visit", "every_time"]


def _tags(values: list[str]) -> list[str]:
    out: list[str] = []
    for i, raw in enumerate(values):
        tag = raw.strip().lower()
        if not _TAG.match(tag):
            raise ValueError(
                _("tag %(n)s (%(tag)s) must be one word of letters, digits, _, - or :")
                % {"n": i + 1, "tag": repr(raw[:50])}
            )
        if tag not in out:
            out.append(tag)
    return out


Tags = Annotated[list[str], Field(max_length=20), AfterValidator(_tags)]


class MessageIn(Strict):
    """A whole message. Drafts may leave channel, text and follow-up empty (see problems)."""

    name: Name
    brand_id: IdField | None = None
    channel_id: IdField | None = None
    message: MessageText = ""
    response: Response = Field(default_factory=AgentResponse)
    conditions: ConditionTree = Field(default_factory=ConditionTree.everyone)
    trigger: Trigger = Field(default_factory=PageLoad)
    tags: Tags = Field(default_factory=list)
    timing: Timing = Field(default_factory=AnyTime)
    frequency: Frequency = "once_per_visit"
    priority: int = Field(default=1, ge=1, le=1000)


class MessagePatch(Strict):
    """Only the fields given change; the result is validated as a whole message."""

    name: Name | None = None
    brand_id: IdField | None = None
    channel_id: IdField | None = None
    message: MessageText | None = None
    response: Response | None = None
    conditions: ConditionTree | None = None
    trigger: Trigger | None = None
    tags: Tags | None = None
    timing: Timing | None = None
    frequency: Frequency | None = None
    priority: int | None = Field(default=None, ge=1, le=1000)


class Problem(BaseModel):
    field: str
    code: str
    message: str


class Stats(BaseModel):
    sent: int
    opened: int
    replied: int


class MessageOut(BaseModel):
    id: int
    name: str
    brand_id: int | None
    channel_id: int | None
    channel_name: str | None
    message: str
    response: dict
    conditions: dict
    trigger: dict
    tags: list[str]
    timing: dict
    frequency: str
    priority: int
    status: Literal["draft", "live", "paused", "error"]
    actions: list[str]
    problems: list[Problem]
    stats: Stats
    version: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class DayStats(BaseModel):
    day: date
    sent: int
    opened: int
    replied: int
    showings: int
    opens: int
    dismissals: int
    replies: int


class StatsOut(BaseModel):
    message_id: int
    totals: dict[str, int]
    days: list[DayStats]


class VisitIn(Strict):
    """The test-a-visit panel: a visit you describe, checked against the message."""

    url: str = Field(default="https://www.example.com/", max_length=2000)
    title: str = Field(default="", max_length=500)
    referrer: str = Field(default="", max_length=2000)
    language: str = Field(default="en", max_length=35)
    visit_history: Literal["new", "returning"] = "new"
    device_type: Literal["desktop", "mobile", "tablet"] = "desktop"
    visit_count: int = Field(default=1, ge=1, le=1_000_000)
    pages_in_visit: int = Field(default=1, ge=1, le=1_000_000)
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=100)
    seconds_on_page: int = Field(default=0, ge=0, le=86_400)


class VisitVerdict(BaseModel):
    matches: bool
    conditions: dict
    would_show: bool
    reasons: list[str]
