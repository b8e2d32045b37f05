"""Deliveries and counters (SPEC §6): exact and idempotent, also under concurrent requests.

Distinct counts come from `message_reach` (one row per message and customer, inserted or
stamped with compare-and-set), raw counts from events whose client-made ids are stored once.
Counters live in the daily rows only, and are only ever changed by an atomic upsert that adds
to them — never read-modify-write. Each writer adds to its own shard of the day (the lane
thread's number), so the showings of a popular message don't queue on one row; totals are
sums.
"""

from __future__ import annotations

import csv
import io
import threading
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from overture.i18n import gettext as _
from overture.kit.errors import Invalid
from overture.kit.lane import Contended
from overture.kit.upsert import add_to, insert_ignore
from overture.proactive.models import DailyStat, Delivery, DeliveryEvent, ProactiveMessage, Reach
from overture.proactive.schemas import DayStats, StatsOut

EVENT_KINDS = ("opened", "dismissed", "replied")
SHARDS = 16
_RAW = {"opened": "opens", "dismissed": "dismissals", "replied": "replies"}
_DISTINCT = {"opened": "opened", "replied": "replied"}
_ON_SCREEN = text("opened_at IS NULL AND dismissed_at IS NULL")
_deliveries = Delivery.__table__
_reach = Reach.__table__

Db = Session | Connection


def session_shard() -> int:
    """The shard for writes made outside the lane (a thread's own, so they rarely meet)."""
    return threading.get_ident() % SHARDS


def _bump(db: Db, shard: int, message_id: int, day: date, counts: dict[str, int]) -> None:
    add_to(db, DailyStat.__table__, {"message_id": message_id, "day": day,
                                     "shard": shard % SHARDS}, counts)


def record_showing(db: Db, *, shard: int, message_id: int, version: int, channel_id: int,
                   visitor_id: int, visit_id: int, page_view_id: int, now: datetime) -> int:
    """A new delivery on screen; its id. `Contended` if the visit already has one on screen."""
    delivery_id = insert_ignore(db, _deliveries, {
        "message_id": message_id, "message_version": version, "channel_id": channel_id,
        "visitor_id": visitor_id, "visit_id": visit_id, "page_view_id": page_view_id,
        "sent_at": now,
    }, conflict=["visit_id"], where=_ON_SCREEN)
    if delivery_id is None:
        raise Contended("another message went on screen in this visit at the same moment")
    first = insert_ignore(db, _reach, {
        "message_id": message_id, "visitor_id": visitor_id, "sent_at": now,
    }, conflict=["message_id", "visitor_id"])
    _bump(db, shard, message_id, now.date(),
          {"showings": 1, **({"sent": 1} if first is not None else {})})
    return delivery_id


def apply_event(db: Db, *, shard: int, delivery: Any, kind: str, event_id: str,
                now: datetime) -> bool:
    """Apply one client event to a delivery (anything with id, message_id and visitor_id).

    False when this event id was applied before (a retry): nothing is counted again.
    """
    if kind not in EVENT_KINDS:
        raise Invalid("kind", _("kind must be one of: %(kinds)s")
                      % {"kinds": ", ".join(EVENT_KINDS)})
    fresh = insert_ignore(db, DeliveryEvent.__table__, {
        "event_id": event_id, "delivery_id": delivery.id, "kind": kind, "at": now,
    }, conflict=["event_id"])
    if fresh is None:
        return False
    column = {"opened": _deliveries.c.opened_at, "dismissed": _deliveries.c.dismissed_at,
              "replied": _deliveries.c.replied_at}[kind]
    first_on_delivery = db.execute(
        update(_deliveries).where(_deliveries.c.id == delivery.id, column.is_(None))
        .values({column: now})
    ).rowcount == 1
    counts = {_RAW[kind]: 1} if first_on_delivery else {}
    if kind in _DISTINCT:
        reach_col = _reach.c.opened_at if kind == "opened" else _reach.c.replied_at
        first_for_customer = db.execute(
            update(_reach).where(_reach.c.message_id == delivery.message_id,
                                 _reach.c.visitor_id == delivery.visitor_id,
                                 reach_col.is_(None))
            .values({reach_col: now})
        ).rowcount == 1
        if first_for_customer:
            counts[_DISTINCT[kind]] = 1
    if counts:
        _bump(db, shard, delivery.message_id, now.date(), counts)
    return True


COUNTS = ("sent", "opened", "replied", "showings", "opens", "dismissals", "replies")


def totals_by_message():
    """A subquery of every message's all-time counters (sums of its daily rows)."""
    return (select(DailyStat.message_id,
                   *(func.sum(getattr(DailyStat, c)).label(c) for c in COUNTS))
            .group_by(DailyStat.message_id).subquery("totals"))


def totals(db: Session, message_id: int) -> dict[str, int]:
    row = db.execute(select(*(func.coalesce(func.sum(getattr(DailyStat, c)), 0).label(c)
                              for c in COUNTS))
                     .where(DailyStat.message_id == message_id)).one()
    return {c: int(getattr(row, c)) for c in COUNTS}


def series(db: Session, m: ProactiveMessage, first: date, last: date) -> StatsOut:
    """Every day from `first` to `last`, zeros included, and the message's totals.

    Daily `sent`/`opened`/`replied` count customers new to the message that day; the totals
    are the distinct customers of all time (SPEC §6).
    """
    rows = {r.day: r for r in db.execute(
        select(DailyStat.day, *(func.sum(getattr(DailyStat, c)).label(c) for c in COUNTS))
        .where(DailyStat.message_id == m.id, DailyStat.day >= first, DailyStat.day <= last)
        .group_by(DailyStat.day))}
    days = []
    day = first
    while day <= last:
        row = rows.get(day)
        days.append(DayStats(day=day, **{c: int(getattr(row, c)) if row else 0
                                         for c in COUNTS}))
        day += timedelta(days=1)
    return StatsOut(message_id=m.id, totals=totals(db, m.id), days=days)


def to_csv(out: StatsOut) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["day", *COUNTS])
    for d in out.days:
        writer.writerow([d.day.isoformat(), *(getattr(d, c) for c in COUNTS)])
    return buf.getvalue()
