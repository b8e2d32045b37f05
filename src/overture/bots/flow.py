"""An answer's flow: what stops it from running well (pure), and how it advances.

A flow runs from its first step. `message` steps follow on by themselves; `options` and
`collect` wait for the customer; `handoff` and `end` finish it. A flow can be published when
every step can be reached, every link leads to a step that exists, and from every step some
path leads to a `handoff` or an `end` (a loop is fine as long as it has a way out).
"""

from __future__ import annotations

from collections.abc import Iterator

from overture.i18n import gettext as _

FINAL = ("handoff", "end")
WAITS = ("options", "collect")


def links(step: dict) -> list[str | None]:
    """Where a step leads: one link, one per option, or none for a final step."""
    if step["type"] == "options":
        return [option.get("next") for option in step.get("options", [])]
    if step["type"] in FINAL:
        return []
    return [step.get("next")]


def _p(step: str | None, code: str, message: str) -> dict:
    return {"step": step, "code": code, "message": message}


def problems(steps: list[dict]) -> list[dict]:
    """Each problem of the flow as {step, code, message}, in the order of the steps."""
    if not steps:
        return [_p(None, "no_steps", _("The answer has no steps yet."))]
    by_id = {s["id"]: s for s in steps}
    out: list[dict] = []
    for s in steps:
        sid = s["id"]
        if s["type"] in ("message", "options", "collect") and not (s.get("text") or "").strip():
            out.append(_p(sid, "no_text", _("Step “%(step)s” has no text for the customer.")
                          % {"step": sid}))
        if s["type"] == "options" and not s.get("options"):
            out.append(_p(sid, "no_options", _("Step “%(step)s” offers no buttons.")
                          % {"step": sid}))
        if s["type"] == "collect" and s.get("field") == "custom" and not s.get("attribute"):
            out.append(_p(sid, "no_attribute",
                          _("Step “%(step)s” asks for a custom field but does not say which.")
                          % {"step": sid}))
        for target in links(s):
            if target is None:
                out.append(_p(sid, "no_link", _("Step “%(step)s” leads nowhere: choose the step "
                                                "that comes next.") % {"step": sid}))
            elif target not in by_id:
                out.append(_p(sid, "dangling", _("Step “%(step)s” leads to “%(target)s”, which "
                                                 "does not exist.")
                              % {"step": sid, "target": target}))
    reachable = _reachable(steps[0]["id"], by_id)
    for s in steps:
        if s["id"] not in reachable:
            out.append(_p(s["id"], "unreachable", _("Step “%(step)s” can never be reached from "
                                                    "the first step.") % {"step": s["id"]}))
    # A step left unfinished (no link, a dangling one, no buttons) is its own problem: the
    # steps before it are not in a loop, so they are not said to be.
    unfinished = {sid for sid, s in by_id.items() if s["type"] not in FINAL and (
        not links(s) or any(t not in by_id for t in links(s)))}
    finishing = _can_finish(by_id, unfinished)
    for s in steps:
        if s["id"] in reachable and s["id"] not in finishing:
            out.append(_p(s["id"], "no_exit", _("From step “%(step)s” the customer can never "
                                                "reach a handoff or an end: a loop with no way "
                                                "out.") % {"step": s["id"]}))
    return out


def _reachable(start: str, by_id: dict[str, dict]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in links(by_id[todo.pop()]):
            if target in by_id and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _can_finish(by_id: dict[str, dict], unfinished: set[str]) -> set[str]:
    """The steps from which some path reaches a handoff, an end or an unfinished step."""
    done = {sid for sid, s in by_id.items() if s["type"] in FINAL} | unfinished
    changed = True
    while changed:
        changed = False
        for sid, s in by_id.items():
            if sid not in done and any(t in done for t in links(s)):
                done.add(sid)
                changed = True
    return done


def advance(steps: list[dict], start: str | None) -> Iterator[dict]:
    """The steps the customer meets from `start` on, up to and including the first one that
    waits for them or finishes the flow. A published flow has no loop of `message` steps, but
    the walk is bounded anyway."""
    by_id = {s["id"]: s for s in steps}
    current = start
    for _i in range(len(steps) + 1):
        step = by_id.get(current) if current else None
        if step is None:
            return
        yield step
        if step["type"] != "message":
            return
        current = step.get("next")
