"""The proactive message as the API and the admin editor send it, and as they get it back."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from overture.i18n import gettext as _
from overture.kit.ids import IdField
from overture.kit.schemas import NOT_BLANK, SPACE_CLASS, Strict
from overture.proactive.rules import ConditionTree
from overture.proactive.rules import fields as rule_fields
from overture.proactive.rules.matching import LANGUAGE_TAG_RE as LANGUAGE_TAG

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


# What the validators refuse, said in the description as `not` patterns.
_NO_HTML = {"not": {"pattern": _HTML_TAG.pattern}}
_PLAIN = {"not": {"anyOf": [{"pattern": _EMOJI.pattern}, {"pattern": _FORMATTING.pattern},
                            {"pattern": _HTML_TAG.pattern}]}}

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(_no_html), Field(json_schema_extra={"pattern": NOT_BLANK, **_NO_HTML}),
]
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=1000),
    AfterValidator(_no_html), AfterValidator(_placeholders),
    Field(json_schema_extra=_NO_HTML,
          description="Markdown; placeholders {{first_name}} and {{full_name}} only."),
]
FollowUp = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=300), AfterValidator(_plain_text),
    Field(json_schema_extra=_PLAIN),
]


def _tag_required(name: str) -> ConfigDict:
    """The discriminator of a union member, required in the description as it is in a body
    (a default only serves Python code that builds the member itself)."""

    def extra(schema: dict[str, Any]) -> None:
        schema["required"] = sorted({*schema.get("required", ()), name})

    return ConfigDict(json_schema_extra=extra)


class AgentResponse(Strict):
    model_config = _tag_required("type")

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
    model_config = _tag_required("event")

    event: Literal["page_load"] = "page_load"


class OnPage(Strict):
    event: Literal["on_page"]
    seconds: int = Field(ge=1, le=3600)


Trigger = Annotated[PageLoad | OnPage, Field(discriminator="event")]


class AnyTime(Strict):
    model_config = _tag_required("when")

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


# Any letter case and surrounding space: tags are stripped and lowered (K is the Kelvin sign,
# which lowers to k).
_TAG_TEXT = rf"^[{SPACE_CLASS}]*[A-Za-z0-9_:\-\u212a]{{1,50}}[{SPACE_CLASS}]*$"
Tags = Annotated[list[Annotated[str, Field(json_schema_extra={"pattern": _TAG_TEXT})]],
                 Field(max_length=20), AfterValidator(_tags)]


def _condition_tree_schema() -> dict[str, Any]:
    """What `rules.validation` accepts, as JSON Schema: each field with its operators and its
    kind of value, groups with exactly one of `all`/`any`, at most three levels of groups.
    Two limits are on the whole tree and no schema can state them: at most 30 conditions in
    all, and nesting only with at least 3 (refused with the detail type `condition_tree_limit`)."""
    f = rule_fields
    text = {"type": "string", "maxLength": f.MAX_TEXT_LENGTH, "pattern": NOT_BLANK}
    texts = {"type": "array", "minItems": 1, "maxItems": f.MAX_LIST_ITEMS, "items": text}
    one_text_ops = [op for op in f.TEXT_OPERATORS if op not in f.LIST_OPERATORS]
    list_ops = sorted(f.LIST_OPERATORS)

    def condition(field: dict, operators: list[str], value: dict) -> dict[str, Any]:
        return {"type": "object", "required": ["field", "operator", "value"],
                "additionalProperties": False, "properties": {
                    "field": field, "operator": {"type": "string", "enum": operators},
                    "value": value}}

    def text_conditions(field: dict) -> list[dict[str, Any]]:
        return [condition(field, one_text_ops, text),
                condition(field, list_ops, {"anyOf": [text, texts]})]

    # One branch per kind of field (fields of a kind share their operators and values).
    by_kind: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for name, spec in f.SPECS.items():
        by_kind.setdefault((spec.kind, spec.operators, spec.choices), []).append(name)
    branches: list[dict[str, Any]] = []
    for (kind, operators, choices), names in by_kind.items():
        field = {"type": "string", "enum": names}
        if kind == "text":
            branches += text_conditions(field)
        elif kind == "choice":
            branches.append(condition(field, list(operators),
                                      {"type": "string", "enum": list(choices)}))
        elif kind == "language":
            branches.append(condition(field, list(operators), {
                "type": "string", "pattern": f"^{LANGUAGE_TAG.pattern}$"}))
        else:
            branches.append(condition(field, list(operators), {
                "type": "integer", "minimum": f.MIN_INTEGER, "maximum": f.MAX_INTEGER}))
    attribute = {"type": "string",
                 "pattern": "^attribute\\." + f.ATTRIBUTE_NAME_PATTERN.removeprefix("^")}
    branches += text_conditions(attribute)
    branches.append(condition(attribute, list(f.NUMBER_OPERATORS), {"type": "number"}))
    branches.append(condition(attribute, list(f.BOOLEAN_OPERATORS), {"type": "boolean"}))
    # `x-component`: the OpenAPI description names these once (web/openapi.py).
    node: dict[str, Any] = {"x-component": "RuleCondition", "anyOf": branches}
    condition_only = node

    def group(children: dict[str, Any]) -> dict[str, Any]:
        members = {"type": "array", "maxItems": f.MAX_CONDITIONS, "items": children}
        return {"type": "object", "minProperties": 1, "maxProperties": 1,
                "additionalProperties": False, "properties": {"all": members, "any": members}}

    for level in range(f.MAX_DEPTH, 1, -1):  # the deepest groups hold conditions only
        node = {"x-component": f"RuleGroupLevel{level}", **group(node)}
        node = {"anyOf": [condition_only, node]}
    tree = group(node)
    tree["description"] = ('A group: {"all": [...]} (every member matches) or {"any": [...]} '
                           "(at least one); members are conditions or groups, three levels of "
                           "groups at most, 30 conditions in all, groups nested only in rules "
                           "of 3 conditions or more.")
    return tree


Conditions = Annotated[ConditionTree, WithJsonSchema(_condition_tree_schema())]


class MessageIn(Strict):
    """A whole message. Drafts may leave channel, text and follow-up empty (see problems)."""

    name: Name
    brand_id: IdField | None = None
    channel_id: IdField | None = None
    message: MessageText = ""
    response: Response = Field(default_factory=AgentResponse)
    conditions: Conditions = Field(default_factory=ConditionTree.everyone)
    trigger: Trigger = Field(default_factory=PageLoad)
    tags: Tags = Field(default_factory=list)
    timing: Timing = Field(default_factory=AnyTime)
    frequency: Frequency = "once_per_visit"
    priority: int = Field(default=1, ge=1, le=1000)


class MessagePatch(Strict):
    """Only the fields given change; the result is validated as a whole message. Only the
    brand and the channel may be null (none chosen)."""

    name: Name = None  # type: ignore[assignment]
    brand_id: IdField | None = None
    channel_id: IdField | None = None
    message: MessageText = None  # type: ignore[assignment]
    response: Response = None  # type: ignore[assignment]
    conditions: Conditions = None  # type: ignore[assignment]
    trigger: Trigger = None  # type: ignore[assignment]
    tags: Tags = None  # type: ignore[assignment]
    timing: Timing = None  # type: ignore[assignment]
    frequency: Frequency = None  # type: ignore[assignment]
    priority: int = Field(default=None, ge=1, le=1000)  # type: ignore[assignment]


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
