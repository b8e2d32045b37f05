"""Admin pages for proactive messages: the list, the editor and the lifecycle actions.

The editor posts one field, `payload`: the whole message as JSON, built in the browser by
`proactive-editor.js`. All validation happens here, through the same schemas as the REST API;
a refusal names each field by the label beside it ("Condition 2 (Page URL), Value"), and its
path (`conditions.all.1.value`) goes to the script only, which marks the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.accounts.service import get_settings_row, local_time, zone_of
from overture.bots.service import answers_of, list_bots
from overture.brands.service import list_brands
from overture.channels.models import MESSAGING_KINDS, Channel
from overture.channels.service import list_channels
from overture.deps import DB, PageAdmin, check_csrf, page_admin
from overture.i18n import gettext as _
from overture.i18n import ngettext
from overture.kit.clock import utcnow
from overture.kit.errors import DomainError, NotFound
from overture.kit.ids import MAX_ID, IdPath
from overture.proactive import editing, service, stats
from overture.proactive.models import STATUSES, ProactiveMessage
from overture.proactive.rules import FIELDS, LIMITS
from overture.proactive.schemas import MessageIn, MessagePatch
from overture.schedules.service import list_schedules
from overture.web.forms import PostedForm, attempt
from overture.web.templating import ask_before_delete, flash_to, refusal_to, render

BASE = "/admin/proactive-messages"

router = APIRouter(
    prefix=BASE, include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_admin)],
)

COLUMNS = ("name", "status", "channel", "sent", "opened", "replied", "updated_at")
# The order a column sorts in when it is first clicked: words A→Z, figures and dates biggest first.
FIRST_ORDER = {"name": "asc", "status": "asc", "channel": "asc", "sent": "desc",
               "opened": "desc", "replied": "desc", "updated_at": "desc"}
NUMERIC = frozenset({"sent", "opened", "replied"})
ACTIONS = ("publish", "pause", "resume", "clone")


# -- the list -------------------------------------------------------------------------------


PAGE_SIZE = 50


@dataclass(frozen=True)
class ListView:
    """What the list's address says: its sort, its filters and its page."""

    sort: str
    order: str
    q: str
    status: str | None
    channel_id: int | None
    page: int

    def href(self, **changes: Any) -> str:
        """The list's address with `changes` (a changed sort or filter starts at page 1)."""
        values = {"sort": self.sort, "order": self.order, "q": self.q,
                  "status": self.status or "", "channel": self.channel_id or "",
                  "page": self.page} | changes
        if values["page"] == 1:
            values.pop("page")
        return f"{BASE}?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _view(sort: str, order: str, q: str, status: str, channel: str, page: str) -> ListView:
    """The list's address read leniently: what is not understood is left out, as a list
    reached by an old or mistyped link should still show."""
    if sort not in service.SORTS:
        sort = "updated_at"
    if order not in ("asc", "desc"):
        order = FIRST_ORDER[sort]
    channel_id = int(channel) if channel.isdigit() and 1 <= int(channel) <= MAX_ID else None
    number = int(page) if page.isdigit() and 1 <= int(page) <= 100_000 else 1
    return ListView(sort, order, q.strip()[:120], status if status in STATUSES else None,
                    channel_id, number)


def _columns(view: ListView) -> list[dict[str, Any]]:
    out = []
    for key in COLUMNS:
        active = key == view.sort
        next_order = ("desc" if view.order == "asc" else "asc") if active else FIRST_ORDER[key]
        out.append({"key": key, "active": active, "order": view.order if active else None,
                    "numeric": key in NUMERIC,
                    "href": view.href(sort=key, order=next_order, page=1)})
    return out


def _pager(view: ListView, total: int | None) -> dict[str, Any]:
    pages = max(1, -(-total // PAGE_SIZE)) if total is not None else None
    first = (view.page - 1) * PAGE_SIZE + 1
    return {
        "page": view.page, "pages": pages, "total": total,
        "first": first, "last": min(first + PAGE_SIZE - 1, total or 0),
        "previous": view.href(page=view.page - 1) if view.page > 1 else None,
        "next": view.href(page=view.page + 1) if pages and view.page < pages else None,
        "start": view.href(page=1),
    }


@router.get("")
def list_page(request: Request, db: DB, user: PageAdmin, sort: str = "updated_at",
              order: str = "", q: str = "", status: str = "", channel: str = "",
              page: str = ""):
    view = _view(sort, order, q, status, channel, page)
    settings = get_settings_row(db)
    found = service.list_page(db, user, view.sort, view.order,
                              service.Filters(view.q, view.status, view.channel_id),
                              PAGE_SIZE, (view.page - 1) * PAGE_SIZE)
    rows = [{"m": row.m, "channel": row.channel_name, "stats": row.stats,
             "actions": row.actions, "updated": local_time(row.m.updated_at, settings.time_zone)}
            for row in found.rows]
    return render(request, "admin/proactive_list.html", rows=rows, view=view,
                  columns=_columns(view), sort=view.sort, order=view.order,
                  pager=_pager(view, found.total), republishable=found.republishable,
                  channels=list_channels(db, user), statuses=STATUSES,
                  zone=zone_of(settings.time_zone).key, filtered=bool(
                      view.q or view.status or view.channel_id))


@router.post("/publish-again")
def publish_again(request: Request, db: DB, user: PageAdmin):
    published = service.publish_again(db, user)
    if not published:
        return flash_to(request, _("No message was ready to publish again."), BASE)
    return flash_to(request, ngettext(
        "Published again: %(count)s message. Visitors who match can see it now.",
        "Published again: %(count)s messages. Visitors who match can see them now.",
        len(published)) % {"count": len(published)}, BASE)


# -- the editor -----------------------------------------------------------------------------


def _readable(errors: list[dict[str, str]], posted: Any = None) -> list[dict[str, str]]:
    """Errors as shown beside the form: the field by its label, the message; the path goes
    to the script only, which marks the field (proactive/editing.py)."""
    return editing.readable(errors, posted)


def _read_payload(form: dict[str, Any]) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    raw = form.get("payload", "")
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return None, _readable([{"field": "payload", "msg": _(
            "The form could not be read. Reload the page and try again.")}])
    return data, []


def _usable_channels(db: Session, user: User) -> list[Channel]:
    return [c for c in list_channels(db, user) if c.kind in MESSAGING_KINDS]


def _blank(db: Session, user: User) -> dict[str, Any]:
    """A new message: the only brand and its first web widget chosen, when that is clear."""
    brands = list_brands(db, user)
    brand_id = brands[0].id if len(brands) == 1 else None
    channels = [c for c in _usable_channels(db, user) if c.brand_id == brand_id]
    channels.sort(key=lambda c: (c.kind != "web_widget", c.id))
    return {
        "name": "", "brand_id": brand_id, "channel_id": channels[0].id if channels else None,
        "message": "",
        "response": {"type": "agent", "collect": ["name", "email"], "follow_up": ""},
        "conditions": {"all": []}, "trigger": {"event": "page_load"}, "tags": [],
        "timing": {"when": "any_time"}, "frequency": "once_per_visit", "priority": 1,
    }


def _shown(posted: dict[str, Any] | None, base: dict[str, Any]) -> dict[str, Any]:
    """What the editor shows after a refused save: what was typed, over what was there."""
    if not posted:
        return base
    return base | {k: v for k, v in posted.items() if k in base}


def _editor_context(db: Session, user: User, m: ProactiveMessage | None,
                    data: dict[str, Any], errors: list[dict[str, str]]) -> dict[str, Any]:
    channels = []
    for c in list_channels(db, user):
        usable = c.kind in MESSAGING_KINDS
        if usable or (m is not None and c.id == m.channel_id):
            channels.append({"id": c.id, "name": c.name, "brand_id": c.brand_id,
                             "kind": c.kind, "sender_name": c.sender_name, "color": c.color,
                             "usable": usable, "bot_id": c.bot_id})
    return {
        "data": data,
        "message_id": m.id if m is not None else None,
        # The editor tests what is on its screen, saved or not, a new message too.
        "test_url": f"{BASE}/test-visit",
        "languages": editing.languages(),
        "brands": [{"id": b.id, "name": b.name} for b in list_brands(db, user)],
        "channels": channels,
        **_bots(db, user, {c["bot_id"] for c in channels} | {_response_bot(data)}),
        "schedules": [{"id": s.id, "name": s.name, "timezone": s.timezone}
                      for s in list_schedules(db, user)],
        "fields": FIELDS,
        "limits": LIMITS,
        "errors": [{"path": e["path"], "msg": e["msg"]} for e in errors],
    }


def _response_bot(data: dict[str, Any]) -> int | None:
    response = data.get("response")
    bot_id = response.get("bot_id") if isinstance(response, dict) else None
    return bot_id if isinstance(bot_id, int) else None


def _bots(db: Session, user: User, wanted: set[int | None]) -> dict[str, Any]:
    """The bots a bot response may name: those connected to a channel, and the one the message
    names, with their answers; and whether there is any bot at all (to say what to do)."""
    every = list_bots(db, user)
    return {"has_bots": bool(every), "bots": [
        {"id": b.id, "name": b.name, "avatar_url": b.avatar_url, "brand_id": b.brand_id,
         "published": b.status == "published",
         "answers": [{"id": a.id, "name": a.name} for a in answers_of(db, b.id)]}
        for b in every if b.id in wanted]}


def _render_editor(request: Request, db: Session, user: User, m: ProactiveMessage | None,
                   data: dict[str, Any], errors: list[dict[str, str]] | None = None,
                   status_code: int = 200):
    errors = errors or []
    found = service.problems(db, m) if m is not None else []
    refusal = request.session.pop(REFUSAL, None)
    return render(
        request, "admin/proactive_form.html", status_code=status_code, message=m,
        problems=found, actions=service.actions(db, m, found) if m is not None else [],
        channel_name=service.channel_name(db, m) if m is not None else None,
        errors=errors, editor=_editor_context(db, user, m, data, errors),
        series=_last_30_days(db, m) if m is not None else None,
        refusal=refusal["msg"] if isinstance(refusal, dict) and m is not None
        and refusal.get("id") == m.id else None,
    )


REFUSAL = "proactive_refusal"


def _refused_to_editor(request: Request, m: ProactiveMessage, message: str):
    """A refused action, said on the editor as an error (never in the success banner)."""
    request.session[REFUSAL] = {"id": m.id, "msg": message}
    return RedirectResponse(f"{BASE}/{m.id}", status_code=303)


def _last_30_days(db: Session, m: ProactiveMessage):
    last = utcnow().date()
    out = stats.series(db, m, last - timedelta(days=29), last)
    peak = max([1, *(max(d.sent, d.opened, d.replied) for d in out.days)])
    return {"days": out.days, "totals": out.totals, "peak": peak,
            "csv": f"/api/v1/proactive-messages/{m.id}/stats?format=csv"
                   f"&from={out.days[0].day}&to={last}"}


@router.get("/new")
def new_message(request: Request, db: DB, user: PageAdmin):
    return _render_editor(request, db, user, None, _blank(db, user))


@router.post("/test-visit")
def try_a_visit(db: DB, user: PageAdmin, body: editing.TestBody):
    """The test-a-visit panel: the message as it is on the editor's screen, saved or not."""
    return editing.test_on_screen(db, user, body)


@router.post("/new")
def create_message(request: Request, db: DB, user: PageAdmin, form: PostedForm):
    posted, errors = _read_payload(form)
    status_code = 422
    if posted is not None:
        outcome = attempt(db, lambda: service.create_message(db, MessageIn.model_validate(posted)))
        if not outcome.refused and outcome.value is not None:
            return flash_to(request, _("Proactive message created."), f"{BASE}/{outcome.value.id}")
        errors, status_code = _readable(outcome.errors, posted), outcome.status
    return _render_editor(request, db, user, None, _shown(posted, _blank(db, user)), errors,
                          status_code)


# -- deletion (before /{id}/{action}, which would otherwise catch it) -----------------------


@router.get("/{message_id}/delete")
def confirm_delete(message_id: IdPath, request: Request, db: DB, user: PageAdmin):
    m = service.access_message(db, user, message_id)
    warning = (_("Visitors stop seeing it at once. Its statistics are deleted too; tickets it "
                 "started keep their tags.") if m.status == "live" else None)
    return ask_before_delete(request, m.name, f"{BASE}/{m.id}/delete",
                             BASE, warning=warning)


@router.post("/{message_id}/delete")
def delete_message(message_id: IdPath, request: Request, db: DB, user: PageAdmin):
    m = service.access_message(db, user, message_id, for_update=True)
    outcome = attempt(db, lambda: service.delete_message(db, m))
    if outcome.error:
        return refusal_to(request, outcome.error.message, BASE)
    return flash_to(request, _("Proactive message deleted."), BASE)


# -- lifecycle actions ----------------------------------------------------------------------


def _done(action: str) -> str:
    return {
        "publish": _("Published: visitors who match can see it now."),
        "pause": _("Paused: visitors no longer see it."),
        "resume": _("Resumed: visitors who match can see it again."),
        "clone": _("Copy made. It is a Draft; edit it and publish it when ready."),
    }[action]


def _refused(action: str, exc: DomainError) -> str:
    if exc.code == "has_problems" and isinstance(exc.details, list):
        reasons = " ".join(str(p.get("message", "")) for p in exc.details if isinstance(p, dict))
        if action == "publish":
            return _("Not published. %(reasons)s") % {"reasons": reasons}
        return _("Not resumed. %(reasons)s") % {"reasons": reasons}
    return exc.message


@router.post("/{message_id}/{action}")
def run_action(message_id: IdPath, action: str, request: Request, db: DB, user: PageAdmin,
               form: PostedForm):
    if action not in ACTIONS:
        raise NotFound(_("no action %(action)s") % {"action": repr(action)})
    editor = f"{BASE}/{message_id}"
    back = editor if form.get("back") == "edit" else BASE
    m = service.access_message(db, user, message_id, for_update=True)
    outcome = attempt(db, lambda: service.LIFECYCLE[action](db, m))
    if outcome.error is not None:
        # With problems to fix, the editor is where they are listed.
        to = editor if outcome.error.code == "has_problems" else back
        if to == editor:
            return _refused_to_editor(request, m, _refused(action, outcome.error))
        return refusal_to(request, _refused(action, outcome.error), to)
    if action == "clone" and outcome.value is not None:
        return flash_to(request, _done(action), f"{BASE}/{outcome.value.id}")
    return flash_to(request, _done(action), back)


# -- editing a saved message ----------------------------------------------------------------


@router.get("/{message_id}")
def edit_message(message_id: IdPath, request: Request, db: DB, user: PageAdmin):
    m = service.access_message(db, user, message_id)
    return _render_editor(request, db, user, m, service.current_data(m))


@router.post("/{message_id}")
def update_message(message_id: IdPath, request: Request, db: DB, user: PageAdmin,
                   form: PostedForm):
    m = service.access_message(db, user, message_id, for_update=True)
    posted, errors = _read_payload(form)
    status_code = 422
    if posted is not None:
        outcome = attempt(db, lambda: service.update_message(
            db, m, service.merge_patch(m, MessagePatch.model_validate(posted))))
        if not outcome.refused:
            return flash_to(request, _("Proactive message saved."), f"{BASE}/{m.id}")
        errors, status_code = _readable(outcome.errors, posted), outcome.status
    return _render_editor(request, db, user, m, _shown(posted, service.current_data(m)), errors,
                          status_code)
