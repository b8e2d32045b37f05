"""Every field × every allowed operator, matching and not matching, on all three evaluators."""

from typing import Any

import pytest

from overture.proactive.rules import FIELDS
from overture.proactive.rules.matching import wildcard_match

from .support import tree_of, verdict, visit

URL = "https://shop.example/Pricing/Team?plan=pro"

# (operator, value, text seen on the visit, expected): reused for every text field.
TEXT_CASES: list[tuple[str, Any, str, bool]] = [
    ("is", "https://shop.example/pricing/team?plan=pro", URL, True),
    ("is", "https://shop.example/pricing", URL, False),
    ("is_not", "https://shop.example/pricing", URL, True),
    ("is_not", "HTTPS://SHOP.EXAMPLE/PRICING/TEAM?PLAN=PRO", URL, False),
    ("contains", ["/plans", "/pricing"], URL, True),
    ("contains", "/team", URL, True),
    ("contains", ["/plans", "/about"], URL, False),
    ("not_contains", ["/plans", "/about"], URL, True),
    ("not_contains", ["/plans", "/pricing"], URL, False),
    ("starts_with", "https://shop.example/pricing", URL, True),
    ("starts_with", "/pricing", URL, False),
    ("matches", "https://*.example/*/team?plan=*", URL, True),
    ("matches", "https://*.example/*/team", URL, False),
]

TEXT_FIELDS = {"page_url": "url", "page_title": "title", "referrer": "referrer"}


def _text_params() -> list[Any]:
    params = []
    for field, source in TEXT_FIELDS.items():
        for index, (op, value, actual, expected) in enumerate(TEXT_CASES):
            params.append(
                pytest.param(
                    {"field": field, "operator": op, "value": value},
                    visit(**{source: actual}),
                    expected,
                    id=f"{field}-{op}-{'match' if expected else 'miss'}-{index}",
                )
            )
    for index, (op, value, actual, expected) in enumerate(TEXT_CASES):
        params.append(
            pytest.param(
                {"field": "attribute.landing", "operator": op, "value": value},
                visit(attributes={"landing": actual}),
                expected,
                id=f"attribute.text-{op}-{'match' if expected else 'miss'}-{index}",
            )
        )
    return params


# (operator, condition value, visit value, expected): reused for every number field.
NUMBER_CASES: list[tuple[str, int, int, bool]] = [
    ("eq", 5, 5, True),
    ("eq", 5, 4, False),
    ("ne", 5, 4, True),
    ("ne", 5, 5, False),
    ("gt", 5, 6, True),
    ("gt", 5, 5, False),
    ("gte", 5, 5, True),
    ("gte", 5, 4, False),
    ("lt", 5, 4, True),
    ("lt", 5, 5, False),
    ("lte", 5, 5, True),
    ("lte", 5, 6, False),
]


def _number_params() -> list[Any]:
    params = []
    for field in ("visit_count", "pages_in_visit"):
        for op, value, actual, expected in NUMBER_CASES:
            params.append(
                pytest.param(
                    {"field": field, "operator": op, "value": value},
                    visit(**{field: actual}),
                    expected,
                    id=f"{field}-{op}-{'match' if expected else 'miss'}",
                )
            )
    for op, value, actual, expected in NUMBER_CASES:
        params.append(
            pytest.param(
                {"field": "attribute.orders", "operator": op, "value": value},
                visit(attributes={"orders": actual}),
                expected,
                id=f"attribute.number-{op}-{'match' if expected else 'miss'}",
            )
        )
    return params


def _param(field: str, op: str, value: Any, ctx: Any, expected: bool, label: str) -> Any:
    tag = "match" if expected else "miss"
    return pytest.param(
        {"field": field, "operator": op, "value": value}, ctx, expected, id=f"{label}-{tag}"
    )


OTHER_PARAMS = [
    _param("visit_history", "is", "new", visit(visit_history="new"), True, "visit_history-is"),
    _param("visit_history", "is", "new", visit(visit_history="returning"), False, "vh-is"),
    _param("visit_history", "is", "returning", visit(visit_history="returning"), True, "vh-ret"),
    _param("device_type", "is", "mobile", visit(device_type="mobile"), True, "device_type-is"),
    _param("device_type", "is", "mobile", visit(device_type="tablet"), False, "device_type-is"),
    _param("device_type", "is_not", "mobile", visit(device_type="desktop"), True, "dt-is_not"),
    _param("device_type", "is_not", "mobile", visit(device_type="mobile"), False, "dt-is_not"),
    _param("language", "is", "pt", visit(language="pt-BR"), True, "language-is"),
    _param("language", "is", "pt", visit(language="en-US"), False, "language-is"),
    _param("language", "is_not", "pt", visit(language="en-US"), True, "language-is_not"),
    _param("language", "is_not", "pt", visit(language="pt-PT"), False, "language-is_not"),
    _param("attribute.vip", "is", True, visit(attributes={"vip": True}), True, "attr.bool-is"),
    _param("attribute.vip", "is", True, visit(attributes={"vip": False}), False, "attr.bool-is"),
]

ALL_PARAMS = _text_params() + _number_params() + OTHER_PARAMS


@pytest.mark.parametrize(("condition", "ctx", "expected"), ALL_PARAMS)
def test_field_operator(condition: dict[str, Any], ctx: Any, expected: bool) -> None:
    assert verdict(tree_of(condition), ctx) is expected


def test_table_covers_every_field_and_operator() -> None:
    covered = set()
    for param in ALL_PARAMS:
        condition, _, expected = param.values
        field = condition["field"]
        if field.startswith("attribute."):
            kind = type(condition["value"]).__name__
            field = f"attribute.NAME:{ {'bool': 'boolean', 'int': 'number'}.get(kind, 'text') }"
        covered.add((field, condition["operator"], expected))
    wanted = set()
    for field, entry in FIELDS.items():
        if field == "attribute.NAME":
            for kind, ops in entry["operators_by_value"].items():
                wanted |= {(f"attribute.NAME:{kind}", op, e) for op in ops for e in (True, False)}
        else:
            wanted |= {(field, op, e) for op in entry["operators"] for e in (True, False)}
    assert wanted - covered == set()


@pytest.mark.parametrize(
    ("condition", "ctx"),
    [
        pytest.param(
            {"field": "page_title", "operator": "is", "value": "PRICING"},
            visit(title="pricing"),
            id="is-upper-value",
        ),
        pytest.param(
            {"field": "page_title", "operator": "is", "value": "pricing"},
            visit(title="PRICING"),
            id="is-upper-visit",
        ),
        pytest.param(
            {"field": "page_url", "operator": "contains", "value": ["/PLANS"]},
            visit(url="https://Shop.Example/plans"),
            id="contains",
        ),
        pytest.param(
            {"field": "referrer", "operator": "starts_with", "value": "HTTPS://GOOGLE."},
            visit(referrer="https://google.com/"),
            id="starts_with",
        ),
        pytest.param(
            {"field": "page_url", "operator": "matches", "value": "*/CHECKOUT/*"},
            visit(url="https://shop.example/checkout/Done"),
            id="matches",
        ),
        pytest.param(
            {"field": "page_title", "operator": "is", "value": "ÉTÉ"},
            visit(title="été"),
            id="accented",
        ),
        pytest.param(
            {"field": "page_title", "operator": "is", "value": "STRASSE"},
            visit(title="Straße"),
            id="casefold-sharp-s",
        ),
        pytest.param(
            {"field": "attribute.plan", "operator": "is", "value": "GOLD"},
            visit(attributes={"plan": "gold"}),
            id="attribute",
        ),
        pytest.param(
            {"field": "language", "operator": "is", "value": "PT-br"},
            visit(language="pt-BR"),
            id="language",
        ),
    ],
)
def test_text_ignores_case(condition: dict[str, Any], ctx: Any) -> None:
    assert verdict(tree_of(condition), ctx) is True


def test_url_is_compared_as_the_absolute_url() -> None:
    ctx = visit(url="https://shop.example/pricing")
    assert (
        verdict(tree_of({"field": "page_url", "operator": "is", "value": "/pricing"}), ctx) is False
    )
    absolute = {"field": "page_url", "operator": "is", "value": "https://shop.example/pricing"}
    assert verdict(tree_of(absolute), ctx) is True


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        pytest.param("*", "", True, id="star-empty"),
        pytest.param("*", "anything", True, id="star-anything"),
        pytest.param("**", "x", True, id="double-star"),
        pytest.param("abc", "abc", True, id="no-star-equal"),
        pytest.param("abc", "abcd", False, id="no-star-whole-string"),
        pytest.param("https://shop.example/*", "https://shop.example/", True, id="star-empty-tail"),
        pytest.param("*/checkout", "https://a.example/checkout", True, id="suffix"),
        pytest.param("*/checkout", "https://a.example/checkout/", False, id="suffix-miss"),
        pytest.param("a*b*c", "abc", True, id="ordered-empty"),
        pytest.param("a*b*c", "aXbYc", True, id="ordered"),
        pytest.param("a*b*c", "acb", False, id="out-of-order"),
        pytest.param("*a*a*", "a", False, id="needs-two"),
        pytest.param("*a*a*", "baab", True, id="has-two"),
        pytest.param("ab*ba", "aba", False, id="no-overlap"),
        pytest.param("ab*ba", "abba", True, id="adjacent"),
        pytest.param("*.html", "/pageXhtml", False, id="dot-literal"),
        pytest.param("*.html", "/page.html", True, id="dot-literal-match"),
        pytest.param("/a+b", "/aab", False, id="plus-literal"),
        pytest.param("/a+b", "/a+b", True, id="plus-literal-match"),
        pytest.param("/(x)", "/x", False, id="parens-literal"),
        pytest.param("/(x)", "/(x)", True, id="parens-literal-match"),
        pytest.param("/what?", "/what", False, id="question-literal"),
        pytest.param("/what?", "/what?", True, id="question-literal-match"),
        pytest.param("[ab]", "a", False, id="class-literal"),
        pytest.param("^a$", "^a$", True, id="anchors-literal"),
        pytest.param(r"\d", "1", False, id="escape-literal"),
        pytest.param("*PRICING*", "/pricing/team", True, id="case-insensitive"),
    ],
)
def test_wildcards(pattern: str, text: str, expected: bool) -> None:
    assert wildcard_match(pattern, text) is expected
    condition = {"field": "page_url", "operator": "matches", "value": pattern}
    assert verdict(tree_of(condition), visit(url=text)) is expected


@pytest.mark.parametrize(
    ("tag", "language", "expected"),
    [
        pytest.param("pt", "pt", True, id="pt~pt"),
        pytest.param("pt", "pt-BR", True, id="pt~pt-BR"),
        pytest.param("pt", "pt-PT", True, id="pt~pt-PT"),
        pytest.param("pt", "pt_BR", True, id="pt~pt_BR"),
        pytest.param("pt", "PT-br", True, id="pt~PT-br"),
        pytest.param("pt-BR", "pt-BR", True, id="pt-BR~pt-BR"),
        pytest.param("pt-BR", "pt_br", True, id="pt-BR~pt_br"),
        pytest.param("pt-BR", "PT-BR", True, id="pt-BR~PT-BR"),
        pytest.param("pt_BR", "pt-BR", True, id="pt_BR~pt-BR"),
        pytest.param("pt-BR", "pt-PT", False, id="pt-BR!pt-PT"),
        pytest.param("pt-BR", "pt", False, id="pt-BR!pt"),
        pytest.param("pt", "pl", False, id="pt!pl"),
        pytest.param("pt", "ptx", False, id="pt!ptx"),
        pytest.param("pt", "en-US", False, id="pt!en-US"),
        pytest.param("pt", "portuguese", False, id="pt!portuguese"),
        pytest.param("pt", "", False, id="pt!empty"),
        pytest.param("zh-Hant", "zh-Hant-TW", True, id="zh-Hant~zh-Hant-TW"),
    ],
)
def test_language_tags(tag: str, language: str, expected: bool) -> None:
    ctx = visit(language=language)
    assert verdict(tree_of({"field": "language", "operator": "is", "value": tag}), ctx) is expected
    negated = {"field": "language", "operator": "is_not", "value": tag}
    assert verdict(tree_of(negated), ctx) is not expected


def _attr(op: str, value: Any, attributes: dict[str, Any], expected: bool, label: str) -> Any:
    return pytest.param(
        {"field": "attribute.x", "operator": op, "value": value}, attributes, expected, id=label
    )


@pytest.mark.parametrize(
    ("condition", "attributes", "expected"),
    [
        # Missing: positive operators never match, negative ones always do.
        *[
            _attr(op, value, {}, op in ("is_not", "not_contains", "ne"), f"missing-{op}")
            for op, value in [
                ("is", "a"),
                ("is_not", "a"),
                ("contains", ["a"]),
                ("not_contains", ["a"]),
                ("starts_with", "a"),
                ("matches", "*"),
                ("eq", 1),
                ("ne", 1),
                ("gt", 1),
                ("gte", 1),
                ("lt", 1),
                ("lte", 1),
            ]
        ],
        _attr("is", True, {}, False, "missing-bool-is"),
        _attr("is", False, {}, False, "missing-bool-is-false"),
        _attr("is_not", "a", {"x": None}, True, "null-counts-as-missing"),
        _attr("is", "a", {"x": None}, False, "null-never-positive"),
        _attr("ne", 1, {"x": [1]}, True, "list-counts-as-missing"),
        _attr("contains", ["a"], {"x": {"a": 1}}, False, "object-counts-as-missing"),
        _attr("is", "a", {"y": "a"}, False, "other-attribute"),
        # Text conditions read numbers and booleans in their text form.
        _attr("is", "42", {"x": 42}, True, "text-vs-int"),
        _attr("is", "2.5", {"x": 2.5}, True, "text-vs-float"),
        _attr("is", "TRUE", {"x": True}, True, "text-vs-bool"),
        _attr("is_not", "gold", {"x": "silver"}, True, "text-is_not"),
        # Number conditions parse text attributes, else no match (even for ne).
        _attr("eq", 5, {"x": 5.0}, True, "number-vs-float"),
        _attr("eq", 5, {"x": "5"}, True, "number-vs-numeric-text"),
        _attr("eq", 5, {"x": " 5 "}, True, "number-vs-padded-text"),
        _attr("gt", 5, {"x": "5.5"}, True, "number-vs-decimal-text"),
        _attr("gte", 1000, {"x": "1e3"}, True, "number-vs-exponent-text"),
        _attr("lt", 2.5, {"x": 2}, True, "float-condition"),
        _attr("gt", -3, {"x": -2}, True, "negative-numbers"),
        _attr("eq", 5, {"x": "five"}, False, "number-vs-text-eq"),
        _attr("ne", 5, {"x": "five"}, False, "number-vs-text-ne"),
        _attr("ne", 5, {"x": "nan"}, False, "number-vs-nan-text"),
        _attr("gt", 5, {"x": "inf"}, False, "number-vs-inf-text"),
        _attr("eq", 1, {"x": True}, False, "number-vs-bool"),
        _attr("ne", 1, {"x": True}, False, "number-vs-bool-ne"),
        _attr("eq", 5, {"x": "5_000"}, False, "underscore-not-a-number"),
        # Boolean conditions match booleans only.
        _attr("is", True, {"x": True}, True, "bool-true"),
        _attr("is", False, {"x": False}, True, "bool-false"),
        _attr("is", False, {"x": True}, False, "bool-mismatch"),
        _attr("is", True, {"x": "true"}, False, "bool-vs-text"),
        _attr("is", True, {"x": 1}, False, "bool-vs-int"),
        _attr("is", False, {"x": 0}, False, "bool-false-vs-zero"),
    ],
)
def test_attributes(condition: dict[str, Any], attributes: dict[str, Any], expected: bool) -> None:
    assert verdict(tree_of(condition), visit(attributes=attributes)) is expected


def test_attribute_names_are_case_sensitive() -> None:
    condition = {"field": "attribute.Plan", "operator": "is", "value": "gold"}
    assert verdict(tree_of(condition), visit(attributes={"plan": "gold"})) is False
    assert verdict(tree_of(condition), visit(attributes={"Plan": "gold"})) is True


@pytest.mark.parametrize(
    ("field", "source"), [("page_url", "url"), ("page_title", "title"), ("referrer", "referrer")]
)
def test_empty_visit_text(field: str, source: str) -> None:
    ctx = visit(**{source: ""})
    assert verdict(tree_of({"field": field, "operator": "is", "value": "x"}), ctx) is False
    assert verdict(tree_of({"field": field, "operator": "is_not", "value": "x"}), ctx) is True
    assert verdict(tree_of({"field": field, "operator": "matches", "value": "*"}), ctx) is True
