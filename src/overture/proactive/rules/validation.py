"""Checks raw (JSON-like) rule data and normalises it, collecting every problem found.

The models in `tree` turn the problems into pydantic `ValidationError`s; this module works on
plain dicts and lists so it can report every error, in admin-friendly words, at the exact place
in the tree. The words are in the language of the request (`overture.i18n`); field names,
operators and JSON keys stay as the API spells them.
"""

import math
from dataclasses import dataclass, field
from typing import Any, Final

from babel.numbers import format_decimal
from pydantic import BaseModel

from overture import i18n
from overture.i18n import gettext as _
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

_FIELD_LIST: Final = ", ".join(SPECS)


def _number(n: int) -> str:
    """A count as the page's language writes it (1,000,000 or 1.000.000)."""
    return format_decimal(n, locale=i18n.current_locale.get())


def _kind_words(kind: AttributeKind) -> str:
    return {"text": _("a text"), "number": _("a number"), "boolean": _("a true/false")}[kind]


def _depth_msg() -> str:
    return _("groups are nested more than %(n)s levels deep; at most %(n)s levels are allowed: "
             "the top-level group, a group inside it and a group inside that") % {"n": MAX_DEPTH}


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
            _("expected a condition (an object with field, operator and value) "
              'or a group ({"all": [...]} or {"any": [...]})'),
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
            self.problem(loc, _('expected a group: {"all": [...]} or {"any": [...]}'), raw)
            return None
        ops = [key for key in GROUP_KEYS if key in raw]
        ok = True
        for key in raw:
            if key not in GROUP_KEYS:
                ok = False
                self.problem(
                    (*loc, _loc_key(key)),
                    _("unknown key %(key)s; a group has exactly one key, 'all' or 'any'")
                    % {"key": repr(key)},
                    raw[key],
                )
        if len(ops) != 1:
            msg = (
                _("a group has exactly one key, 'all' or 'any', not both")
                if ops
                else _("a group needs one key, 'all' or 'any'")
            )
            self.problem(loc, msg, raw)
            ok = False
        children: list[Raw] = []
        for op in ops:
            items = raw[op]
            if not isinstance(items, list | tuple):
                self.problem((*loc, op), _("'%(op)s' must be a list of conditions and groups")
                             % {"op": op}, items)
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
                    _("unknown key %(key)s; a condition has only: field, operator, value")
                    % {"key": repr(key)},
                    raw[key],
                )
        for key in CONDITION_KEYS:
            if key not in raw:
                ok = False
                self.problem((*loc, key), _("%(key)s is required") % {"key": key}, raw)

        field_name = raw.get("field")
        operator = raw.get("operator")
        spec = self._field(field_name, (*loc, "field")) if "field" in raw else None
        is_attribute = spec is None and _valid_attribute_field(field_name)
        if "operator" in raw and not isinstance(operator, str):
            self.problem((*loc, "operator"), _("operator must be text, such as 'is'"), operator)
            operator, ok = None, False
        if spec is None and not is_attribute:
            return None

        value = raw.get("value")
        op_loc, value_loc = (*loc, "operator"), (*loc, "value")
        kind = None
        if spec is not None:
            allowed = spec.operators
        else:
            kind = attribute_kind(value) if "value" in raw else None
            allowed = ATTRIBUTE_OPERATORS[kind] if kind else ALL_ATTRIBUTE_OPERATORS
        if operator is not None and operator not in allowed:
            words = {"operator": repr(operator), "field": repr(field_name),
                     "allowed": ", ".join(allowed)}
            if kind:
                msg = _("operator %(operator)s is not allowed for field %(field)s with "
                        "%(kind)s value; use one of: %(allowed)s") % {
                            **words, "kind": _kind_words(kind)}
            else:
                msg = _("operator %(operator)s is not allowed for field %(field)s; "
                        "use one of: %(allowed)s") % words
            self.problem(op_loc, msg, operator)
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
            self.problem(loc, _("field must be text, such as 'page_url'"), name)
            return None
        attribute = attribute_name(name)
        if attribute is not None:
            if not ATTRIBUTE_NAME_RE.fullmatch(attribute):
                self.problem(
                    loc,
                    _("attribute name %(name)s is not valid; use 1 to 64 letters, digits, "
                      "'_', '-' or '.' after 'attribute.'") % {"name": repr(attribute)},
                    name,
                )
            return None
        spec = SPECS.get(name)
        if spec is None:
            self.problem(loc, _("unknown field %(name)s; use one of: %(fields)s or "
                               "attribute.NAME") % {"name": repr(name), "fields": _FIELD_LIST},
                         name)
        return spec

    def _value(self, spec: FieldSpec, operator: str | None, value: Any, loc: Loc) -> Any:
        if spec.kind == "text":
            return self._text(operator, value, loc)
        if spec.kind == "integer":
            return self._integer(value, loc)
        if spec.kind == "choice":
            if isinstance(value, str) and value in spec.choices:
                return value
            self.problem(loc, _("value must be one of: %(choices)s")
                         % {"choices": ", ".join(spec.choices)}, value)
            return None
        if isinstance(value, str) and LANGUAGE_TAG_RE.fullmatch(value):
            return value
        if not isinstance(value, str):
            msg = _("value must be a language code such as 'pt' or 'pt-BR'")
        elif not value.strip():
            msg = _("value must not be empty")
        else:
            msg = (_("%(value)s is not a language tag; use a language code such as 'pt' or "
                     "'pt-BR'") % {"value": repr(value)})
        self.problem(loc, msg, value)
        return None

    def _attribute_value(self, operator: str | None, value: Any, loc: Loc) -> Any:
        kind = attribute_kind(value)
        if kind == "boolean":
            return value
        if kind == "number":
            if math.isfinite(value):
                return value
            self.problem(loc, _("value must be a finite number"), value)
            return None
        if kind == "text":
            return self._text(operator, value, loc)
        self.problem(loc, _("value must be text, a number, or true/false"), value)
        return None

    def _text(self, operator: str | None, value: Any, loc: Loc) -> str | list[str] | None:
        takes_list = operator is None or operator in LIST_OPERATORS
        if isinstance(value, list | tuple):
            if not takes_list:
                self.problem(
                    loc,
                    _("operator %(operator)s takes a single text value, not a list "
                      "(only contains and not_contains take a list)")
                    % {"operator": repr(operator)},
                    value,
                )
                return None
            if not value:
                self.problem(loc, _("give at least one value"), value)
                return None
            if len(value) > MAX_LIST_ITEMS:
                self.problem(
                    loc,
                    _("too many values (%(count)s); at most %(n)s are allowed")
                    % {"count": len(value), "n": MAX_LIST_ITEMS},
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
            msg = _("value must be text or a list of texts") if list_ok else _(
                "value must be text")
            self.problem(loc, msg, value)
            return None
        if not value.strip():
            self.problem(loc, _("value must not be empty"), value)
            return None
        if has_control_characters(value):
            self.problem(loc, _("value must not contain control characters (such as NUL)"),
                         value)
            return None
        if len(value) > MAX_TEXT_LENGTH:
            self.problem(
                loc,
                _("value is too long (%(count)s characters); at most %(n)s are allowed")
                % {"count": _number(len(value)), "n": _number(MAX_TEXT_LENGTH)},
                value,
            )
            return None
        return value

    def _integer(self, value: Any, loc: Loc) -> int | None:
        if type(value) is float and value.is_integer():
            value = int(value)  # JSON's 3.0 is the whole number 3
        if value is None or (isinstance(value, str) and not value.strip()):
            self.problem(loc, _("value must be a whole number; it is empty"), value)
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(loc, _("value must be a whole number, not %(type)s")
                         % {"type": _json_type(value)}, value)
            return None
        if not MIN_INTEGER <= value <= MAX_INTEGER:
            self.problem(loc, _("value must be between %(min)s and %(max)s")
                         % {"min": _number(MIN_INTEGER), "max": _number(MAX_INTEGER)}, value)
            return None
        return value

    def tree_issues(self, raw: Any) -> list[Issue]:
        """Problems with the tree as a whole, reported at its root."""
        issues = []
        if self.too_deep:
            issues.append(Issue((), _depth_msg(), raw))
        # Too deep means uncounted conditions below the cut, so the count would mislead.
        if self.nested and not self.too_deep and self.conditions < MIN_CONDITIONS_TO_NEST:
            issues.append(
                Issue(
                    (),
                    _("groups can only be nested when the rule has at least %(n)s conditions "
                      "(this one has %(count)s); put the conditions directly in the top-level "
                      "group") % {"n": MIN_CONDITIONS_TO_NEST, "count": self.conditions},
                    raw,
                    "condition_tree_limit",
                )
            )
        if self.conditions > MAX_CONDITIONS:
            issues.append(
                Issue(
                    (),
                    _("this rule has %(count)s conditions; at most %(n)s are allowed")
                    % {"count": self.conditions, "n": MAX_CONDITIONS},
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
        checker.problem((), _("a condition must be an object with field, operator and value"),
                        raw)
        return None, checker.issues
    return checker.condition(raw, ()), checker.issues


def check_group(raw: Any) -> tuple[Raw | None, list[Issue]]:
    """Validate a group and everything inside it, without the tree-wide limits."""
    checker = _Checker()
    normalised = checker.group(raw, (), 1)
    if checker.too_deep:
        checker.issues.append(Issue((), _depth_msg(), raw))
    return normalised, checker.issues


def check_tree(raw: Any) -> tuple[Raw | None, list[Issue]]:
    """Validate a whole condition tree, including the tree-wide limits."""
    checker = _Checker()
    raw = _plain(raw)
    if isinstance(raw, dict) and not any(key in raw for key in GROUP_KEYS):
        if any(key in raw for key in CONDITION_KEYS):
            msg = _('the top level must be a group, such as {"all": [...]}, not a single '
                    "condition")
        else:
            msg = _('a rule must be a group: {"all": [...]} or {"any": [...]}')
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
        return _("true/false")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, float):
        return _("a decimal number") if math.isfinite(value) else _("an infinite number")
    if isinstance(value, list | tuple):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    if value is None:
        return "null"
    return type(value).__name__
