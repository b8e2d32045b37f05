"""What a rule is tested against: the visit (`VisitContext`) and its prepared form."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .matching import Number, attribute_number, attribute_text, fold, normalize_language

AttributeValue = str | int | float | bool


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitContext:
    """One page view, as reported by the widget or SDK.

    `url` is the absolute URL the visitor sees (on mobile, the screen's route); an attribute whose
    value is None counts as missing.
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
    """A `VisitContext` folded once per page view, shared by every compiled rule."""

    url: str
    title: str
    referrer: str
    language: str
    visit_history: str
    device_type: str
    visit_count: int
    pages_in_visit: int
    # Every present attribute has a text form, so `name in attr_text` means "present".
    attr_text: dict[str, str]
    attr_number: dict[str, Number]
    attr_bool: dict[str, bool]


def prepare(ctx: VisitContext) -> PreparedContext:
    """Fold the visit's text once, for all the compiled predicates of one page view."""
    attr_text: dict[str, str] = {}
    attr_number: dict[str, Number] = {}
    attr_bool: dict[str, bool] = {}
    for name, value in ctx.attributes.items():
        if value is None:
            continue
        attr_text[name] = fold(attribute_text(value))
        if isinstance(value, bool):
            attr_bool[name] = value
            continue
        number = attribute_number(value)
        if number is not None:
            attr_number[name] = number
    return PreparedContext(
        url=fold(ctx.url),
        title=fold(ctx.title),
        referrer=fold(ctx.referrer),
        language=normalize_language(ctx.language),
        visit_history=ctx.visit_history,
        device_type=ctx.device_type,
        visit_count=ctx.visit_count,
        pages_in_visit=ctx.pages_in_visit,
        attr_text=attr_text,
        attr_number=attr_number,
        attr_bool=attr_bool,
    )
