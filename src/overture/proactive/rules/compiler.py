"""Compiles a condition tree into a fast predicate, once per rule.

Calling convention, per page view::

    predicates = {message.id: compile_tree(message.conditions) for message in messages}  # once
    prepared = prepare(visit_context)                         # once per page view
    shown = [mid for mid, matches in predicates.items() if matches(prepared)]

`prepare` case-folds the visit's text, normalises its language tag and parses its attributes
once; every compiled predicate then only reads the `PreparedContext`. Compilation folds the
rule's constants, pre-splits `*` patterns, normalises language tags, turns ``{"all": []}`` into
a constant, flattens single-child groups and orders cheap checks before expensive ones.
The result always equals `evaluate(tree, ctx)` for the same visit.
"""

from collections.abc import Callable, Sequence
from typing import Any, Final

from .context import PreparedContext
from .fields import INTEGER_FIELDS, NEGATIVE_OPERATORS, TEXT_FIELD_SOURCES, attribute_name
from .matching import Number, Wildcard, fold, normalize_language
from .tree import Condition, ConditionTree, Group

Predicate = Callable[[PreparedContext], bool]
_Factory = Callable[[str, Any], Predicate]

# One closure per (operator, field key): a dict lookup and a comparison, no further calls.
# Built-in number fields are always present in `PreparedContext.number`.
_NUMBER_FIELD: Final[dict[str, _Factory]] = {
    "eq": lambda key, n: lambda c: c.number[key] == n,
    "ne": lambda key, n: lambda c: c.number[key] != n,
    "gt": lambda key, n: lambda c: c.number[key] > n,
    "gte": lambda key, n: lambda c: c.number[key] >= n,
    "lt": lambda key, n: lambda c: c.number[key] < n,
    "lte": lambda key, n: lambda c: c.number[key] <= n,
}
_NUMBER_TESTS: Final[dict[str, Callable[[Number], Callable[[Number], bool]]]] = {
    "eq": lambda n: lambda x: x == n,
    "ne": lambda n: lambda x: x != n,
    "gt": lambda n: lambda x: x > n,
    "gte": lambda n: lambda x: x >= n,
    "lt": lambda n: lambda x: x < n,
    "lte": lambda n: lambda x: x <= n,
}
# A missing attribute reads as "": values are never empty, so "" fails is, contains and
# starts_with and passes is_not and not_contains, exactly the missing-attribute rule.
_TEXT: Final[dict[str, _Factory]] = {
    "is": lambda key, v: lambda c: c.text.get(key, "") == v,
    "is_not": lambda key, v: lambda c: c.text.get(key, "") != v,
    "starts_with": lambda key, v: lambda c: c.text.get(key, "").startswith(v),
}
_COSTS: Final = {"is": 1, "is_not": 1, "starts_with": 1, "contains": 2, "not_contains": 2}


def _always(_: PreparedContext) -> bool:
    return True


def _never(_: PreparedContext) -> bool:
    return False


def compile_tree(tree: ConditionTree | Group) -> Predicate:
    """Build the predicate for a tree; call it with `prepare(ctx)`."""
    root = tree.root if isinstance(tree, ConditionTree) else tree
    predicate, _ = _compile_node(root)
    return predicate


def _compile_node(node: Condition | Group) -> tuple[Predicate, int]:
    """The predicate for one node and a rough cost, used to order a group's children."""
    if isinstance(node, Condition):
        return _compile_condition(node)
    return _compile_group(node)


def _compile_group(group: Group) -> tuple[Predicate, int]:
    is_all = group.op == "all"
    identity, absorbing = (_always, _never) if is_all else (_never, _always)
    parts: list[tuple[Predicate, int]] = []
    for child in group.children:
        predicate, cost = _compile_node(child)
        if predicate is absorbing:
            return absorbing, 0
        if predicate is not identity:
            parts.append((predicate, cost))
    if not parts:
        return identity, 0
    parts.sort(key=lambda part: part[1])
    cost = sum(part[1] for part in parts)
    predicates = tuple(part[0] for part in parts)
    if len(predicates) == 1:
        return predicates[0], cost
    return (_all_of if is_all else _any_of)(predicates), cost


def _all_of(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda c: first(c) and second(c)
    if len(predicates) == 3:
        first, second, third = predicates
        return lambda c: first(c) and second(c) and third(c)

    def all_of(c: PreparedContext) -> bool:
        # A plain loop: faster than all() over a generator, and this runs on every page view.
        for predicate in predicates:  # noqa: SIM110
            if not predicate(c):
                return False
        return True

    return all_of


def _any_of(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda c: first(c) or second(c)
    if len(predicates) == 3:
        first, second, third = predicates
        return lambda c: first(c) or second(c) or third(c)

    def any_of(c: PreparedContext) -> bool:
        for predicate in predicates:  # noqa: SIM110
            if predicate(c):
                return True
        return False

    return any_of


def _compile_condition(cond: Condition) -> tuple[Predicate, int]:
    field, op, value = cond.field, cond.operator, cond.value
    if field in TEXT_FIELD_SOURCES or (attribute_name(field) and isinstance(value, str | list)):
        return _text_predicate(field, op, value), _COSTS.get(op, 4)
    if field in INTEGER_FIELDS:
        return _NUMBER_FIELD[op](field, value), 0
    if field == "visit_history":
        return (lambda c: c.visit_history == value), 0
    if field == "device_type":
        if op == "is":
            return (lambda c: c.device_type == value), 0
        return (lambda c: c.device_type != value), 0
    if field == "language":
        return _language_predicate(op, value), 1
    if attribute_name(field) is None:
        raise ValueError(f"unknown field {field!r}")
    if isinstance(value, bool):
        return (lambda c: c.flag.get(field) is value), 0
    return _attribute_number_predicate(field, op, value), 0


def _text_predicate(key: str, op: str, value: Any) -> Predicate:
    if op in _TEXT:
        return _TEXT[op](key, fold(value))
    if op == "matches":
        match = Wildcard(fold(value)).match

        def matches(c: PreparedContext) -> bool:
            text = c.text.get(key)
            # Not the "" shortcut: "*" matches "", but a missing attribute matches nothing.
            return text is not None and match(text)

        return matches
    needles = tuple(dict.fromkeys(fold(needle) for needle in value))
    if len(needles) == 1:
        (needle,) = needles
        if op == "contains":
            return lambda c: needle in c.text.get(key, "")
        return lambda c: needle not in c.text.get(key, "")

    def contains_any(c: PreparedContext) -> bool:
        text = c.text.get(key, "")
        for needle in needles:  # noqa: SIM110
            if needle in text:
                return True
        return False

    if op == "contains":
        return contains_any
    return lambda c: not contains_any(c)


def _language_predicate(op: str, tag: Any) -> Predicate:
    wanted = normalize_language(tag)
    below = wanted + "-"

    def language_is(c: PreparedContext) -> bool:
        actual = c.language
        return actual == wanted or actual.startswith(below)

    if op == "is":
        return language_is
    return lambda c: not language_is(c)


def _attribute_number_predicate(key: str, op: str, value: Any) -> Predicate:
    test = _NUMBER_TESTS[op](value)
    if_absent = op in NEGATIVE_OPERATORS

    def number_matches(c: PreparedContext) -> bool:
        actual = c.number.get(key)
        if actual is None:
            # Present but not a number never matches; absent matches only `ne`.
            return if_absent and key not in c.text
        return test(actual)

    return number_matches
