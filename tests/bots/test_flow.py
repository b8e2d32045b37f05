"""The rules of an answer's flow (bots.flow), without the app: what stops it from being
published, step by step, and how a published flow advances."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overture.bots import flow


def msg(sid, nxt=None, text="Hello"):
    return {"id": sid, "type": "message", "text": text, "next": nxt}


def opts(sid, *targets, text="Pick one"):
    return {"id": sid, "type": "options", "text": text,
            "options": [{"label": f"To {t}", "next": t} for t in targets]}


def collect(sid, nxt=None, field="email", attribute=None, text="Your email?"):
    return {"id": sid, "type": "collect", "text": text, "field": field,
            "attribute": attribute, "next": nxt}


def handoff(sid):
    return {"id": sid, "type": "handoff", "text": "", "tags": []}


def end(sid):
    return {"id": sid, "type": "end", "text": ""}


def found(steps):
    return [(p["step"], p["code"]) for p in flow.problems(steps)]


VALID = {
    "one end": [end("bye")],
    "one handoff": [handoff("agent")],
    "linear": [msg("hi", "ask"), collect("ask", "agent"), handoff("agent")],
    "menu": [opts("menu", "agent", "bye"), handoff("agent"), end("bye")],
    # A loop is fine while it has a way out.
    "loop with an exit": [opts("menu", "info", "bye"), msg("info", "menu"), end("bye")],
    "option back to itself": [opts("menu", "menu", "bye"), end("bye")],
    "custom field": [collect("plan", "bye", field="custom", attribute="plan.name"), end("bye")],
    "two options to one step": [opts("menu", "bye", "bye"), end("bye")],
}


@pytest.mark.parametrize("steps", VALID.values(), ids=VALID.keys())
def test_a_sound_flow_has_no_problems(steps):
    assert flow.problems(steps) == []


INVALID = {
    "no steps": ([], [(None, "no_steps")]),
    "loop of messages": ([msg("a", "b"), msg("b", "a")], [("a", "no_exit"), ("b", "no_exit")]),
    "message to itself": ([msg("a", "a")], [("a", "no_exit")]),
    "options loop without exit": (
        [opts("menu", "info"), msg("info", "menu"), end("bye")],
        [("bye", "unreachable"), ("menu", "no_exit"), ("info", "no_exit")]),
    "loop reached from the start": (
        [msg("hi", "a"), opts("a", "b"), collect("b", "a")],
        [("hi", "no_exit"), ("a", "no_exit"), ("b", "no_exit")]),
    "dangling link": ([msg("hi", "ghost")], [("hi", "dangling")]),
    "dangling option": ([opts("menu", "bye", "ghost"), end("bye")], [("menu", "dangling")]),
    "unreachable": ([end("bye"), handoff("agent")], [("agent", "unreachable")]),
    "missing next": ([msg("hi")], [("hi", "no_link")]),
    "collect without next": ([collect("ask")], [("ask", "no_link")]),
    "option without next": (
        [{"id": "menu", "type": "options", "text": "Pick",
          "options": [{"label": "Yes", "next": None}]}], [("menu", "no_link")]),
    "options with no buttons": ([opts("menu")], [("menu", "no_options")]),
    "empty text": ([msg("hi", "bye", text=""), end("bye")], [("hi", "no_text")]),
    "blank options text": ([opts("menu", "bye", text="  "), end("bye")], [("menu", "no_text")]),
    "empty collect text": ([collect("ask", "bye", text=""), end("bye")], [("ask", "no_text")]),
    "custom collect without attribute": (
        [collect("plan", "bye", field="custom"), end("bye")], [("plan", "no_attribute")]),
}


@pytest.mark.parametrize("steps,expected", INVALID.values(), ids=INVALID.keys())
def test_each_problem_names_its_step(steps, expected):
    problems = flow.problems(steps)
    assert sorted(found(steps), key=str) == sorted(expected, key=str)
    for p in problems:
        assert p["message"]
        if p["step"] is not None:
            assert f"“{p['step']}”" in p["message"]  # the admin is told which step


def test_a_dangling_link_names_where_it_leads():
    (problem,) = flow.problems([msg("hi", "nowhere")])
    assert "“nowhere”" in problem["message"]


@pytest.mark.parametrize("steps", [
    [msg("hi", "ask"), msg("ask")],                   # the last step lacks its next
    [msg("hi", "ask"), msg("ask", "ghost")],          # it leads to a step that does not exist
    [msg("hi", "menu"), opts("menu")],                # it offers no buttons
], ids=["no next", "dangling", "no buttons"])
def test_a_flow_left_unfinished_is_not_called_a_loop(steps):
    """The steps before an unfinished one are fine: the unfinished one is the problem, and
    nobody is told of a loop that does not exist."""
    codes = found(steps)
    assert len(codes) == 1 and codes[0][0] == steps[-1]["id"], codes
    assert "no_exit" not in {code for _step, code in codes}


def test_handoff_and_end_need_no_text():
    assert flow.problems([msg("hi", "bye"), end("bye")]) == []
    assert flow.problems([handoff("agent")]) == []


# -- advancing --------------------------------------------------------------------------------


def test_advance_runs_messages_and_stops_at_a_step_that_waits_or_finishes():
    steps = [msg("hi", "more"), msg("more", "menu"), opts("menu", "bye"), end("bye")]
    assert [s["id"] for s in flow.advance(steps, "hi")] == ["hi", "more", "menu"]
    assert [s["id"] for s in flow.advance(steps, "bye")] == ["bye"]
    assert list(flow.advance(steps, "ghost")) == []
    assert list(flow.advance(steps, None)) == []


def test_advance_is_bounded_even_on_a_loop_of_messages():
    steps = [msg("a", "b"), msg("b", "a")]
    assert len(list(flow.advance(steps, "a"))) <= len(steps) + 1


# -- a property over random flows -------------------------------------------------------------

IDS = [f"s{i}" for i in range(6)]


@st.composite
def flows(draw):
    n = draw(st.integers(1, len(IDS)))
    ids = IDS[:n]
    target = st.sampled_from([*ids, None, "ghost"])
    steps = []
    for sid in ids:
        kind = draw(st.sampled_from(["message", "options", "collect", "handoff", "end"]))
        step = {"id": sid, "type": kind, "text": draw(st.sampled_from(["Hi", ""]))}
        if kind == "options":
            step["options"] = [{"label": "Go", "next": draw(target)}
                               for _i in range(draw(st.integers(0, 3)))]
        elif kind in ("message", "collect"):
            step["next"] = draw(target)
        steps.append(step)
    return steps


def _leads_to_an_end(start: str, by_id: dict) -> bool:
    """A depth-first search of its own, independent of the one in flow."""
    seen, todo = set(), [start]
    while todo:
        sid = todo.pop()
        if sid in seen or sid not in by_id:
            continue
        seen.add(sid)
        if by_id[sid]["type"] in ("handoff", "end"):
            return True
        todo.extend(t for t in flow.links(by_id[sid]) if t is not None)
    return False


@settings(max_examples=400, deadline=None)
@given(flows())
def test_a_flow_without_problems_always_has_a_way_to_finish(steps):
    by_id = {s["id"]: s for s in steps}
    problems = flow.problems(steps)
    assert all(p["step"] is None or p["step"] in by_id for p in problems)
    if problems:
        return
    reachable, todo = {steps[0]["id"]}, [steps[0]["id"]]
    while todo:
        for t in flow.links(by_id[todo.pop()]):
            assert t in by_id  # no link is missing or dangling
            if t not in reachable:
                reachable.add(t)
                todo.append(t)
    assert reachable == set(by_id)  # every step can be reached
    for sid in by_id:
        # From anywhere the customer can get to, some path ends in a handoff or an end …
        assert _leads_to_an_end(sid, by_id)
        # … and the flow stops at a step that waits for them or finishes (no endless walk).
        walked = list(flow.advance(steps, sid))
        assert walked and walked[-1]["type"] in (*flow.WAITS, *flow.FINAL)


@settings(max_examples=400, deadline=None)
@given(flows())
def test_a_step_is_only_called_a_dead_loop_when_it_is_in_one(steps):
    """`no_exit` means a loop: from that step no path ends, and every step the customer can
    get to from it leads on to another step that exists (so they go round for ever)."""
    by_id = {s["id"]: s for s in steps}
    for p in flow.problems(steps):
        if p["code"] != "no_exit":
            continue
        assert not _leads_to_an_end(p["step"], by_id)
        seen, todo = set(), [p["step"]]
        while todo:
            sid = todo.pop()
            if sid in seen:
                continue
            seen.add(sid)
            targets = flow.links(by_id[sid])
            assert targets and all(t in by_id for t in targets), (sid, steps)
            todo.extend(targets)
