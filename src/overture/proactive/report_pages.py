"""The message's report page: a chosen range's chart, totals, rates, funnel and tickets by
tag, and the range's CSV (SPEC §6). Figures are the REST API's (`report.build`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from overture.accounts.service import get_settings_row
from overture.deps import DB, PageAdmin, check_csrf, page_admin
from overture.kit.ids import IdPath
from overture.proactive import overview, report, service, stats
from overture.web.templating import render

BASE = "/admin/proactive-messages"

router = APIRouter(
    prefix=BASE, include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_admin)],
)

From = Annotated[str | None, Query(alias="from", max_length=40)]
To = Annotated[str | None, Query(alias="to", max_length=40)]


def _in_range(request: Request, db, first: str | None, last: str | None, template: str,
              **refused: object):
    """The range asked for, or the page that says why it is refused (422); one of them None."""
    try:
        return report.parse_range(first, last, stats.today(db)), None
    except report.BadRange as e:
        return None, render(request, template, status_code=422, error=str(e), **refused)


def _message_in_range(request: Request, db, user, message_id: int, first: str | None,
                      last: str | None):
    """The message, and its report's range or the report page saying why it is refused."""
    m = service.access_message(db, user, message_id)
    asked, refusal = _in_range(request, db, first, last, "admin/proactive_report.html",
                               message=m, asked={"from": first or "", "to": last or ""},
                               report=None)
    return m, asked, refusal


@router.get("/{message_id}/report")
def message_report(message_id: IdPath, request: Request, db: DB, user: PageAdmin,
                   first: From = None, last: To = None):
    m, asked, refusal = _message_in_range(request, db, user, message_id, first, last)
    if refusal:
        return refusal
    start, end = asked
    built = report.build(db, m, start, end)
    return render(request, "admin/proactive_report.html", message=m, error=None, report=built,
                  asked={"from": start.isoformat(), "to": end.isoformat()},
                  csv_href=f"{BASE}/{m.id}/report.csv?from={start}&to={end}")


@router.get("/{message_id}/report.csv")
def message_report_csv(message_id: IdPath, request: Request, db: DB, user: PageAdmin,
                       first: From = None, last: To = None):
    """The range's daily series as CSV, the message's name in the first column."""
    m, asked, refusal = _message_in_range(request, db, user, message_id, first, last)
    if refusal:
        return refusal
    start, end = asked
    out = stats.series(db, m, start, end)
    return Response(stats.to_csv(out, name=m.name), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="message-{m.id}-{start}-{end}.csv"'})


def _overview_asked(first: str | None, last: str | None, sort: str, order: str):
    return {"from": first or "", "to": last or "", "sort": sort, "order": order}


@router.get("/overview")
def messages_overview(request: Request, db: DB, user: PageAdmin, first: From = None,
                      last: To = None, sort: Annotated[str, Query(max_length=20)] = "replied",
                      order: Annotated[str, Query(max_length=4)] = ""):
    """Every message's figures over a range, side by side, sortable by each column."""
    _held = get_settings_row(db)  # the session keeps it while held: today and the zone read it
    asked, refusal = _in_range(request, db, first, last, "admin/proactive_overview.html",
                               asked=_overview_asked(first, last, sort, order), ov=None)
    if refusal:
        return refusal
    start, end = asked
    ov = overview.build(db, user, start, end, sort, order)
    asked = _overview_asked(start.isoformat(), end.isoformat(), ov.sort, ov.order)
    return render(request, "admin/proactive_overview.html", error=None, ov=ov, asked=asked,
                  zone=stats.zone_name(db),
                  csv_href=f"{BASE}/overview.csv?from={start}&to={end}"
                           f"&sort={ov.sort}&order={ov.order}")


@router.get("/overview.csv")
def messages_overview_csv(request: Request, db: DB, user: PageAdmin, first: From = None,
                          last: To = None,
                          sort: Annotated[str, Query(max_length=20)] = "replied",
                          order: Annotated[str, Query(max_length=4)] = ""):
    """The overview's rows as CSV, in the page's order."""
    asked, refusal = _in_range(request, db, first, last, "admin/proactive_overview.html",
                               asked=_overview_asked(first, last, sort, order), ov=None)
    if refusal:
        return refusal
    start, end = asked
    ov = overview.build(db, user, start, end, sort, order)
    return Response(overview.to_csv(ov), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="messages-{start}-{end}.csv"'})
