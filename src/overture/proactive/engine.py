"""The decision of SPEC §4: which proactive message, if any, a visitor sees now.

The channel's live messages are compiled once into `Entry` objects (predicate, trigger, timing,
frequency) sorted by priority, and cached per process. The cache is dropped for a channel
whenever something it depends on changes, on every process (see `events` and app wiring).
Deciding a page view then costs two small queries, whatever the number of messages.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from overture.proactive.models import Delivery, ProactiveMessage, Reach
from overture.proactive.rules import ConditionTree, Predicate, VisitContext, compile_tree, prepare
from overture.schedules.hours import Hours, is_open
from overture.schedules.models import Schedule

# A safety net only: invalidation through the hub is what makes changes apply at once.
CACHE_TTL_SECONDS = 300.0
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


@dataclass
class ChannelRules:
    entries: list[Entry]
    loaded: float = field(default_factory=time.monotonic)


class RuleCache:
    def __init__(self) -> None:
        self._rules: dict[int, ChannelRules] = {}
        self._lock = threading.Lock()
        self.compilations = 0  # for the benchmark and tests: how often a channel compiled

    def get(self, db: Session, channel_id: int) -> list[Entry]:
        rules = self._rules.get(channel_id)
        if rules is not None and time.monotonic() - rules.loaded < CACHE_TTL_SECONDS:
            return rules.entries
        entries = compile_channel(db, channel_id)
        with self._lock:
            self._rules[channel_id] = ChannelRules(entries)
            self.compilations += 1
        return entries

    def invalidate(self, channel_ids: set[int] | list[int] | None = None) -> None:
        with self._lock:
            if channel_ids is None or -1 in channel_ids:
                self._rules.clear()
            else:
                for cid in channel_ids:
                    self._rules.pop(cid, None)


def compile_channel(db: Session, channel_id: int) -> list[Entry]:
    rows = db.scalars(select(ProactiveMessage).where(
        ProactiveMessage.channel_id == channel_id, ProactiveMessage.status == "live"))
    schedules: dict[int, Hours | None] = {}
    entries = []
    for m in rows:
        timing = m.timing or {}
        when = timing.get("when", "any_time")
        hours = None
        if when != "any_time":
            sid = timing.get("schedule_id")
            if sid not in schedules:
                schedule = db.get(Schedule, sid) if sid else None
                schedules[sid] = schedule.hours() if schedule else None
            hours = schedules[sid]
        trigger = m.trigger or {}
        entries.append(Entry(
            id=m.id, version=m.version, priority=m.priority,
            published_at=m.published_at or m.created_at,
            predicate=compile_tree(ConditionTree.model_validate(m.conditions)),
            seconds=int(trigger.get("seconds", 0)) if trigger.get("event") == "on_page" else 0,
            when=when, hours=hours, frequency=m.frequency, message=m.message,
            response=m.response, tags=tuple(m.tags or ()),
        ))
    entries.sort(key=lambda e: (e.priority, e.published_at, e.id))
    return entries


@dataclass
class Decision:
    show: Entry | None = None
    delivery: Delivery | None = None  # set when the shown message is already on screen
    pending: list[int] = field(default_factory=list)


def timing_holds(entry: Entry, now: datetime) -> bool:
    if entry.when == "any_time":
        return True
    if entry.hours is None:
        return False  # its schedule is gone: the message is not valid
    open_now = is_open(entry.hours, now)
    return open_now if entry.when == "business_hours" else not open_now


def decide(db: Session, entries: list[Entry], *, visitor_id: int, visit_id: int,
           ctx: VisitContext, seconds_on_page: float, now: datetime,
           suppressed: bool = False) -> Decision:
    """Rules 1–4 of SPEC §4 for one moment of one page view."""
    if suppressed:
        return Decision()
    # Rule 1: a message still on screen in this visit is shown again, and nothing else.
    visit_deliveries = list(db.scalars(select(Delivery).where(
        Delivery.visitor_id == visitor_id, Delivery.visit_id == visit_id)
        .order_by(Delivery.id)))
    for d in reversed(visit_deliveries):
        if d.opened_at is None and d.dismissed_at is None:
            live = next((e for e in entries if e.id == d.message_id), None)
            return Decision(show=live, delivery=d) if live else Decision()
    if not entries:
        return Decision()
    closed_in_visit = {d.message_id for d in visit_deliveries
                       if d.opened_at is not None or d.dismissed_at is not None}
    # All of this customer's reach (few rows, by index) beats an IN list of every message.
    reached = set(db.scalars(select(Reach.message_id).where(Reach.visitor_id == visitor_id)))
    prepared = prepare(ctx)
    pending: set[int] = set()
    winner: Entry | None = None
    for e in entries:
        if e.frequency == "once_per_customer" and e.id in reached:
            continue
        if e.frequency == "once_per_visit" and e.id in closed_in_visit:
            continue
        if not timing_holds(e, now) or not e.predicate(prepared):
            continue
        if e.seconds and seconds_on_page + TRIGGER_SLACK_SECONDS < e.seconds:
            pending.add(e.seconds)
            continue
        if winner is None:
            winner = e
            break  # sorted by priority: the first candidate wins
    return Decision(show=winner, pending=sorted(pending))
