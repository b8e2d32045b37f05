"""Property tests: the compiled predicate and explain agree with the reference evaluator."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from overture.proactive.rules import (
    FIELDS,
    Condition,
    Group,
    VisitContext,
    compile_tree,
    evaluate,
    explain,
    parse_tree,
    prepare,
)
from overture.proactive.rules.matching import wildcard_match

# A tiny alphabet with both cases and regex metacharacters, so matches actually happen.
ALPHABET = "aAb/.?"
texts = st.text(alphabet=ALPHABET, min_size=0, max_size=6)
values = st.text(alphabet=ALPHABET, min_size=1, max_size=3).filter(str.strip)
patterns = st.one_of(
    st.sampled_from(["*", "**", "a*", "*/*"]),
    st.text(alphabet=ALPHABET + "**", min_size=1, max_size=5).filter(str.strip),
)
tags = st.sampled_from(["pt", "pt-BR", "pt_br", "PT", "en", "zh-Hant"])
visit_languages = st.sampled_from(
    ["pt", "pt-BR", "pt_br", "PT-pt", "ptx", "pt-BR-x", "en", "", "portuguese", "zh-Hant-TW"]
)
numbers = st.integers(0, 6)
ATTRIBUTE_NAMES = ("a", "b", "c")
TEXT_FIELDS = ("page_url", "page_title", "referrer")


def _text_value(draw: st.DrawFn, op: str) -> Any:
    if op == "matches":
        return draw(patterns)
    if op in ("contains", "not_contains"):
        return draw(st.one_of(values, st.lists(values, min_size=1, max_size=3)))
    return draw(values)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from([*TEXT_FIELDS, *FIELDS, "attribute"]))
    if field == "attribute.NAME":
        field = "attribute"
    if field == "attribute":
        name = draw(st.sampled_from(ATTRIBUTE_NAMES))
        kind = draw(st.sampled_from(["text", "number", "boolean"]))
        op = draw(st.sampled_from(FIELDS["attribute.NAME"]["operators_by_value"][kind]))
        if kind == "text":
            value = _text_value(draw, op)
        elif kind == "number":
            value = draw(st.one_of(numbers, st.sampled_from([1.5, 2.5, -1])))
        else:
            value = draw(st.booleans())
        return {"field": f"attribute.{name}", "operator": op, "value": value}
    op = draw(st.sampled_from(FIELDS[field]["operators"]))
    kind = FIELDS[field]["value"]
    if kind == "text":
        value = _text_value(draw, op)
    elif kind == "integer":
        value = draw(numbers)
    elif kind == "language":
        value = draw(tags)
    else:
        value = draw(st.sampled_from(FIELDS[field]["choices"]))
    return {"field": field, "operator": op, "value": value}


@st.composite
def trees(draw: st.DrawFn) -> dict[str, Any]:
    """Valid trees only: nesting from 3 conditions on, depth ≤ 3, ≤ 30 conditions."""
    leaves = draw(st.lists(conditions(), max_size=30))
    ops = st.sampled_from(["all", "any"])
    if len(leaves) < 3:
        return {draw(ops): leaves}

    def build(items: list[dict[str, Any]], depth: int) -> dict[str, Any]:
        children: list[dict[str, Any]] = []
        while items:
            if depth < 3 and draw(st.integers(0, 3)) == 0:
                size = draw(st.integers(0, len(items)))
                children.append(build(items[:size], depth + 1))
                items = items[size:]
            else:
                children.append(items.pop(0))
        return {draw(ops): children}

    return build(list(leaves), 1)


attribute_values = st.one_of(
    st.booleans(),
    numbers,
    st.sampled_from([1.5, 2.5, -1.0, float("nan")]),
    texts,
    st.sampled_from(["3", " 2 ", "1.5", "x", "true", "nan"]),
    st.sampled_from([[1], {"a": "b"}]),
)

contexts = st.builds(
    VisitContext,
    url=texts,
    title=texts,
    referrer=texts,
    language=visit_languages,
    visit_history=st.sampled_from(["new", "returning"]),
    device_type=st.sampled_from(["desktop", "mobile", "tablet"]),
    visit_count=numbers,
    pages_in_visit=numbers,
    attributes=st.dictionaries(
        st.sampled_from(ATTRIBUTE_NAMES), st.one_of(st.none(), attribute_values), max_size=3
    ),
)


@settings(max_examples=300, deadline=None)
@given(data=trees(), ctxs=st.lists(contexts, min_size=1, max_size=5))
def test_compiled_and_explained_agree_with_reference(
    data: dict[str, Any], ctxs: list[VisitContext]
) -> None:
    tree = parse_tree(data)
    assert parse_tree(tree.model_dump()) == tree
    predicate = compile_tree(tree)
    # Big random trees are nearly always all-False or any-True, which would hide a wrong
    # condition, so every group and condition is also checked on its own.
    parts = [(node, compile_tree(_as_group(node))) for node in _nodes(tree.root)]
    for ctx in ctxs:
        prepared = prepare(ctx)
        expected = evaluate(tree, ctx)
        assert predicate(prepared) is expected
        assert explain(tree, ctx)["matches"] is expected
        for node, part in parts:
            assert part(prepared) is evaluate(_as_group(node), ctx), node


def _nodes(node: Condition | Group) -> list[Condition | Group]:
    if isinstance(node, Condition):
        return [node]
    return [node, *(found for child in node.children for found in _nodes(child))]


def _as_group(node: Condition | Group) -> Group:
    return node if isinstance(node, Group) else Group(all=[node])


def _wildcard_oracle(pattern: str, text: str) -> bool:
    """Textbook dynamic programming over (pattern prefix, text prefix)."""
    pattern, text = pattern.casefold(), text.casefold()
    row = [True] + [False] * len(text)
    for char in pattern:
        if char == "*":
            for j in range(1, len(text) + 1):
                row[j] = row[j] or row[j - 1]
        else:
            row = [False] + [row[j - 1] and text[j - 1] == char for j in range(1, len(text) + 1)]
    return row[-1]


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(alphabet="aAb.*", max_size=6), text=st.text(alphabet="aAb.", max_size=8))
def test_wildcard_matches_oracle(pattern: str, text: str) -> None:
    assert wildcard_match(pattern, text) is _wildcard_oracle(pattern, text)
