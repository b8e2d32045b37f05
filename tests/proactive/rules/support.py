"""Shared helpers for the rules tests."""

from typing import Any

from overture.proactive.rules import (
    ConditionTree,
    RuleError,
    VisitContext,
    compile_tree,
    evaluate,
    explain,
    parse_tree,
    prepare,
)


def visit(**overrides: Any) -> VisitContext:
    """A visit with neutral defaults, overridden by keyword."""
    base: dict[str, Any] = {
        "url": "https://shop.example/",
        "title": "Home",
        "referrer": "",
        "language": "en-US",
        "visit_history": "new",
        "device_type": "desktop",
        "visit_count": 1,
        "pages_in_visit": 1,
        "attributes": {},
    }
    return VisitContext(**(base | overrides))


def tree_of(*conditions: dict[str, Any], op: str = "all") -> ConditionTree:
    return parse_tree({op: list(conditions)})


def verdict(tree: ConditionTree, ctx: VisitContext) -> bool:
    """The tree's result, after checking evaluate, compile_tree and explain all agree."""
    expected = evaluate(tree, ctx)
    assert compile_tree(tree)(prepare(ctx)) is expected
    assert explain(tree, ctx)["matches"] is expected
    return expected


def errors_of(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """The (loc, msg) pairs `parse_tree` refuses `data` with; fails if it is accepted."""
    try:
        parse_tree(data)
    except RuleError as error:
        return [(e["loc"], e["msg"]) for e in error.errors]
    raise AssertionError(f"accepted: {data!r}")
