"""Deliveries and counters (SPEC §6): exact and idempotent, also under concurrent requests.

Distinct counts come from `message_reach` (one row per message and customer, inserted or
stamped with compare-and-set), raw counts from events whose client-made ids are stored once.
Counters live in the daily rows only, and are only ever changed by an atomic upsert that adds
to them — never read-modify-write. Each writer adds to its own shard of the day (the lane
thread's number), so the showings of a popular message don't queue on one row; totals are
sums.

Days are the account's (its `time_zone` setting, UTC by default): an event counts on the date
it happened there. The zone is known to the process (`use_zone`, from the channel state the
widget loads anyway, so counting costs no query); a process that hasn't loaded one yet reads
it once. A changed zone applies to events from then on: stored days are not rewritten.
"""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from overture.accounts.service import get_settings_row, zone_of
from overture.i18n import gettext as _
from overture.kit import hotsql
from overture.kit.clock import utcnow
from overture.kit.errors import Invalid
from overture.kit.hotsql import HotSQL, Steps
from overture.kit.lane import Contended, JobContext
from overture.proactive.models import DailyStat, ProactiveMessage
from overture.proactive.schemas import DayStats, StatsOut
from overture.webhooks import outbox

EVENT_KINDS = ("opened", "dismissed", "replied")
COUNTS = ("sent", "opened", "replied", "showings", "opens", "dismissals", "replies")
SHARDS = 16
_RAW = {"opened": "opens", "dismissed": "dismissals", "replied": "replies"}
_DISTINCT = {"opened": "opened", "replied": "replied"}

_DELIVERY = HotSQL("""
    INSERT INTO deliveries (message_id, message_version, channel_id, visitor_id, visit_id,
                            page_view_id, sent_at)
    VALUES (:message_id, :version, :channel_id, :visitor_id, :visit_id, :page_view_id, :now)
    ON CONFLICT (visit_id) WHERE opened_at IS NULL AND dismissed_at IS NULL DO NOTHING
    RETURNING id
""")
_REACH = HotSQL("""
    INSERT INTO message_reach (message_id, visitor_id, sent_at)
    VALUES (:message_id, :visitor_id, :now)
    ON CONFLICT (message_id, visitor_id) DO NOTHING RETURNING id
""")
_BUMP = HotSQL(f"""
    INSERT INTO message_daily_stats (message_id, day, shard, {", ".join(COUNTS)})
    VALUES (:message_id, :day, :shard, {", ".join(":" + c for c in COUNTS)})
    ON CONFLICT (message_id, day, shard) DO UPDATE SET
    {", ".join(f"{c} = message_daily_stats.{c} + excluded.{c}" for c in COUNTS)}
""")
_EVENT = HotSQL("""
    INSERT INTO delivery_events (event_id, delivery_id, kind, at)
    VALUES (:event_id, :delivery_id, :kind, :now)
    ON CONFLICT (event_id) DO NOTHING RETURNING event_id
""")
_STAMP_DELIVERY = {kind: HotSQL(f"UPDATE deliveries SET {kind}_at = :now "
                                f"WHERE id = :id AND {kind}_at IS NULL")
                   for kind in EVENT_KINDS}
_STAMP_REACH = {kind: HotSQL(f"UPDATE message_reach SET {kind}_at = :now WHERE "
                             f"message_id = :message_id AND visitor_id = :visitor_id "
                             f"AND {kind}_at IS NULL")
                for kind in _DISTINCT}

_ZONE = HotSQL("SELECT time_zone FROM account_settings WHERE id = 1")
_zone: ZoneInfo | None = None  # this process's idea of the account's zone; None: not known yet
_zone_of = lru_cache(maxsize=64)(zone_of)


def use_zone(name: str | None) -> ZoneInfo:
    """The account's zone is `name` (an IANA name; UTC when unknown) from now on."""
    global _zone
    _zone = _zone_of(name or "UTC")
    return _zone


def forget_zone() -> None:
    """The account's settings changed: read the zone again before the next count."""
    global _zone
    _zone = None


def day_in(zone: ZoneInfo, moment: datetime) -> date:
    """The date of `moment` in `zone` (a naive moment, as SQLite gives them back, is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def today(db: Session) -> date:
    """Today in the account's zone (the settings row read, not the process's cache)."""
    return day_in(_zone_of(get_settings_row(db).time_zone or "UTC"), utcnow())


def zone_name(db: Session) -> str:
    """The account's zone's IANA name ("UTC" for one this server does not know)."""
    return _zone_of(get_settings_row(db).time_zone or "UTC").key


def _account_zone() -> Steps[ZoneInfo]:
    zone = _zone
    if zone is None:
        zone = use_zone((yield hotsql.value(_ZONE)))
    return zone


def session_shard() -> int:
    """The shard for writes made outside the lane (a thread's own, so they rarely meet)."""
    return threading.get_ident() % SHARDS


def _bump(job: JobContext | None, shard: int, message_id: int, now: datetime,
          counts: dict[str, int]) -> Steps[None]:
    """Add to the message's daily row (the day `now` is in the account's zone): at the batch's
    commit in the lane, at once otherwise."""
    day = day_in((yield from _account_zone()), now)
    if job is not None:
        acc = job.deferred("daily_stats", _flush_bumps)
        row = acc.setdefault((message_id, day, shard % SHARDS), dict.fromkeys(COUNTS, 0))
        for name, n in counts.items():
            row[name] += n
        return
    yield _bump_step(message_id, day, shard % SHARDS, counts)


def _flush_bumps(conn: Connection, acc: dict) -> None:
    hotsql.run_all(conn, [_bump_step(message_id, day, shard, counts)
                          for (message_id, day, shard), counts in sorted(acc.items())])


def _bump_step(message_id: int, day: date, shard: int, counts: dict[str, int]) -> hotsql.Step:
    return hotsql.count(_BUMP, message_id=message_id, day=day, shard=shard,
                        **{c: counts.get(c, 0) for c in COUNTS})


def record_showing(job: JobContext | None, *, shard: int, message_id: int, version: int,
                   channel_id: int, visitor_id: int, visit_id: int, page_view_id: int,
                   now: datetime) -> Steps[int]:
    """A new delivery on screen; its id. `Contended` if the visit already has one on screen."""
    delivery_id = yield hotsql.value(
        _DELIVERY, message_id=message_id, version=version, channel_id=channel_id,
        visitor_id=visitor_id, visit_id=visit_id, page_view_id=page_view_id, now=now)
    if delivery_id is None:
        raise Contended("another message went on screen in this visit at the same moment")
    first = yield hotsql.value(_REACH, message_id=message_id, visitor_id=visitor_id, now=now)
    yield from _bump(job, shard, message_id, now,
                     {"showings": 1, "sent": int(first is not None)})
    return delivery_id


def apply_event(job: JobContext | None, *, shard: int, delivery: Any, kind: str,
                event_id: str, now: datetime, notify: dict | None = None,
                hooks: tuple[int, ...] | None = None) -> Steps[bool]:
    """Apply one client event to a delivery (anything with id, message_id and visitor_id).

    False when this event id was applied before (a retry): nothing is counted again.
    Outside the lane (`job` None), run it with `hotsql.drive(connection, …)`. With `notify`
    (the event's data), the delivery's first event of the kind goes to webhooks too: to
    `hooks` (their ids, as the widget's channel state knows them), or to every webhook that
    takes it.
    """
    if kind not in EVENT_KINDS:
        raise Invalid("kind", _("kind must be one of: %(kinds)s")
                      % {"kinds": ", ".join(EVENT_KINDS)})
    fresh = yield hotsql.value(_EVENT, event_id=event_id, delivery_id=delivery.id, kind=kind,
                               now=now)
    if fresh is None:
        return False
    counts = {}
    if (yield hotsql.count(_STAMP_DELIVERY[kind], id=delivery.id, now=now)) == 1:
        counts[_RAW[kind]] = 1
    if kind in _DISTINCT and (yield hotsql.count(
            _STAMP_REACH[kind], message_id=delivery.message_id,
            visitor_id=delivery.visitor_id, now=now)) == 1:
        counts[_DISTINCT[kind]] = 1
    if counts:
        yield from _bump(job, shard, delivery.message_id, now, counts)
    if notify is not None and _RAW[kind] in counts:
        event = f"proactive_message.{kind}"
        steps = (outbox.steps_to(hooks, event, notify, now) if hooks is not None
                 else [outbox.step(event, notify, now)])
        for step in steps:  # noqa: UP028 — the driver sends answers, which a list can't take
            yield step
    return True


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


# A cell a spreadsheet would read as a formula: written with a leading apostrophe, as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` as a CSV cell that no spreadsheet runs (CSV injection): text starting with
    = + - @, a tab or a carriage return gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(out: StatsOut, name: str | None = None) -> str:
    """One day a row; with `name`, a first column names the message (neutralised, quoted)."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    head = ["message"] if name is not None else []
    writer.writerow([*head, "day", *COUNTS])
    first = [safe_cell(name)] if name is not None else []
    for d in out.days:
        writer.writerow([*first, d.day.isoformat(), *(getattr(d, c) for c in COUNTS)])
    return buf.getvalue()
