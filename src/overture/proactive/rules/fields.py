"""The field catalogue: which fields a condition may test, with which operators and values.

`FIELDS` and `LIMITS` are plain JSON-serialisable dicts for the admin UI's condition builder.
Validation and evaluation use the typed `FieldSpec` table below, so a UI that mutates its copy
of `FIELDS` cannot change what the server accepts.
"""

import re
from dataclasses import dataclass
from typing import Any, Final, Literal

MAX_CONDITIONS: Final = 30
MAX_DEPTH: Final = 3
MIN_CONDITIONS_TO_NEST: Final = 3
MAX_TEXT_LENGTH: Final = 2_000
MAX_LIST_ITEMS: Final = 20
MIN_INTEGER: Final = 0
MAX_INTEGER: Final = 1_000_000

ATTRIBUTE_PREFIX: Final = "attribute."
ATTRIBUTE_NAME_PATTERN: Final = r"^[A-Za-z0-9_.\-]{1,64}$"
ATTRIBUTE_NAME_RE: Final = re.compile(r"[A-Za-z0-9_.\-]{1,64}")

TEXT_OPERATORS: Final = ("is", "is_not", "contains", "not_contains", "starts_with", "matches")
NUMBER_OPERATORS: Final = ("eq", "ne", "gt", "gte", "lt", "lte")
BOOLEAN_OPERATORS: Final = ("is",)
LIST_OPERATORS: Final = frozenset({"contains", "not_contains"})
# A missing attribute matches exactly these, because "is not X" is true of a visitor without X.
NEGATIVE_OPERATORS: Final = frozenset({"is_not", "not_contains", "ne"})

VISIT_HISTORY_CHOICES: Final = ("new", "returning")
DEVICE_TYPE_CHOICES: Final = ("desktop", "mobile", "tablet")

ValueKind = Literal["text", "choice", "language", "integer"]
AttributeKind = Literal["text", "number", "boolean"]

ATTRIBUTE_OPERATORS: Final[dict[AttributeKind, tuple[str, ...]]] = {
    "text": TEXT_OPERATORS,
    "number": NUMBER_OPERATORS,
    "boolean": BOOLEAN_OPERATORS,
}
ALL_ATTRIBUTE_OPERATORS: Final = TEXT_OPERATORS + NUMBER_OPERATORS


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One built-in field: its operators and the kind of value it compares against."""

    name: str
    kind: ValueKind
    operators: tuple[str, ...]
    description: str
    choices: tuple[str, ...] = ()


SPECS: Final[dict[str, FieldSpec]] = {
    spec.name: spec
    for spec in (
        FieldSpec(
            "page_url",
            "text",
            TEXT_OPERATORS,
            "The absolute URL of the current page; in a mobile app, the current screen's route.",
        ),
        FieldSpec(
            "page_title",
            "text",
            TEXT_OPERATORS,
            "The current page's title; in a mobile app, the screen name.",
        ),
        FieldSpec(
            "visit_history",
            "choice",
            ("is",),
            "Whether this is the visitor's first visit.",
            VISIT_HISTORY_CHOICES,
        ),
        FieldSpec(
            "language",
            "language",
            ("is", "is_not"),
            "The device language, as a BCP 47 tag such as pt or pt-BR.",
        ),
        FieldSpec(
            "referrer",
            "text",
            TEXT_OPERATORS,
            "The page the visit came from (empty for direct visits).",
        ),
        FieldSpec(
            "device_type",
            "choice",
            ("is", "is_not"),
            "Desktop, mobile or tablet, from the user agent or the SDK.",
            DEVICE_TYPE_CHOICES,
        ),
        FieldSpec(
            "visit_count",
            "integer",
            NUMBER_OPERATORS,
            "How many visits the visitor has made, this one included.",
        ),
        FieldSpec(
            "pages_in_visit",
            "integer",
            NUMBER_OPERATORS,
            "How many pages the visitor has viewed in this visit.",
        ),
    )
}

# Which VisitContext attribute each built-in text field reads.
TEXT_FIELD_SOURCES: Final = {"page_url": "url", "page_title": "title", "referrer": "referrer"}
INTEGER_FIELDS: Final = frozenset({"visit_count", "pages_in_visit"})


def attribute_name(field: str) -> str | None:
    """The NAME in `attribute.NAME`, or None when `field` is not an attribute field."""
    if field.startswith(ATTRIBUTE_PREFIX):
        return field[len(ATTRIBUTE_PREFIX) :]
    return None


def attribute_kind(value: object) -> AttributeKind | None:
    """The kind of an attribute condition, decided by the JSON type of its value."""
    # bool first: True is an int in Python but a boolean in JSON.
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str | list):
        return "text"
    return None


def _field_entry(spec: FieldSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "description": spec.description,
        "operators": list(spec.operators),
        "value": spec.kind,
    }
    if spec.kind == "text":
        entry["list_operators"] = sorted(LIST_OPERATORS)
    if spec.choices:
        entry["choices"] = list(spec.choices)
    if spec.kind == "integer":
        entry["min"] = MIN_INTEGER
        entry["max"] = MAX_INTEGER
    return entry


FIELDS: Final[dict[str, dict[str, Any]]] = {
    **{name: _field_entry(spec) for name, spec in SPECS.items()},
    "attribute.NAME": {
        "description": "A custom visitor attribute sent by your site or app.",
        "prefix": ATTRIBUTE_PREFIX,
        "name_pattern": ATTRIBUTE_NAME_PATTERN,
        "operators": list(ALL_ATTRIBUTE_OPERATORS),
        "value": "attribute",
        "operators_by_value": {kind: list(ops) for kind, ops in ATTRIBUTE_OPERATORS.items()},
        "list_operators": sorted(LIST_OPERATORS),
    },
}

LIMITS: Final[dict[str, int]] = {
    "max_conditions": MAX_CONDITIONS,
    "max_depth": MAX_DEPTH,
    "min_conditions_to_nest": MIN_CONDITIONS_TO_NEST,
    "max_text_length": MAX_TEXT_LENGTH,
    "max_list_items": MAX_LIST_ITEMS,
    "min_integer": MIN_INTEGER,
    "max_integer": MAX_INTEGER,
    "max_attribute_name_length": 64,
}
