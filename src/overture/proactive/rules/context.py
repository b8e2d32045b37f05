"""What a rule is tested against: the visit (`VisitContext`) and its prepared form."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .fields import ATTRIBUTE_PREFIX
from .matching import (
    Number,
    attribute_number,
    attribute_text,
    fold,
    is_attribute_value,
    normalize_language,
)

AttributeValue = str | int | float | bool


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitContext:
    """One page view, as reported by the widget or SDK.

    `url` is the absolute URL the visitor sees (on mobile, the screen's route). An attribute
    whose value is not text, a number or a boolean (None, a list...) counts as missing.
    """

    url: str = ""
    title: str = ""
    referrer: str = ""
    language: str = ""
    visit_history: Literal["new", "returning"] = "new"
    device_type: Literal["desktop", "mobile", "tablet"] = "desktop"
    visit_count: int = 1
    pages_in_visit: int = 1
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PreparedContext:
    """A `VisitContext` folded once per page view, shared by every compiled rule.

    Values are keyed by condition field name (``page_url``, ``visit_count``, ``attribute.plan``),
    so a compiled condition needs a single dict lookup.
    """

    # Case-folded text of page_url, page_title, referrer and every present attribute; so
    # ``"attribute.NAME" in text`` means the attribute is present.
    text: dict[str, str]
    # visit_count, pages_in_visit and every attribute that is or parses as a number.
    number: dict[str, Number]
    # Every boolean attribute.
    flag: dict[str, bool]
    language: str
    visit_history: str
    device_type: str


def prepare(ctx: VisitContext) -> PreparedContext:
    """Fold the visit's text once, for all the compiled predicates of one page view."""
    text = {
        "page_url": fold(ctx.url),
        "page_title": fold(ctx.title),
        "referrer": fold(ctx.referrer),
    }
    number: dict[str, Number] = {
        "visit_count": ctx.visit_count,
        "pages_in_visit": ctx.pages_in_visit,
    }
    flag: dict[str, bool] = {}
    for name, value in ctx.attributes.items():
        if not is_attribute_value(value):
            continue
        key = ATTRIBUTE_PREFIX + name
        text[key] = fold(attribute_text(value))
        if isinstance(value, bool):
            flag[key] = value
            continue
        parsed = attribute_number(value)
        if parsed is not None:
            number[key] = parsed
    return PreparedContext(
        text=text,
        number=number,
        flag=flag,
        language=normalize_language(ctx.language),
        visit_history=ctx.visit_history,
        device_type=ctx.device_type,
    )
