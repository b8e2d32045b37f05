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

import operator
from collections.abc import Callable, Sequence
from typing import Final

from .context import PreparedContext
from .fields import INTEGER_FIELDS, NEGATIVE_OPERATORS, TEXT_FIELD_SOURCES, attribute_name
from .matching import Number, Wildcard, fold, normalize_language
from .tree import Condition, ConditionTree, Group

Predicate = Callable[[PreparedContext], bool]
TextTest = Callable[[str], bool]

_NUMBER_TESTS: Final[dict[str, Callable[[Number], Callable[[Number], bool]]]] = {
    # Not n.__lt__ and friends: int.__lt__(float) returns NotImplemented, which is truthy.
    "eq": lambda n: lambda x: x == n,
    "ne": lambda n: lambda x: x != n,
    "gt": lambda n: lambda x: x > n,
    "gte": lambda n: lambda x: x >= n,
    "lt": lambda n: lambda x: x < n,
    "lte": lambda n: lambda x: x <= n,
}


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

    def any_of(c: PreparedContext) -> bool:
        for predicate in predicates:  # noqa: SIM110
            if predicate(c):
                return True
        return False

    return any_of


def _compile_condition(cond: Condition) -> tuple[Predicate, int]:
    field, op, value = cond.field, cond.operator, cond.value
    if field in TEXT_FIELD_SOURCES:
        get_text = operator.attrgetter(TEXT_FIELD_SOURCES[field])
        test, cost = _text_test(op, value)  # type: ignore[arg-type]
        return (lambda c: test(get_text(c))), cost
    if field in INTEGER_FIELDS:
        get_number = operator.attrgetter(field)
        number_test = _NUMBER_TESTS[op](value)  # type: ignore[arg-type]
        return (lambda c: number_test(get_number(c))), 0
    if field == "visit_history":
        return (lambda c: c.visit_history == value), 0
    if field == "device_type":
        if op == "is":
            return (lambda c: c.device_type == value), 0
        return (lambda c: c.device_type != value), 0
    if field == "language":
        return _language_predicate(op, value), 1  # type: ignore[arg-type]
    name = attribute_name(field)
    if name is None:
        raise ValueError(f"unknown field {field!r}")
    return _attribute_predicate(name, op, value)


def _language_predicate(op: str, tag: str) -> Predicate:
    wanted = normalize_language(tag)
    below = wanted + "-"

    def language_is(c: PreparedContext) -> bool:
        actual = c.language
        return actual == wanted or actual.startswith(below)

    if op == "is":
        return language_is
    return lambda c: not language_is(c)


def _attribute_predicate(name: str, op: str, value: object) -> tuple[Predicate, int]:
    if_missing = op in NEGATIVE_OPERATORS
    if isinstance(value, bool):
        return (lambda c: c.attr_bool.get(name) is value), 0
    if isinstance(value, int | float):
        number_test = _NUMBER_TESTS[op](value)

        def number_matches(c: PreparedContext) -> bool:
            actual = c.attr_number.get(name)
            if actual is None:
                # Present but not a number never matches; absent matches only `ne`.
                return if_missing and name not in c.attr_text
            return number_test(actual)

        return number_matches, 0
    test, cost = _text_test(op, value)  # type: ignore[arg-type]

    def text_matches(c: PreparedContext) -> bool:
        actual = c.attr_text.get(name)
        return if_missing if actual is None else test(actual)

    return text_matches, cost


def _text_test(op: str, value: str | list[str]) -> tuple[TextTest, int]:
    """A test on already-folded text, with a rough cost."""
    if op in ("contains", "not_contains"):
        needles = tuple(dict.fromkeys(fold(needle) for needle in value))
        contains = _contains_any(needles)
        cost = 2 + len(needles)
        if op == "contains":
            return contains, cost
        return (lambda text: not contains(text)), cost
    assert isinstance(value, str)
    folded = fold(value)
    if op == "is":
        return folded.__eq__, 1
    if op == "is_not":
        return folded.__ne__, 1
    if op == "starts_with":
        return (lambda text: text.startswith(folded)), 1
    if op == "matches":
        return Wildcard(folded).match, 4
    raise ValueError(f"unknown text operator {op!r}")


def _contains_any(needles: tuple[str, ...]) -> TextTest:
    if len(needles) == 1:
        (needle,) = needles
        return lambda text: needle in text

    def contains_any(text: str) -> bool:
        for needle in needles:  # noqa: SIM110
            if needle in text:
                return True
        return False

    return contains_any
