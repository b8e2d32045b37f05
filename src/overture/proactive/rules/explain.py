"""Explains a rule against one visit, for the admin's "test a visit" panel."""

from typing import Any

from .context import VisitContext
from .evaluate import condition_matches
from .tree import Condition, ConditionTree, Group


def explain(tree: ConditionTree | Group, ctx: VisitContext) -> dict[str, Any]:
    """The tree's JSON shape with a ``"result"`` on every condition and group.

    The top level also carries ``"matches"``, the verdict for the whole rule. Every node is
    evaluated (no short-circuiting) so the panel can show each one.
    """
    root = tree.root if isinstance(tree, ConditionTree) else tree
    explained = _explain(root, ctx)
    explained["matches"] = explained["result"]
    return explained


def _explain(node: Condition | Group, ctx: VisitContext) -> dict[str, Any]:
    if isinstance(node, Condition):
        return {**node.model_dump(), "result": condition_matches(node, ctx)}
    children = [_explain(child, ctx) for child in node.children]
    results = [child["result"] for child in children]
    result = all(results) if node.op == "all" else any(results)
    return {node.op: children, "result": result}
