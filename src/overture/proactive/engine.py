"""The decision of SPEC §4: which proactive message, if any, a visitor sees now.

A channel's live messages are compiled once into `Entry` objects (predicate, trigger, timing,
frequency), sorted by priority, and held per process with the rest of the channel's state
(widget/channel_state.py). `decide` is then a pure function of those entries, the customer's
state (`VisitorState`, loaded in one read), the visit and the clock: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from overture.proactive.models import ProactiveMessage
from overture.proactive.rules import (
    ConditionTree,
    Predicate,
    PreparedContext,
    VisitContext,
    compile_tree,
    prepare,
)
from overture.schedules.hours import Hours, is_open
from overture.schedules.models import Schedule, hours_from

# Timers in browsers fire a little early or late; a re-check this close to the moment counts.
TRIGGER_SLACK_SECONDS = 0.75


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    version: int
    priority: int
    published_at: datetime
    predicate: Predicate
    seconds: int  # 0 for page_load
    when: str  # any_time | business_hours | outside_business_hours
    hours: Hours | None
    frequency: str
    message: str
    response: dict
    tags: tuple[str, ...]
    name: str = ""  # for webhooks' events


_LIVE = select(
    ProactiveMessage.id, ProactiveMessage.name, ProactiveMessage.version, ProactiveMessage.priority,
    ProactiveMessage.published_at, ProactiveMessage.created_at, ProactiveMessage.conditions,
    ProactiveMessage.trigger, ProactiveMessage.timing, ProactiveMessage.frequency,
    ProactiveMessage.message, ProactiveMessage.response, ProactiveMessage.tags,
).where(ProactiveMessage.status == "live")


def compile_channel(conn: Connection, channel_id: int) -> tuple[Entry, ...]:
    """The channel's live messages as entries, winners first (SPEC §4 rule 3)."""
    rows = conn.execute(_LIVE.where(ProactiveMessage.channel_id == channel_id)).all()
    schedule_ids = {(r.timing or {}).get("schedule_id") for r in rows} - {None}
    hours: dict[int, Hours] = {}
    if schedule_ids:
        for s in conn.execute(select(Schedule.id, Schedule.timezone, Schedule.intervals,
                                     Schedule.holidays).where(Schedule.id.in_(schedule_ids))):
            hours[s.id] = hours_from(s.timezone, s.intervals, s.holidays)
    entries = []
    for m in rows:
        timing = m.timing or {}
        when = timing.get("when", "any_time")
        trigger = m.trigger or {}
        entries.append(Entry(
            id=m.id, version=m.version, priority=m.priority,
            published_at=m.published_at or m.created_at,
            predicate=compile_tree(ConditionTree.model_validate(m.conditions)),
            seconds=int(trigger.get("seconds", 0)) if trigger.get("event") == "on_page" else 0,
            when=when, hours=None if when == "any_time" else hours.get(timing.get("schedule_id")),
            frequency=m.frequency, message=m.message, response=m.response,
            tags=tuple(m.tags or ()), name=m.name,
        ))
    entries.sort(key=lambda e: (e.priority, e.published_at, e.id))
    return tuple(entries)


@dataclass(frozen=True, slots=True)
class VisitorState:
    """What the decision needs to know about the customer and the current visit."""

    open_conversation: bool = False
    # Every message ever shown to this customer (once_per_customer).
    reached: frozenset[int] = frozenset()
    # (delivery id, message id) shown in this visit and neither opened nor dismissed.
    on_screen: tuple[int, int] | None = None
    # Messages opened or dismissed in this visit (once_per_visit).
    closed_in_visit: frozenset[int] = frozenset()

    def for_new_visit(self) -> VisitorState:
        return VisitorState(open_conversation=self.open_conversation, reached=self.reached)


@dataclass(frozen=True, slots=True)
class Decision:
    show: Entry | None = None
    # Set when the message shown is the one already on screen: no new delivery.
    on_screen_delivery: int | None = None
    pending: tuple[int, ...] = ()


def timing_holds(entry: Entry, now: datetime) -> bool:
    if entry.when == "any_time":
        return True
    if entry.hours is None:
        return False  # its schedule is gone: the message is not valid
    open_now = is_open(entry.hours, now)
    return open_now if entry.when == "business_hours" else not open_now


def decide(entries: tuple[Entry, ...] | list[Entry], state: VisitorState,
           visit: VisitContext | PreparedContext, seconds_on_page: float,
           now: datetime) -> Decision:
    """Rules 1–4 of SPEC §4 for one moment of one page view. Pure: no I/O."""
    if state.open_conversation:
        return Decision()
    # Rule 1: a message still on screen in this visit is shown again, and nothing else.
    if state.on_screen is not None:
        delivery_id, message_id = state.on_screen
        live = next((e for e in entries if e.id == message_id), None)
        return Decision(show=live, on_screen_delivery=delivery_id) if live else Decision()
    if not entries:
        return Decision()
    prepared = visit if isinstance(visit, PreparedContext) else prepare(visit)
    pending: set[int] = set()
    reached, closed = state.reached, state.closed_in_visit
    for e in entries:  # the hot loop: cheapest checks first
        waiting = e.seconds and seconds_on_page + TRIGGER_SLACK_SECONDS < e.seconds
        if waiting and e.seconds in pending:
            continue  # it can't win now, and its moment is already listed
        if e.frequency == "once_per_customer" and e.id in reached:
            continue
        if e.frequency == "once_per_visit" and e.id in closed:
            continue
        if e.when != "any_time" and not timing_holds(e, now):
            continue
        if not e.predicate(prepared):
            continue
        if waiting:
            pending.add(e.seconds)
            continue
        # Sorted by priority: the first candidate wins (rule 3).
        return Decision(show=e, pending=tuple(sorted(pending)))
    return Decision(pending=tuple(sorted(pending)))
