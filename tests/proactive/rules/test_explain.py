"""The "test a visit" panel's explanation, and the compiled predicate's special cases."""

import json
from typing import Any

import pytest

from overture.proactive.rules import compile_tree, explain, parse_tree, prepare

from .support import verdict, visit

SPEC_EXAMPLE = {
    "all": [
        {"field": "page_url", "operator": "contains", "value": ["/pricing", "/plans"]},
        {
            "any": [
                {"field": "visit_history", "operator": "is", "value": "returning"},
                {"field": "language", "operator": "is", "value": "pt"},
            ]
        },
    ]
}


def test_explain_marks_every_node() -> None:
    ctx = visit(url="https://shop.example/plans", visit_history="new", language="pt-BR")
    assert explain(parse_tree(SPEC_EXAMPLE), ctx) == {
        "all": [
            {
                "field": "page_url",
                "operator": "contains",
                "value": ["/pricing", "/plans"],
                "result": True,
            },
            {
                "any": [
                    {
                        "field": "visit_history",
                        "operator": "is",
                        "value": "returning",
                        "result": False,
                    },
                    {"field": "language", "operator": "is", "value": "pt", "result": True},
                ],
                "result": True,
            },
        ],
        "result": True,
        "matches": True,
    }


def test_explain_evaluates_every_node_even_after_a_miss() -> None:
    ctx = visit(url="https://shop.example/about", visit_history="returning", language="en")
    explained = explain(parse_tree(SPEC_EXAMPLE), ctx)
    assert explained["matches"] is False
    assert explained["all"][0]["result"] is False
    assert [c["result"] for c in explained["all"][1]["any"]] == [True, False]
    assert explained["all"][1]["result"] is True
    json.dumps(explained)


def test_explain_everyone() -> None:
    assert explain(parse_tree({"all": []}), visit()) == {"all": [], "result": True, "matches": True}


C_NEW = {"field": "visit_history", "operator": "is", "value": "new"}
C_MOBILE = {"field": "device_type", "operator": "is", "value": "mobile"}
C_PT = {"field": "language", "operator": "is", "value": "pt"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param({"all": []}, True, id="empty-all"),
        pytest.param({"any": []}, False, id="empty-any"),
        pytest.param({"all": [C_NEW]}, True, id="single-child"),
        pytest.param({"any": [C_MOBILE]}, False, id="single-child-any"),
        pytest.param({"all": [C_NEW, C_PT, C_MOBILE, {"all": []}]}, False, id="all-empty-dropped"),
        pytest.param({"all": [C_NEW, C_PT, C_NEW, {"any": []}]}, False, id="any-empty-in-all"),
        pytest.param(
            {"any": [C_MOBILE, C_MOBILE, C_MOBILE, {"all": []}]}, True, id="all-empty-in-any"
        ),
        pytest.param(
            {"any": [C_MOBILE, C_MOBILE, C_MOBILE, {"any": []}]}, False, id="any-empty-in-any"
        ),
        pytest.param({"all": [C_NEW, C_PT, {"any": [C_MOBILE, C_NEW]}]}, True, id="nested"),
        pytest.param(
            {"any": [C_MOBILE, {"all": [C_PT, {"any": [C_MOBILE]}]}, C_MOBILE]}, False, id="depth-3"
        ),
    ],
)
def test_constant_folding_and_flattening(data: dict[str, Any], expected: bool) -> None:
    ctx = visit(visit_history="new", device_type="desktop", language="pt-PT")
    assert verdict(parse_tree(data), ctx) is expected


def test_compiled_predicate_is_reusable_across_visits() -> None:
    matches = compile_tree(parse_tree(SPEC_EXAMPLE))
    hits = [
        visit(url="https://shop.example/pricing", visit_history="returning"),
        visit(url="https://shop.example/PLANS", language="pt_BR"),
    ]
    misses = [visit(url="https://shop.example/pricing"), visit(url="https://shop.example/")]
    assert [matches(prepare(ctx)) for ctx in hits] == [True, True]
    assert [matches(prepare(ctx)) for ctx in misses] == [False, False]


def test_one_prepared_context_serves_many_rules() -> None:
    rules = [
        parse_tree({"all": [{"field": "visit_count", "operator": "gte", "value": n}]})
        for n in range(10)
    ]
    predicates = [compile_tree(rule) for rule in rules]
    prepared = prepare(visit(visit_count=4))
    assert [p(prepared) for p in predicates] == [n <= 4 for n in range(10)]
