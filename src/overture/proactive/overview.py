"""The overview of every message over a range (SPEC §6): sent, opened, replied, rates,
showings and dismissals side by side, sortable, with the range's CSV.

One statement, however many messages: the daily rows of the range summed per message, joined
with the messages and their channels. The figures are the same sums as each message's report
(`report.build`) for the same range, so the overview, the reports and — for an all-time range —
the list's columns agree.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.accounts.service import require_role
from overture.channels.models import Channel
from overture.proactive import stats
from overture.proactive.models import DailyStat, ProactiveMessage
from overture.proactive.report import percent

COUNTS = stats.COUNTS
# The columns the page sorts by (its links' `sort`), the default first.
SORTS = ("replied", "name", "sent", "opened", "open_rate", "reply_rate", "showings",
         "dismissals")


@dataclass
class Row:
    id: int
    name: str
    status: str
    channel: str | None
    counts: dict[str, int]

    @property
    def open_rate(self) -> float | None:
        return _ratio(self.counts["opened"], self.counts["sent"])

    @property
    def reply_rate(self) -> float | None:
        return _ratio(self.counts["replied"], self.counts["sent"])

    @property
    def rates(self) -> dict[str, str]:
        return {"open": percent(self.counts["opened"], self.counts["sent"]),
                "reply": percent(self.counts["replied"], self.counts["sent"])}


@dataclass
class Overview:
    first: date
    last: date
    sort: str
    order: str
    rows: list[Row]
    totals: Row
    peak: int  # the largest `sent` of a row: the bars' full width


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole > 0 else None


def _key(sort: str):
    if sort == "name":
        return lambda r: (r.name.casefold(), r.id)
    if sort in ("open_rate", "reply_rate"):
        # Rows with nothing sent (no rate) sort below every rate, either way.
        return lambda r: (getattr(r, sort) is not None, getattr(r, sort) or 0.0, -r.id)
    return lambda r: (r.counts[sort], -r.id)


def rows(db: Session, first: date, last: date) -> list[Row]:
    """Every message with its range's sums (zeros when it has no rows in the range)."""
    in_range = (select(DailyStat.message_id,
                       *(func.sum(getattr(DailyStat, c)).label(c) for c in COUNTS))
                .where(DailyStat.day >= first, DailyStat.day <= last)
                .group_by(DailyStat.message_id).subquery("in_range"))
    q = (select(ProactiveMessage.id, ProactiveMessage.name, ProactiveMessage.status,
                Channel.name.label("channel"),
                *(func.coalesce(getattr(in_range.c, c), 0).label(c) for c in COUNTS))
         .outerjoin(Channel, Channel.id == ProactiveMessage.channel_id)
         .outerjoin(in_range, in_range.c.message_id == ProactiveMessage.id)
         .order_by(ProactiveMessage.id))
    return [Row(r.id, r.name, r.status, r.channel, {c: int(getattr(r, c)) for c in COUNTS})
            for r in db.execute(q)]


def build(db: Session, user: User, first: date, last: date, sort: str = "replied",
          order: str = "desc") -> Overview:
    require_role(user, "admin")
    sort = sort if sort in SORTS else SORTS[0]
    order = order if order in ("asc", "desc") else ("asc" if sort == "name" else "desc")
    found = sorted(rows(db, first, last), key=_key(sort), reverse=order == "desc")
    sums = {c: sum(r.counts[c] for r in found) for c in COUNTS}
    totals = Row(0, "", "", None, sums)
    return Overview(first, last, sort, order, found, totals,
                    max([0, *(r.counts["sent"] for r in found)]))


def to_csv(ov: Overview) -> str:
    """One message a row, in the page's order; names neutralised as in `stats.to_csv`."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["message_id", "message", "channel", "from", "to", *COUNTS])
    for r in ov.rows:
        writer.writerow([r.id, stats.safe_cell(r.name), stats.safe_cell(r.channel or ""),
                         ov.first.isoformat(), ov.last.isoformat(),
                         *(r.counts[c] for c in COUNTS)])
    return buf.getvalue()
