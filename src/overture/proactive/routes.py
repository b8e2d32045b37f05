"""REST API for proactive messages (SPEC §7)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from overture.deps import DB, ApiAdmin
from overture.i18n import gettext as _
from overture.kit.errors import Invalid
from overture.kit.ids import MAX_ID, IdPath
from overture.kit.schemas import IsoDate
from overture.proactive import service, stats
from overture.proactive.models import ProactiveMessage
from overture.proactive.schemas import (
    MessageIn,
    MessageOut,
    MessagePatch,
    StatsOut,
    VisitIn,
    VisitVerdict,
)
from overture.proactive.testvisit import test_visit

router = APIRouter(prefix="/api/v1/proactive-messages", tags=["proactive messages"])

Sort = Literal["name", "status", "channel", "sent", "opened", "replied", "updated_at"]
Order = Literal["asc", "desc"]
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def to_out(row: service.Listed) -> MessageOut:
    m = row.m
    return MessageOut(
        id=m.id, name=m.name, brand_id=m.brand_id, channel_id=m.channel_id,
        channel_name=row.channel_name,
        message=m.message, response=m.response, conditions=m.conditions, trigger=m.trigger,
        tags=m.tags, timing=m.timing, frequency=m.frequency, priority=m.priority,
        status=m.status, actions=row.actions, problems=row.problems, stats=row.stats,
        version=m.version, created_at=m.created_at, updated_at=m.updated_at,
        published_at=m.published_at,
    )


def one_out(db: Session, m: ProactiveMessage) -> MessageOut:
    return to_out(service.describe(db, m))


@router.get("", response_model=list[MessageOut])
def list_messages(
    response: Response, db: DB, user: ApiAdmin, sort: Sort = "updated_at", order: Order = "desc",
    q: str = Query(default="", max_length=120,
                   description="only messages whose name contains this, in any case"),
    status: Literal["draft", "live", "paused", "error"] | None = Query(
        default=None, description="only messages in this status"),
    channel_id: int | None = Query(default=None, ge=1, le=MAX_ID,
                                   description="only messages on this channel"),
    limit: int | None = Query(default=None, ge=1, le=MAX_PAGE_SIZE,
                              description="at most this many messages (all by default)"),
    page: int | None = Query(default=None, ge=1, le=100_000,
                             description=f"which page of `limit` messages ({PAGE_SIZE} when "
                                         "`limit` is not given), from 1"),
):
    """Every proactive message with its problems, actions and all-time totals, sorted.

    Narrowed by `q` (a part of the name, any case), `status` and `channel_id`; paged by `limit`
    and `page` (without either, every message matching comes at once). The `X-Total-Count`
    header says how many match in all (it is left out for a page past the end)."""
    per_page = limit if limit is not None else (PAGE_SIZE if page is not None else None)
    found = service.list_page(
        db, user, sort, order, service.Filters(q, status, channel_id), per_page,
        ((page or 1) - 1) * (per_page or 0), offer=False)
    if found.total is not None:
        response.headers["X-Total-Count"] = str(found.total)
    return [to_out(row) for row in found.rows]


@router.post("", response_model=MessageOut, status_code=201)
def create_message(data: MessageIn, db: DB, user: ApiAdmin):
    return one_out(db, service.create_message(db, data))


@router.get("/{message_id}", response_model=MessageOut)
def get_message(message_id: IdPath, db: DB, user: ApiAdmin):
    return one_out(db, service.access_message(db, user, message_id))


@router.patch("/{message_id}", response_model=MessageOut)
def update_message(message_id: IdPath, patch: MessagePatch, db: DB, user: ApiAdmin):
    m = service.access_message(db, user, message_id, for_update=True)
    return one_out(db, service.update_message(db, m, service.merge_patch(m, patch)))


@router.delete("/{message_id}", status_code=204)
def delete_message(message_id: IdPath, db: DB, user: ApiAdmin):
    service.delete_message(db, service.access_message(db, user, message_id, for_update=True))
    return Response(status_code=204)


def _action(name: str):
    def run(message_id: IdPath, db: DB, user: ApiAdmin):
        m = service.access_message(db, user, message_id, for_update=True)
        return one_out(db, service.LIFECYCLE[name](db, m))

    run.__name__ = f"{name}_message"
    run.__doc__ = f"{name.title()} the message (409 when the action is not offered in its status)."
    return run


for _name in ("publish", "pause", "resume"):
    router.add_api_route(f"/{{message_id}}/{_name}", _action(_name), methods=["POST"],
                         response_model=MessageOut)
router.add_api_route("/{message_id}/clone", _action("clone"), methods=["POST"],
                     response_model=MessageOut, status_code=201)


def _two_years_after(day: date) -> date:
    """The same day two years later (1 March for 29 February)."""
    if day.month == 2 and day.day == 29:
        return date(day.year + 2, 3, 1)
    return day.replace(year=day.year + 2)


@router.get("/{message_id}/stats", response_model=StatsOut, responses={200: {"content": {
    "text/csv": {"schema": {"type": "string", "description": "the same series, one day a row"}},
}}})
def message_stats(message_id: IdPath, db: DB, user: ApiAdmin,
                  first: IsoDate | None = Query(default=None, alias="from"),
                  last: IsoDate | None = Query(default=None, alias="to"),
                  format: Literal["json", "csv"] = "json"):
    """The daily series (distinct customers and raw counts), `from`–`to` inclusive (days in the
    account's time zone, the `time_zone` setting; the last 30 days by default; at most two
    years, else 422 `bad_range`). `format=csv` downloads it."""
    m = service.access_message(db, user, message_id)
    last = last or stats.today(db)
    first = first or last - timedelta(days=29)
    if first > last:
        raise Invalid("from", _("from must not be after to"), code="bad_range")
    if last > _two_years_after(first):
        raise Invalid("from", _("at most two years at a time"), code="bad_range")
    out = stats.series(db, m, first, last)
    if format == "csv":
        return Response(stats.to_csv(out), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="message-{m.id}-{first}-{last}.csv"'})
    return out


@router.post("/{message_id}/test", response_model=VisitVerdict)
def test_message(message_id: IdPath, visit: VisitIn, db: DB, user: ApiAdmin):
    """Test a visit: which conditions hold, whether the whole tree matches, and whether the
    message would be shown now to a new visitor with this visit — and why not."""
    return test_visit(db, service.access_message(db, user, message_id), visit)
