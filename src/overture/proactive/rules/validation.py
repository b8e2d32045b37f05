"""Checks raw (JSON-like) rule data and normalises it, collecting every problem found.

The models in `tree` turn the problems into pydantic `ValidationError`s; this module works on
plain dicts and lists so it can report every error, in admin-friendly words, at the exact place
in the tree.
"""

import math
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel

from overture.kit.schemas import has_control_characters

from .fields import (
    ALL_ATTRIBUTE_OPERATORS,
    ATTRIBUTE_NAME_RE,
    ATTRIBUTE_OPERATORS,
    LIST_OPERATORS,
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_INTEGER,
    MAX_LIST_ITEMS,
    MAX_TEXT_LENGTH,
    MIN_CONDITIONS_TO_NEST,
    MIN_INTEGER,
    SPECS,
    AttributeKind,
    FieldSpec,
    attribute_kind,
    attribute_name,
)
from .matching import LANGUAGE_TAG_RE

Loc = tuple[str | int, ...]
Raw = dict[str, Any]

CONDITION_KEYS: Final = ("field", "operator", "value")
GROUP_KEYS: Final = ("all", "any")

_FIELD_LIST: Final = ", ".join(SPECS) + " or attribute.NAME"
_KIND_WORDS: Final[dict[AttributeKind, str]] = {
    "text": "a text",
    "number": "a number",
    "boolean": "a true/false",
}
_DEPTH_MSG: Final = (
    f"groups are nested more than {MAX_DEPTH} levels deep; at most {MAX_DEPTH} levels are "
    "allowed: the top-level group, a group inside it and a group inside that"
)


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: where it is, what is wrong in plain English, and the offending input."""

    loc: Loc
    msg: str
    input: Any
    # "condition_tree_limit" for a limit on the whole tree (how many conditions, when groups
    # may nest), which no JSON Schema of the tree can state; "condition_tree" for the rest.
    type: str = "condition_tree"


@dataclass(slots=True)
class _Checker:
    issues: list[Issue] = field(default_factory=list)
    conditions: int = 0
    nested: bool = False
    too_deep: bool = False

    def problem(self, loc: Loc, msg: str, value: Any) -> None:
        self.issues.append(Issue(loc, msg, value))

    def node(self, raw: Any, loc: Loc, depth: int) -> Raw | None:
        raw = _plain(raw)
        if isinstance(raw, dict):
            if any(key in raw for key in CONDITION_KEYS):
                self.conditions += 1
                return self.condition(raw, loc)
            if any(key in raw for key in GROUP_KEYS):
                self.nested = True
                return self.group(raw, loc, depth)
        self.problem(
            loc,
            "expected a condition (an object with field, operator and value) "
            'or a group ({"all": [...]} or {"any": [...]})',
            raw,
        )
        return None

    def group(self, raw: Any, loc: Loc, depth: int) -> Raw | None:
        raw = _plain(raw)
        if depth > MAX_DEPTH:
            # Stop descending: the tree is refused anyway, and this bounds recursion.
            self.too_deep = True
            return None
        if not isinstance(raw, dict):
            self.problem(loc, 'expected a group: {"all": [...]} or {"any": [...]}', raw)
            return None
        ops = [key for key in GROUP_KEYS if key in raw]
        ok = True
        for key in raw:
            if key not in GROUP_KEYS:
                ok = False
                self.problem(
                    (*loc, _loc_key(key)),
                    f"unknown key {key!r}; a group has exactly one key, 'all' or 'any'",
                    raw[key],
                )
        if len(ops) != 1:
            msg = (
                "a group has exactly one key, 'all' or 'any', not both"
                if ops
                else "a group needs one key, 'all' or 'any'"
            )
            self.problem(loc, msg, raw)
            ok = False
        children: list[Raw] = []
        for op in ops:
            items = raw[op]
            if not isinstance(items, list | tuple):
                self.problem((*loc, op), f"'{op}' must be a list of conditions and groups", items)
                ok = False
                continue
            for index, item in enumerate(items):
                child = self.node(item, (*loc, op, index), depth + 1)
                if child is None:
                    ok = False
                else:
                    children.append(child)
        return {ops[0]: children} if ok else None

    def condition(self, raw: Raw, loc: Loc) -> Raw | None:
        ok = True
        for key in raw:
            if key not in CONDITION_KEYS:
                ok = False
                self.problem(
                    (*loc, _loc_key(key)),
                    f"unknown key {key!r}; a condition has only: field, operator, value",
                    raw[key],
                )
        for key in CONDITION_KEYS:
            if key not in raw:
                ok = False
                self.problem((*loc, key), f"{key} is required", raw)

        field_name = raw.get("field")
        operator = raw.get("operator")
        spec = self._field(field_name, (*loc, "field")) if "field" in raw else None
        is_attribute = spec is None and _valid_attribute_field(field_name)
        if "operator" in raw and not isinstance(operator, str):
            self.problem((*loc, "operator"), "operator must be text, such as 'is'", operator)
            operator, ok = None, False
        if spec is None and not is_attribute:
            return None

        value = raw.get("value")
        op_loc, value_loc = (*loc, "operator"), (*loc, "value")
        if spec is not None:
            allowed = spec.operators
            where = f"field {field_name!r}"
        else:
            kind = attribute_kind(value) if "value" in raw else None
            allowed = ATTRIBUTE_OPERATORS[kind] if kind else ALL_ATTRIBUTE_OPERATORS
            where = f"field {field_name!r}" + (f" with {_KIND_WORDS[kind]} value" if kind else "")
        if operator is not None and operator not in allowed:
            self.problem(
                op_loc,
                f"operator {operator!r} is not allowed for {where}; "
                f"use one of: {', '.join(allowed)}",
                operator,
            )
            operator, ok = None, False

        if "value" not in raw:
            return None
        if spec is not None:
            normalised = self._value(spec, operator, value, value_loc)
        else:
            normalised = self._attribute_value(operator, value, value_loc)
        if not ok or normalised is None:
            return None
        return {"field": field_name, "operator": operator, "value": normalised}

    def _field(self, name: Any, loc: Loc) -> FieldSpec | None:
        if not isinstance(name, str):
            self.problem(loc, "field must be text, such as 'page_url'", name)
            return None
        attribute = attribute_name(name)
        if attribute is not None:
            if not ATTRIBUTE_NAME_RE.fullmatch(attribute):
                self.problem(
                    loc,
                    f"attribute name {attribute!r} is not valid; use 1 to 64 letters, digits, "
                    "'_', '-' or '.' after 'attribute.'",
                    name,
                )
            return None
        spec = SPECS.get(name)
        if spec is None:
            self.problem(loc, f"unknown field {name!r}; use one of: {_FIELD_LIST}", name)
        return spec

    def _value(self, spec: FieldSpec, operator: str | None, value: Any, loc: Loc) -> Any:
        if spec.kind == "text":
            return self._text(operator, value, loc)
        if spec.kind == "integer":
            return self._integer(value, loc)
        if spec.kind == "choice":
            if isinstance(value, str) and value in spec.choices:
                return value
            self.problem(loc, f"value must be one of: {', '.join(spec.choices)}", value)
            return None
        if isinstance(value, str) and LANGUAGE_TAG_RE.fullmatch(value):
            return value
        if not isinstance(value, str):
            msg = "value must be a language code such as 'pt' or 'pt-BR'"
        elif not value.strip():
            msg = "value must not be empty"
        else:
            msg = f"{value!r} is not a language tag; use a language code such as 'pt' or 'pt-BR'"
        self.problem(loc, msg, value)
        return None

    def _attribute_value(self, operator: str | None, value: Any, loc: Loc) -> Any:
        kind = attribute_kind(value)
        if kind == "boolean":
            return value
        if kind == "number":
            if math.isfinite(value):
                return value
            self.problem(loc, "value must be a finite number", value)
            return None
        if kind == "text":
            return self._text(operator, value, loc)
        self.problem(loc, "value must be text, a number, or true/false", value)
        return None

    def _text(self, operator: str | None, value: Any, loc: Loc) -> str | list[str] | None:
        takes_list = operator is None or operator in LIST_OPERATORS
        if isinstance(value, list | tuple):
            if not takes_list:
                self.problem(
                    loc,
                    f"operator {operator!r} takes a single text value, not a list "
                    "(only contains and not_contains take a list)",
                    value,
                )
                return None
            if not value:
                self.problem(loc, "give at least one value", value)
                return None
            if len(value) > MAX_LIST_ITEMS:
                self.problem(
                    loc,
                    f"too many values ({len(value)}); at most {MAX_LIST_ITEMS} are allowed",
                    value,
                )
                return None
            items = [self._one_text(item, (*loc, index)) for index, item in enumerate(value)]
            return None if any(item is None for item in items) else items  # type: ignore[return-value]
        text = self._one_text(value, loc, takes_list)
        if text is None:
            return None
        return [text] if takes_list and operator is not None else text

    def _one_text(self, value: Any, loc: Loc, list_ok: bool = False) -> str | None:
        if not isinstance(value, str):
            what = "text or a list of texts" if list_ok else "text"
            self.problem(loc, f"value must be {what}", value)
            return None
        if not value.strip():
            self.problem(loc, "value must not be empty", value)
            return None
        if has_control_characters(value):
            self.problem(loc, "value must not contain control characters (such as NUL)", value)
            return None
        if len(value) > MAX_TEXT_LENGTH:
            self.problem(
                loc,
                f"value is too long ({len(value):,} characters); "
                f"at most {MAX_TEXT_LENGTH:,} are allowed",
                value,
            )
            return None
        return value

    def _integer(self, value: Any, loc: Loc) -> int | None:
        if type(value) is float and value.is_integer():
            value = int(value)  # JSON's 3.0 is the whole number 3
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(loc, f"value must be a whole number, not {_json_type(value)}", value)
            return None
        if not MIN_INTEGER <= value <= MAX_INTEGER:
            self.problem(loc, f"value must be between {MIN_INTEGER:,} and {MAX_INTEGER:,}", value)
            return None
        return value

    def tree_issues(self, raw: Any) -> list[Issue]:
        """Problems with the tree as a whole, reported at its root."""
        issues = []
        if self.too_deep:
            issues.append(Issue((), _DEPTH_MSG, raw))
        # Too deep means uncounted conditions below the cut, so the count would mislead.
        if self.nested and not self.too_deep and self.conditions < MIN_CONDITIONS_TO_NEST:
            issues.append(
                Issue(
                    (),
                    f"groups can only be nested when the rule has at least "
                    f"{MIN_CONDITIONS_TO_NEST} conditions (this one has {self.conditions}); "
                    "put the conditions directly in the top-level group",
                    raw,
                    "condition_tree_limit",
                )
            )
        if self.conditions > MAX_CONDITIONS:
            issues.append(
                Issue(
                    (),
                    f"this rule has {self.conditions} conditions; "
                    f"at most {MAX_CONDITIONS} are allowed",
                    raw,
                    "condition_tree_limit",
                )
            )
        return issues


def check_condition(raw: Any) -> tuple[Raw | None, list[Issue]]:
    """Validate one condition on its own."""
    checker = _Checker()
    raw = _plain(raw)
    if not isinstance(raw, dict):
        checker.problem((), "a condition must be an object with field, operator and value", raw)
        return None, checker.issues
    return checker.condition(raw, ()), checker.issues


def check_group(raw: Any) -> tuple[Raw | None, list[Issue]]:
    """Validate a group and everything inside it, without the tree-wide limits."""
    checker = _Checker()
    normalised = checker.group(raw, (), 1)
    if checker.too_deep:
        checker.issues.append(Issue((), _DEPTH_MSG, raw))
    return normalised, checker.issues


def check_tree(raw: Any) -> tuple[Raw | None, list[Issue]]:
    """Validate a whole condition tree, including the tree-wide limits."""
    checker = _Checker()
    raw = _plain(raw)
    if isinstance(raw, dict) and not any(key in raw for key in GROUP_KEYS):
        if any(key in raw for key in CONDITION_KEYS):
            msg = 'the top level must be a group, such as {"all": [...]}, not a single condition'
        else:
            msg = 'a rule must be a group: {"all": [...]} or {"any": [...]}'
        return None, [Issue((), msg, raw)]
    normalised = checker.group(raw, (), 1)
    issues = checker.issues + checker.tree_issues(raw)
    return (None if issues else normalised), issues


def _plain(raw: Any) -> Any:
    return raw.model_dump() if isinstance(raw, BaseModel) else raw


def _valid_attribute_field(name: Any) -> bool:
    if not isinstance(name, str):
        return False
    attribute = attribute_name(name)
    return attribute is not None and ATTRIBUTE_NAME_RE.fullmatch(attribute) is not None


def _loc_key(key: Any) -> str | int:
    return key if isinstance(key, str | int) and not isinstance(key, bool) else repr(key)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, float):
        return "a decimal number" if math.isfinite(value) else "an infinite number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return type(value).__name__
