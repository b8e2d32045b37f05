"""Targeting rules for proactive messages: a tree of groups and conditions.

Typical use::

    tree = parse_tree(json_data)              # or a `ConditionTree` field on a pydantic model
    matches = compile_tree(tree)              # once per rule
    matches(prepare(visit))                   # per page view; prepare once, share across rules

`evaluate` is the slow reference evaluator and `explain` annotates a tree with per-node results.
`FIELDS` and `LIMITS` describe the fields, operators and limits for the admin UI.
"""

from .compiler import Predicate, compile_tree
from .context import PreparedContext, VisitContext, prepare
from .evaluate import condition_matches, evaluate
from .explain import explain
from .fields import FIELDS, LIMITS
from .tree import Condition, ConditionTree, Group, Node, RuleError, parse_tree

__all__ = [
    "FIELDS",
    "LIMITS",
    "Condition",
    "ConditionTree",
    "Group",
    "Node",
    "Predicate",
    "PreparedContext",
    "RuleError",
    "VisitContext",
    "compile_tree",
    "condition_matches",
    "evaluate",
    "explain",
    "parse_tree",
    "prepare",
]
