"""Deliveries and counters (SPEC §6): exact and idempotent, also under concurrent requests.

Distinct counts come from `message_reach` (one row per message and customer, inserted or
stamped with compare-and-set), raw counts from events whose client-made ids are stored once.
Counter columns are only ever changed by `UPDATE … SET n = n + 1`, never read-modify-write.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from overture.i18n import gettext as _
from overture.kit.errors import Invalid
from overture.kit.upsert import add_to, insert_ignore
from overture.proactive.models import DailyStat, Delivery, DeliveryEvent, ProactiveMessage, Reach
from overture.proactive.schemas import DayStats, StatsOut

EVENT_KINDS = ("opened", "dismissed", "replied")
_RAW = {"opened": "opens", "dismissed": "dismissals", "replied": "replies"}
_DISTINCT = {"opened": "opened", "replied": "replied"}


def _bump(db: Session, message_id: int, day: date, counts: dict[str, int]) -> None:
    db.execute(update(ProactiveMessage).where(ProactiveMessage.id == message_id).values(
        {getattr(ProactiveMessage, k): getattr(ProactiveMessage, k) + n
         for k, n in counts.items()}).execution_options(synchronize_session=False))
    add_to(db, DailyStat.__table__, {"message_id": message_id, "day": day}, counts)


def record_showing(db: Session, *, message_id: int, version: int, channel_id: int,
                   visitor_id: int, visit_id: int, page_view_id: int,
                   now: datetime) -> Delivery:
    delivery = Delivery(message_id=message_id, message_version=version, channel_id=channel_id,
                        visitor_id=visitor_id, visit_id=visit_id, page_view_id=page_view_id,
                        sent_at=now)
    db.add(delivery)
    db.flush()
    first = insert_ignore(db, Reach.__table__, {
        "message_id": message_id, "visitor_id": visitor_id, "sent_at": now,
    }, conflict=["message_id", "visitor_id"])
    _bump(db, message_id, now.date(), {"showings": 1, **({"sent": 1} if first else {})})
    return delivery


def apply_event(db: Session, delivery: Delivery, kind: str, event_id: str,
                now: datetime) -> bool:
    """Apply one client event; False when this event id was applied before (a retry)."""
    if kind not in EVENT_KINDS:
        raise Invalid("kind", _("kind must be one of: %(kinds)s")
                      % {"kinds": ", ".join(EVENT_KINDS)})
    fresh = insert_ignore(db, DeliveryEvent.__table__, {
        "event_id": event_id, "delivery_id": delivery.id, "kind": kind, "at": now,
    }, conflict=["event_id"])
    if not fresh:
        return False
    column = {"opened": Delivery.opened_at, "dismissed": Delivery.dismissed_at,
              "replied": Delivery.replied_at}[kind]
    first_on_delivery = db.execute(
        update(Delivery).where(Delivery.id == delivery.id, column.is_(None))
        .values({column: now}).execution_options(synchronize_session=False)
    ).rowcount == 1
    counts = {_RAW[kind]: 1} if first_on_delivery else {}
    if kind in _DISTINCT:
        reach_col = Reach.opened_at if kind == "opened" else Reach.replied_at
        first_for_customer = db.execute(
            update(Reach).where(Reach.message_id == delivery.message_id,
                                Reach.visitor_id == delivery.visitor_id, reach_col.is_(None))
            .values({reach_col: now}).execution_options(synchronize_session=False)
        ).rowcount == 1
        if first_for_customer:
            counts[_DISTINCT[kind]] = 1
    if counts:
        _bump(db, delivery.message_id, now.date(), counts)
    db.refresh(delivery)
    return True


COUNTS = ("sent", "opened", "replied", "showings", "opens", "dismissals", "replies")


def series(db: Session, m: ProactiveMessage, first: date, last: date) -> StatsOut:
    """Every day from `first` to `last`, zeros included, and the message's totals.

    Daily `sent`/`opened`/`replied` count customers new to the message that day; the totals
    are the distinct customers of all time (SPEC §6).
    """
    rows = {r.day: r for r in db.scalars(select(DailyStat).where(
        DailyStat.message_id == m.id, DailyStat.day >= first, DailyStat.day <= last))}
    days = []
    day = first
    while day <= last:
        row = rows.get(day)
        days.append(DayStats(day=day, **{c: getattr(row, c) if row else 0 for c in COUNTS}))
        day += timedelta(days=1)
    return StatsOut(message_id=m.id, totals={c: getattr(m, c) for c in COUNTS}, days=days)


def to_csv(out: StatsOut) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["day", *COUNTS])
    for d in out.days:
        writer.writerow([d.day.isoformat(), *(getattr(d, c) for c in COUNTS)])
    return buf.getvalue()
