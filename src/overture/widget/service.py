"""The widget API's work: page views → decisions, re-checks, events, identify."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from overture.accounts.service import get_settings_row
from overture.channels.models import Channel
from overture.i18n import gettext as _
from overture.kit.clock import utcnow
from overture.kit.errors import NotFound
from overture.proactive import engine, render, stats
from overture.proactive.models import Delivery
from overture.proactive.rules import VisitContext
from overture.visitors import service as visitors
from overture.visitors.models import PageView, Visit, Visitor
from overture.widget.schemas import (
    CheckIn,
    DecisionOut,
    EventIn,
    EventOut,
    IdentifyIn,
    PageViewIn,
    Sender,
    Show,
)

# Extra reasons not to show anything (e.g. an open conversation); each returns True to suppress.
suppressors: list = []


def _context(visitor: Visitor, visit: Visit, page_view: PageView, language: str,
             device_type: str) -> VisitContext:
    return VisitContext(
        url=page_view.url, title=page_view.title, referrer=visit.referrer,
        language=language or visitor.language or "",
        visit_history="returning" if (visitor.visit_count or 0) > 1 else "new",
        device_type=device_type,  # type: ignore[arg-type]
        visit_count=max(visitor.visit_count or 1, 1), pages_in_visit=visit.page_views,
        attributes=visitor.attributes or {},
    )


def _names(visitor: Visitor) -> tuple[str, str]:
    full = (visitor.name or "").strip()
    return (full.split()[0] if full else ""), full


def _decide(db: Session, cache: engine.RuleCache, channel: Channel, visitor: Visitor,
            visit: Visit, page_view: PageView, anon_id: str, device_type: str) -> DecisionOut:
    now = utcnow()
    suppressed = any(check(db, channel, visitor) for check in suppressors)
    ctx = _context(visitor, visit, page_view, visitor.language, device_type)
    decision = engine.decide(
        db, cache.get(db, channel.id), visitor_id=visitor.id, visit_id=visit.id, ctx=ctx,
        seconds_on_page=(now - page_view.at).total_seconds(), now=now, suppressed=suppressed,
    )
    show = None
    if decision.show is not None:
        entry = decision.show
        delivery = decision.delivery
        repeat = delivery is not None
        if delivery is None:
            delivery = stats.record_showing(
                db, message_id=entry.id, version=entry.version, channel_id=channel.id,
                visitor_id=visitor.id, visit_id=visit.id, page_view_id=page_view.id, now=now)
        first, full = _names(visitor)
        runs = render.runs(entry.message, first, full)
        is_bot = entry.response.get("type") == "bot"
        show = Show(
            delivery_id=delivery.id, message_id=entry.id, version=entry.version, text=runs,
            plain_text=render.plain(runs),
            sender=Sender(name=channel.sender_name or channel.name,
                          avatar_url=channel.sender_avatar_url,
                          kind="bot" if is_bot else "agent"),
            response=entry.response, repeat=repeat,
        )
    return DecisionOut(visitor_id=anon_id, visit_id=visit.id, page_view_id=page_view.id,
                       show=show, pending=decision.pending)


def page_view(db: Session, cache: engine.RuleCache, channel: Channel, body: PageViewIn,
              user_agent: str) -> DecisionOut:
    settings = get_settings_row(db)
    visitor = visitors.resolve_visitor(db, body.visitor_id)
    assert visitor is not None
    visitors.remember(visitor, body.language, body.attributes)
    visit, pv, _seen = visitors.record_page_view(
        db, channel, visitor, session_id=body.session_id, event_id=body.event_id, url=body.url,
        title=body.title, referrer=body.referrer,
        timeout_minutes=settings.visit_timeout_minutes)
    device = body.device_type or visitors.device_from_user_agent(user_agent)
    return _decide(db, cache, channel, visitor, visit, pv, body.visitor_id, device)


def check(db: Session, cache: engine.RuleCache, channel: Channel, body: CheckIn,
          user_agent: str) -> DecisionOut:
    visitor = visitors.resolve_visitor(db, body.visitor_id, create=False)
    pv = db.get(PageView, body.page_view_id)
    if visitor is None or pv is None or pv.visitor_id != visitor.id:
        raise NotFound(_("page view not found for this visitor"), code="page_view_not_found")
    visit = db.get(Visit, pv.visit_id)
    if visit is None or visit.channel_id != channel.id:
        raise NotFound(_("page view not found for this visitor"), code="page_view_not_found")
    device = visitors.device_from_user_agent(user_agent)
    return _decide(db, cache, channel, visitor, visit, pv, body.visitor_id, device)


def event(db: Session, channel: Channel, body: EventIn) -> EventOut:
    visitor = visitors.resolve_visitor(db, body.visitor_id, create=False)
    delivery = db.scalar(select(Delivery).where(Delivery.id == body.delivery_id))
    if (visitor is None or delivery is None or delivery.visitor_id != visitor.id
            or delivery.channel_id != channel.id):
        raise NotFound(_("delivery not found for this visitor"), code="delivery_not_found")
    fresh = stats.apply_event(db, delivery, body.kind, body.event_id, utcnow())
    return EventOut(ok=True, duplicate=not fresh)


def identify(db: Session, channel: Channel, body: IdentifyIn) -> Visitor:
    return visitors.identify(db, channel, body.visitor_id, body.token)
