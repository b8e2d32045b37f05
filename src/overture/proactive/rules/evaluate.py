"""The reference evaluator: walks the tree on every call and does the obvious thing.

Use `compile_tree` for serving page views; this is the definition the compiler is tested against.
"""

from .context import VisitContext
from .fields import INTEGER_FIELDS, NEGATIVE_OPERATORS, TEXT_FIELD_SOURCES, attribute_name
from .matching import (
    NUMBER_COMPARISONS,
    attribute_number,
    attribute_text,
    fold,
    is_attribute_value,
    language_matches,
    normalize_language,
    wildcard_match,
)
from .tree import Condition, ConditionTree, Group


def evaluate(tree: ConditionTree | Group, ctx: VisitContext) -> bool:
    """Whether the visit matches the tree."""
    return node_matches(tree.root if isinstance(tree, ConditionTree) else tree, ctx)


def node_matches(node: Condition | Group, ctx: VisitContext) -> bool:
    """Whether the visit matches one condition or group."""
    if isinstance(node, Condition):
        return condition_matches(node, ctx)
    results = [node_matches(child, ctx) for child in node.children]
    return all(results) if node.op == "all" else any(results)


def condition_matches(cond: Condition, ctx: VisitContext) -> bool:
    """Whether the visit matches one condition."""
    field, op, value = cond.field, cond.operator, cond.value
    if field in TEXT_FIELD_SOURCES:
        return _text_matches(op, value, getattr(ctx, TEXT_FIELD_SOURCES[field]))
    if field in INTEGER_FIELDS:
        return NUMBER_COMPARISONS[op](getattr(ctx, field), value)
    if field == "visit_history":
        return ctx.visit_history == value
    if field == "device_type":
        return (ctx.device_type == value) == (op == "is")
    if field == "language":
        found = language_matches(normalize_language(value), normalize_language(ctx.language))
        return found == (op == "is")
    name = attribute_name(field)
    if name is None:
        raise ValueError(f"unknown field {field!r}")
    actual = ctx.attributes.get(name)
    if not is_attribute_value(actual):
        return op in NEGATIVE_OPERATORS
    if isinstance(value, bool):
        return isinstance(actual, bool) and actual == value
    if isinstance(value, int | float):
        number = attribute_number(actual)
        return number is not None and NUMBER_COMPARISONS[op](number, value)
    return _text_matches(op, value, attribute_text(actual))


def _text_matches(op: str, value: str | list[str], actual: str) -> bool:
    text = fold(actual)
    if op == "contains":
        return any(fold(needle) in text for needle in value)
    if op == "not_contains":
        return not any(fold(needle) in text for needle in value)
    assert isinstance(value, str)
    if op == "is":
        return text == fold(value)
    if op == "is_not":
        return text != fold(value)
    if op == "starts_with":
        return text.startswith(fold(value))
    if op == "matches":
        return wildcard_match(value, actual)
    raise ValueError(f"unknown text operator {op!r}")
