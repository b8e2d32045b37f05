"""What the tree accepts and refuses, and where and how it says so."""

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from overture.proactive.rules import (
    FIELDS,
    LIMITS,
    Condition,
    ConditionTree,
    Group,
    RuleError,
    parse_tree,
)

from .support import errors_of, tree_of, verdict, visit

ALL_OPERATORS = (
    "is",
    "is_not",
    "contains",
    "not_contains",
    "starts_with",
    "matches",
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
)

VALID_VALUES: dict[str, Any] = {
    "page_url": "https://shop.example/",
    "page_title": "Pricing",
    "referrer": "https://google.com/",
    "visit_history": "returning",
    "language": "pt-BR",
    "device_type": "mobile",
    "visit_count": 3,
    "pages_in_visit": 2,
}
ATTRIBUTE_VALUES: dict[str, Any] = {"text": "gold", "number": 3, "boolean": True}


def cond(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def _allowed() -> list[Any]:
    params = []
    for field, value in VALID_VALUES.items():
        for op in FIELDS[field]["operators"]:
            params.append(pytest.param(cond(field, op, value), id=f"{field}-{op}"))
    for kind, ops in FIELDS["attribute.NAME"]["operators_by_value"].items():
        for op in ops:
            value = ATTRIBUTE_VALUES[kind]
            params.append(pytest.param(cond("attribute.plan", op, value), id=f"attr.{kind}-{op}"))
    return params


def _refused() -> list[Any]:
    params = []
    for field, value in VALID_VALUES.items():
        for op in ALL_OPERATORS:
            if op not in FIELDS[field]["operators"]:
                params.append(pytest.param(cond(field, op, value), id=f"{field}-{op}"))
    for kind, ops in FIELDS["attribute.NAME"]["operators_by_value"].items():
        for op in ALL_OPERATORS:
            if op not in ops:
                value = ATTRIBUTE_VALUES[kind]
                params.append(
                    pytest.param(cond("attribute.plan", op, value), id=f"attr.{kind}-{op}")
                )
    for field in [*VALID_VALUES, "attribute.plan"]:
        value = VALID_VALUES.get(field, "gold")
        params.append(pytest.param(cond(field, "equals", value), id=f"{field}-unknown-op"))
    return params


@pytest.mark.parametrize("condition", _allowed())
def test_allowed_operators_are_accepted(condition: dict[str, Any]) -> None:
    expected = dict(condition)
    if condition["operator"] in ("contains", "not_contains"):
        expected["value"] = [condition["value"]]
    assert tree_of(condition).model_dump() == {"all": [expected]}


@pytest.mark.parametrize("condition", _refused())
def test_disallowed_operators_are_refused(condition: dict[str, Any]) -> None:
    [(loc, msg)] = errors_of({"all": [condition]})
    assert loc == ("all", 0, "operator")
    assert f"operator {condition['operator']!r} is not allowed" in msg
    assert "use one of: " in msg


def test_operator_message_lists_the_allowed_operators() -> None:
    [(_, msg)] = errors_of({"all": [cond("page_url", "gt", "x")]})
    assert msg == (
        "operator 'gt' is not allowed for field 'page_url'; "
        "use one of: is, is_not, contains, not_contains, starts_with, matches"
    )
    [(_, msg)] = errors_of({"all": [cond("attribute.plan", "gt", "gold")]})
    assert msg == (
        "operator 'gt' is not allowed for field 'attribute.plan' with a text value; "
        "use one of: is, is_not, contains, not_contains, starts_with, matches"
    )


@pytest.mark.parametrize(
    ("condition", "loc", "fragment"),
    [
        pytest.param(cond("page_url", "is", 5), ("value",), "must be text", id="number-for-text"),
        pytest.param(cond("page_url", "is", True), ("value",), "must be text", id="bool-for-text"),
        pytest.param(
            cond("page_url", "contains", 5), ("value",), "text or a list", id="contains-5"
        ),
        pytest.param(
            cond("page_url", "is", ["a", "b"]),
            ("value",),
            "single text value, not a list",
            id="list-for-is",
        ),
        pytest.param(
            cond("page_title", "starts_with", ["a"]),
            ("value",),
            "not a list",
            id="list-for-starts_with",
        ),
        pytest.param(
            cond("attribute.plan", "matches", ["a*"]),
            ("value",),
            "not a list",
            id="attribute-list-for-matches",
        ),
        pytest.param(cond("page_url", "is", ""), ("value",), "must not be empty", id="empty"),
        pytest.param(cond("page_url", "is", "  "), ("value",), "must not be empty", id="blank"),
        pytest.param(
            cond("page_url", "is", "x" * 2001),
            ("value",),
            "too long (2,001 characters); at most 2,000",
            id="2001-chars",
        ),
        pytest.param(
            cond("referrer", "contains", ["ok", "x" * 2001]),
            ("value", 1),
            "too long",
            id="2001-chars-in-list",
        ),
        pytest.param(cond("page_url", "contains", []), ("value",), "at least one", id="empty-list"),
        pytest.param(
            cond("page_url", "contains", [f"/{i}" for i in range(21)]),
            ("value",),
            "too many values (21); at most 20",
            id="21-items",
        ),
        pytest.param(
            cond("page_url", "not_contains", ["a", 3]),
            ("value", 1),
            "must be text",
            id="number-in-list",
        ),
        pytest.param(
            cond("page_url", "contains", ["a", ""]),
            ("value", 1),
            "must not be empty",
            id="empty-in-list",
        ),
        pytest.param(
            cond("visit_count", "gt", True),
            ("value",),
            "whole number, not true/false",
            id="bool-as-integer",
        ),
        pytest.param(
            cond("pages_in_visit", "eq", False),
            ("value",),
            "not true/false",
            id="false-as-integer",
        ),
        pytest.param(cond("visit_count", "gt", 2.5), ("value",), "whole number", id="float"),
        pytest.param(cond("visit_count", "gt", "3"), ("value",), "not text", id="text-number"),
        pytest.param(cond("visit_count", "gt", -1), ("value",), "between 0 and 1,000,000", id="-1"),
        pytest.param(cond("visit_count", "lt", 1_000_001), ("value",), "between", id="too-big"),
        pytest.param(cond("visit_count", "lt", [1]), ("value",), "not a list", id="int-list"),
        pytest.param(
            cond("visit_history", "is", "old"),
            ("value",),
            "one of: new, returning",
            id="bad-history",
        ),
        pytest.param(
            cond("visit_history", "is", "NEW"),
            ("value",),
            "one of: new, returning",
            id="history-case",
        ),
        pytest.param(
            cond("device_type", "is", "phone"),
            ("value",),
            "one of: desktop, mobile, tablet",
            id="bad-device",
        ),
        pytest.param(
            cond("language", "is", "portuguese"),
            ("value",),
            "'portuguese' is not a language tag",
            id="language-name",
        ),
        pytest.param(cond("language", "is", 5), ("value",), "language code", id="language-5"),
        pytest.param(cond("language", "is", ""), ("value",), "not be empty", id="language-empty"),
        pytest.param(
            cond("attribute.plan", "is", None),
            ("value",),
            "text, a number, or true/false",
            id="attribute-null",
        ),
        pytest.param(
            cond("attribute.plan", "is", {"a": 1}),
            ("value",),
            "text, a number",
            id="attribute-object",
        ),
        pytest.param(
            cond("attribute.plan", "is", ""),
            ("value",),
            "must not be empty",
            id="attribute-empty-text",
        ),
        pytest.param(cond("colour", "is", "red"), ("field",), "unknown field 'colour'", id="field"),
        pytest.param(cond("Page_URL", "is", "x"), ("field",), "unknown field", id="field-case"),
        pytest.param(cond(5, "is", "x"), ("field",), "field must be text", id="field-number"),
        pytest.param(
            cond("attribute.", "is", "x"),
            ("field",),
            "attribute name '' is not valid",
            id="attribute-no-name",
        ),
        pytest.param(
            cond("attribute.bad name", "is", "x"),
            ("field",),
            "is not valid",
            id="attribute-space",
        ),
        pytest.param(
            cond("attribute." + "a" * 65, "is", "x"),
            ("field",),
            "1 to 64",
            id="attribute-65-chars",
        ),
        pytest.param(
            cond("page_url", 5, "x"),
            ("operator",),
            "operator must be text",
            id="operator-number",
        ),
        pytest.param(
            {**cond("page_url", "is", "x"), "negate": True},
            ("negate",),
            "unknown key 'negate'",
            id="unknown-key",
        ),
        pytest.param(
            {"field": "page_url", "operator": "is"},
            ("value",),
            "value is required",
            id="missing-value",
        ),
        pytest.param(
            {"field": "page_url", "value": "x"},
            ("operator",),
            "operator is required",
            id="missing-operator",
        ),
    ],
)
def test_bad_conditions(condition: dict[str, Any], loc: tuple[Any, ...], fragment: str) -> None:
    errors = errors_of({"all": [cond("page_url", "is", "https://ok.example/"), condition]})
    assert ("all", 1, *loc) in [error_loc for error_loc, _ in errors]
    [msg] = [msg for error_loc, msg in errors if error_loc == ("all", 1, *loc)]
    assert fragment in msg


@pytest.mark.parametrize(
    "condition",
    [
        pytest.param(cond("page_url", "is", "x" * 2000), id="2000-chars"),
        pytest.param(cond("page_url", "contains", [f"/{i}" for i in range(20)]), id="20-items"),
        pytest.param(cond("visit_count", "gte", 0), id="zero"),
        pytest.param(cond("visit_count", "lte", 1_000_000), id="million"),
        pytest.param(cond("attribute." + "a" * 64, "is", "x"), id="64-char-name"),
        pytest.param(cond("attribute.my_attr-1.x", "is", "x"), id="name-punctuation"),
        pytest.param(cond("attribute.score", "gt", 2.5), id="attribute-float"),
        pytest.param(cond("attribute.balance", "lt", -10), id="attribute-negative"),
        pytest.param(cond("attribute.big", "gt", 10_000_000), id="attribute-large"),
        pytest.param(cond("attribute.vip", "is", False), id="attribute-false"),
        pytest.param(cond("language", "is", "zh-Hant-TW"), id="long-tag"),
        pytest.param(cond("language", "is", "pt_BR"), id="underscore-tag"),
        pytest.param(cond("page_url", "matches", "*"), id="star-only"),
    ],
)
def test_boundary_values_are_accepted(condition: dict[str, Any]) -> None:
    assert tree_of(condition).model_dump() == {"all": [condition]}


@pytest.mark.parametrize(
    ("data", "loc", "fragment"),
    [
        pytest.param(
            {"all": [], "any": []}, (), "exactly one key, 'all' or 'any', not both", id="both"
        ),
        pytest.param({"all": [], "label": "x"}, ("label",), "unknown key 'label'", id="extra-key"),
        pytest.param({"all": ["page_url"]}, ("all", 0), "expected a condition", id="item-text"),
        pytest.param({"all": [{}]}, ("all", 0), "expected a condition", id="item-empty"),
        pytest.param({"all": [{"alll": []}]}, ("all", 0), "expected a condition", id="typo"),
        pytest.param({"all": {"field": "x"}}, ("all",), "must be a list", id="all-not-list"),
        pytest.param({"any": None}, ("any",), "must be a list", id="any-null"),
        pytest.param(cond("page_url", "is", "x"), (), "top level must be a group", id="bare"),
        pytest.param([], (), "expected a group", id="root-list"),
        pytest.param({}, (), "must be a group", id="root-empty"),
        pytest.param(None, (), "expected a group", id="root-null"),
    ],
)
def test_bad_groups(data: Any, loc: tuple[Any, ...], fragment: str) -> None:
    errors = errors_of(data)
    assert loc in [error_loc for error_loc, _ in errors]
    assert any(fragment in msg for error_loc, msg in errors if error_loc == loc)


def test_error_locs_name_the_place_in_the_tree() -> None:
    data = {
        "all": [
            cond("page_url", "contains", ["/pricing"]),
            {
                "any": [
                    cond("page_url", "gt", "x"),
                    cond("language", "is", "pt"),
                    {
                        "all": [
                            cond("visit_count", "gt", True),
                        ]
                    },
                ]
            },
        ]
    }
    assert [loc for loc, _ in errors_of(data)] == [
        ("all", 1, "any", 0, "operator"),
        ("all", 1, "any", 2, "all", 0, "value"),
    ]


def test_every_error_is_reported_at_once() -> None:
    data = {
        "all": [
            cond("colour", "is", "x"),
            cond("page_url", "is", ""),
            *[cond("visit_count", "gt", 1) for _ in range(30)],
        ]
    }
    locs = [loc for loc, _ in errors_of(data)]
    assert locs == [("all", 0, "field"), ("all", 1, "value"), ()]


def test_a_number_without_a_fraction_is_a_whole_number() -> None:
    # JSON (and the OpenAPI description's `integer`) does not tell 3.0 from 3.
    tree = ConditionTree.model_validate({"all": [cond("visit_count", "gt", 3.0)]})
    [condition] = tree.conditions()
    assert condition.value == 3 and type(condition.value) is int


def test_errors_are_pydantic_validation_errors() -> None:
    with pytest.raises(ValidationError) as caught:
        ConditionTree.model_validate({"all": [cond("page_url", "gt", "x")]})
    [error] = caught.value.errors()
    assert error["loc"] == ("all", 0, "operator")
    assert error["type"] == "condition_tree"
    assert error["input"] == "gt"


def test_errors_inside_another_model_are_prefixed() -> None:
    class Message(BaseModel):
        name: str
        conditions: ConditionTree = ConditionTree.everyone()

    assert Message(name="m").conditions.model_dump() == {"all": []}
    assert Message(name="m").model_dump()["conditions"] == {"all": []}
    with pytest.raises(ValidationError) as caught:
        Message.model_validate_json(
            '{"name": "m", "conditions": {"all": [{"field": "page_url", "operator": "is",'
            ' "value": ""}, {"any": [{"field": "language", "operator": "is", "value": 7}]}]}}'
        )
    assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [
        (("conditions", "all", 0, "value"), "value must not be empty"),
        (
            ("conditions", "all", 1, "any", 0, "value"),
            "value must be a language code such as 'pt' or 'pt-BR'",
        ),
        (
            ("conditions",),
            "groups can only be nested when the rule has at least 3 conditions "
            "(this one has 2); put the conditions directly in the top-level group",
        ),
    ]


def test_parse_tree_raises_rule_error() -> None:
    with pytest.raises(RuleError) as caught:
        parse_tree({"all": [cond("page_url", "gt", "x")]})
    assert isinstance(caught.value, ValueError)
    assert caught.value.errors == [
        {
            "loc": ("all", 0, "operator"),
            "msg": "operator 'gt' is not allowed for field 'page_url'; "
            "use one of: is, is_not, contains, not_contains, starts_with, matches",
        }
    ]
    assert "all.0.operator: operator 'gt'" in str(caught.value)


def test_parse_tree_accepts_json_text() -> None:
    text = '{"any": [{"field": "device_type", "operator": "is", "value": "tablet"}]}'
    assert parse_tree(text).model_dump() == json.loads(text)
    with pytest.raises(RuleError):
        parse_tree("{not json")


C = cond("page_url", "contains", ["/a"])


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        pytest.param({"all": [C, {"any": [C]}]}, "(this one has 2)", id="2-conditions-nested"),
        pytest.param({"all": [{"any": [C, C]}]}, "(this one has 2)", id="2-conditions-in-group"),
        pytest.param({"all": [{"any": []}]}, "(this one has 0)", id="empty-nested"),
        pytest.param(
            {"any": [C, {"all": [C, {"any": [C, {"all": [C]}]}]}]},
            "more than 3 levels",
            id="depth-4",
        ),
        pytest.param({"all": [C] * 31}, "this rule has 31 conditions; at most 30", id="31-flat"),
        pytest.param(
            {"all": [C, {"any": [C] * 15}, {"all": [{"any": [C] * 15}]}]},
            "31 conditions",
            id="31-nested",
        ),
    ],
)
def test_tree_limits_are_refused_at_the_root(data: dict[str, Any], fragment: str) -> None:
    errors = errors_of(data)
    assert [loc for loc, _ in errors] == [()]
    assert fragment in errors[0][1]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"all": []}, id="everyone"),
        pytest.param({"any": [C, C]}, id="2-flat"),
        pytest.param({"all": [C, {"any": [C, C]}]}, id="3-conditions-nested"),
        pytest.param({"all": [{"any": [C, C, C]}]}, id="3-conditions-in-one-group"),
        pytest.param({"all": [C, {"any": [C, {"all": [C]}]}]}, id="depth-3"),
        pytest.param({"all": [C] * 30}, id="30-flat"),
        pytest.param({"any": [C] * 10 + [{"all": [C] * 10 + [{"any": [C] * 10}]}]}, id="30-nested"),
    ],
)
def test_trees_within_limits_are_accepted(data: dict[str, Any]) -> None:
    assert parse_tree(data).model_dump() == data


def test_absurd_nesting_is_refused_without_recursing() -> None:
    data: dict[str, Any] = {"all": [C, C, C]}
    for _ in range(10_000):
        data = {"all": [data]}
    [(loc, msg)] = errors_of(data)
    assert loc == ()
    assert "more than 3 levels" in msg


def test_empty_all_matches_everyone() -> None:
    everyone = ConditionTree.everyone()
    assert everyone.model_dump() == {"all": []}
    assert everyone == parse_tree({"all": []})
    for ctx in [visit(), visit(url="", language="", visit_count=0, device_type="tablet")]:
        assert verdict(everyone, ctx) is True


def test_empty_any_matches_no_one() -> None:
    assert verdict(parse_tree({"any": []}), visit()) is False


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            {
                "all": [
                    {"field": "page_url", "operator": "contains", "value": ["/pricing", "/plans"]},
                    {
                        "any": [
                            {"field": "visit_history", "operator": "is", "value": "returning"},
                            {"field": "language", "operator": "is", "value": "pt"},
                        ]
                    },
                ]
            },
            id="spec-example",
        ),
        pytest.param(
            {"any": [cond("attribute.vip", "is", True), cond("visit_count", "gte", 2)]},
            id="bool-and-int",
        ),
        pytest.param({"all": [cond("attribute.score", "lt", 2.5)]}, id="float"),
        pytest.param({"all": [cond("page_title", "matches", "Pri*ng")]}, id="matches"),
    ],
)
def test_round_trip(data: dict[str, Any]) -> None:
    tree = parse_tree(data)
    assert tree.model_dump() == data
    assert json.loads(tree.model_dump_json()) == data
    assert parse_tree(tree.model_dump()) == tree
    assert ConditionTree(data) == tree
    assert ConditionTree(tree) == tree
    assert ConditionTree.model_validate(tree) == tree


def test_types_survive_validation() -> None:
    tree = parse_tree(
        {
            "all": [
                cond("attribute.a", "is", True),
                cond("attribute.b", "eq", 1),
                cond("attribute.c", "eq", 1.5),
            ]
        }
    )
    assert [type(c.value) for c in tree.conditions()] == [bool, int, float]


def test_single_text_for_contains_becomes_a_list() -> None:
    tree = tree_of(cond("page_url", "not_contains", "/admin"))
    assert tree.model_dump() == {"all": [cond("page_url", "not_contains", ["/admin"])]}


def test_models_validate_on_their_own() -> None:
    assert Condition(field="page_url", operator="contains", value="/a").value == ["/a"]
    with pytest.raises(ValidationError) as caught:
        Condition.model_validate(cond("page_url", "is", ""))
    assert [e["loc"] for e in caught.value.errors()] == [("value",)]
    group = Group(any=[Condition(field="language", operator="is", value="pt"), C])
    assert group.op == "any"
    assert group.model_dump() == {"any": [cond("language", "is", "pt"), C]}
    assert ConditionTree(group).root == group
    # A group on its own skips the tree-wide rules; wrapping it in a tree applies them.
    nested = Group(all=[{"any": [C]}])
    with pytest.raises(ValidationError):
        ConditionTree(nested)


def test_models_are_frozen() -> None:
    tree = tree_of(C)
    with pytest.raises(ValidationError):
        tree.root.children[0].field = "page_title"  # type: ignore[misc]


def test_json_schema_and_catalogue_are_json() -> None:
    schema = ConditionTree.model_json_schema()
    assert "Condition" in schema["$defs"]
    json.dumps(FIELDS)
    json.dumps(LIMITS)
    assert LIMITS["max_conditions"] == 30
    assert LIMITS["max_depth"] == 3
