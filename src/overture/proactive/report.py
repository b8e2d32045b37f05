"""A message's report (SPEC §6): its daily series for a range, the range's totals, rates and
funnel, the tickets it started (by tag), and the chart's geometry, drawn on the server.

The figures are the REST API's (`stats.series`, the same rows, the same days): the page and
`GET /api/v1/proactive-messages/{id}/stats?from=&to=` never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from overture.conversations.models import Ticket, TicketTag
from overture.i18n import current_locale
from overture.i18n import gettext as _
from overture.proactive import stats
from overture.proactive.models import ProactiveMessage
from overture.proactive.schemas import StatsOut

DEFAULT_DAYS = 30
SERIES = ("sent", "opened", "replied")


class BadRange(ValueError):
    """A range the report cannot show; its message says why, in the reader's language."""


def _day(value: str | None, name: str) -> date | None:
    if value is None or value.strip() == "":
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise BadRange(_("%(field)s: enter a date like 2026-12-24")
                       % {"field": name}) from None


def parse_range(first: str | None, last: str | None, today: date) -> tuple[date, date]:
    """The range asked for (the last 30 days by default); `BadRange` if it cannot be shown."""
    to_day = _day(last, _("To")) or today
    from_day = _day(first, _("From")) or to_day - timedelta(days=DEFAULT_DAYS - 1)
    if from_day > to_day:
        raise BadRange(_("The start of the range is after its end: choose a start on or before "
                         "the end."))
    if to_day > two_years_after(from_day):
        raise BadRange(_("The range is longer than two years: choose a later start or an "
                         "earlier end."))
    return from_day, to_day


def two_years_after(day: date) -> date:
    """The same day two years later (1 March for 29 February): a range's furthest end, as the
    REST API allows it."""
    if day.month == 2 and day.day == 29:
        return date(day.year + 2, 3, 1)
    return day.replace(year=day.year + 2)


def percent(part: int, whole: int) -> str:
    """`part` of `whole` as a percentage in the reader's language; a dash when `whole` is 0."""
    if whole <= 0:
        return "—"
    return format_percent(part / whole, "#,##0.0%", locale=current_locale.get())


def number(n: int) -> str:
    return format_decimal(n, locale=current_locale.get())


@dataclass
class TagCount:
    tag: str
    tickets: int


@dataclass
class Chart:
    """A grouped bar chart of sent, opened and replied per day, in SVG user units."""

    width: int
    height: int
    left: int
    top: int
    plot_w: float
    plot_h: float
    y_ticks: list[tuple[float, int]]  # (y, value)
    x_labels: list[tuple[float, str]]  # (x, label)
    bars: list[dict] = field(default_factory=list)  # x, y, w, h, series, day, value


@dataclass
class Report:
    message: ProactiveMessage
    first: date
    last: date
    out: StatsOut
    totals: dict[str, int]  # sums of the range's days
    rates: dict[str, str]
    tickets: int
    tags: list[TagCount]
    chart: Chart
    zone: str = "UTC"  # the account's time zone: the one the days are in


def _nice_top(peak: int) -> tuple[int, int]:
    """A round top for the y axis and the step between its ticks (4 or 5 ticks)."""
    if peak <= 4:
        return 4, 1
    step = 1
    while True:
        for mult in (1, 2, 5):
            s = step * mult
            if peak / s <= 5:
                top = -(-peak // s) * s
                return top, s
        step *= 10


def chart(out: StatsOut) -> Chart:
    days = out.days
    left, top, right, bottom = 48, 12, 12, 40
    width = max(900, min(1400, left + right + len(days) * 12))
    height = 260
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([0, *(getattr(d, s) for d in days for s in SERIES)])
    y_top, step = _nice_top(peak)
    ticks = [(round(top + plot_h - v / y_top * plot_h, 1), v)
             for v in range(0, y_top + 1, step)]
    slot = plot_w / max(1, len(days))
    every = max(1, -(-len(days) * 64 // plot_w))  # one label per ~64 units at most
    labels = []
    bars = []
    bar_w = max(0.5, slot * 0.8 / len(SERIES))
    for i, d in enumerate(days):
        x0 = left + i * slot
        if i % every == 0:
            labels.append((round(x0 + slot / 2, 1), d.day.isoformat()))
        for k, s in enumerate(SERIES):
            value = getattr(d, s)
            h = value / y_top * plot_h
            bars.append({"x": round(x0 + slot * 0.1 + k * bar_w, 2),
                         "y": round(top + plot_h - h, 2), "w": round(bar_w, 2),
                         "h": round(h, 2), "series": s, "day": d.day.isoformat(),
                         "value": value})
    return Chart(width, height, left, top, plot_w, plot_h, ticks, labels, bars)


def tickets_by_tag(db: Session, message_id: int, first: date,
                   last: date) -> tuple[int, list[TagCount]]:
    """The tickets the message started in the range (days in the account's zone), and how many
    carry each tag."""
    zone = ZoneInfo(stats.zone_name(db))
    start = _moment(first, zone)
    end = _moment(last + timedelta(days=1), zone)
    in_range = (Ticket.proactive_message_id == message_id, Ticket.created_at >= start,
                Ticket.created_at < end)
    count = db.scalar(select(func.count()).select_from(Ticket).where(*in_range)) or 0
    rows = db.execute(
        select(TicketTag.tag, func.count().label("n"))
        .join(Ticket, Ticket.id == TicketTag.ticket_id).where(*in_range)
        .group_by(TicketTag.tag).order_by(func.count().desc(), TicketTag.tag))
    return int(count), [TagCount(r.tag, int(r.n)) for r in rows]


def _moment(day: date, zone: ZoneInfo) -> datetime:
    """The day's first moment in `zone`, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def build(db: Session, m: ProactiveMessage, first: date, last: date) -> Report:
    out = stats.series(db, m, first, last)
    totals = {c: sum(getattr(d, c) for d in out.days) for c in stats.COUNTS}
    rates = {
        "open": percent(totals["opened"], totals["sent"]),
        "reply_of_opened": percent(totals["replied"], totals["opened"]),
        "reply_of_sent": percent(totals["replied"], totals["sent"]),
    }
    count, tags = tickets_by_tag(db, m.id, first, last)
    return Report(m, first, last, out, totals, rates, count, tags, chart(out),
                  zone=stats.zone_name(db))
