"""The widget API's work: page views → decisions, re-checks, events, identify.

Each is a job for the database lane (kit/lane.py) and reads as three steps: **load** what the
decision needs (the channel's state is already in memory; the customer's comes in one read),
**decide** (`engine.decide`, pure), **write** (lean statements, committed with the lane's batch).
A job yields its statements (`yield hotsql.row(…)` gives back the row), so that the lane can
send the statements of many jobs to PostgreSQL together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy.orm import Session

from overture.i18n import gettext as _
from overture.kit import hotsql
from overture.kit.clock import utcnow
from overture.kit.errors import NotFound, Unauthorized
from overture.kit.hotsql import Steps
from overture.kit.lane import Contended, JobContext
from overture.proactive import engine, render, stats
from overture.proactive.rules import VisitContext
from overture.visitors import recording
from overture.visitors import service as visitors
from overture.visitors.state import FOR_CHECK, FOR_EVENT, FOR_PAGE_VIEW, FOR_REPLAY, Loaded, parse
from overture.webhooks import outbox
from overture.widget.channel_state import ChannelState
from overture.widget.schemas import (
    CheckIn,
    DecisionOut,
    EventIn,
    EventOut,
    IdentifyIn,
    IdentifyOut,
    PageViewIn,
    Sender,
    Show,
)

SENT = "proactive_message.sent"


@lru_cache(maxsize=4096)
def _runs(text: str, first_name: str, full_name: str) -> tuple[list[dict], str]:
    runs = render.runs(text, first_name, full_name)
    return runs, render.plain(runs)


def _show(channel: ChannelState, entry: engine.Entry, delivery_id: int, name: str,
          repeat: bool, language: str) -> Show:
    full = name.strip()
    runs, plain = _runs(entry.message, full.split()[0] if full else "", full)
    # A bot response is sent by the channel's bot (publishing made sure it is connected).
    if entry.response.get("type") == "bot" and channel.bot_name is not None:
        sender = Sender.model_construct(name=channel.bot_name, avatar_url=channel.bot_avatar_url,
                                        kind="bot")
    else:
        sender = Sender.model_construct(name=channel.texts_for(language).sender_name,
                                        avatar_url=channel.sender_avatar_url, kind="agent")
    # Built from values already checked (ids from the database, the compiled message):
    # constructed, not validated again, on the lane's thread.
    return Show.model_construct(
        delivery_id=delivery_id, message_id=entry.id, version=entry.version, text=runs,
        plain_text=plain, sender=sender,
        response=entry.response, repeat=repeat,
    )


def _decision(visitor_id: str, visit_id: int, page_view_id: int, show: Show | None,
              pending: tuple[int, ...] | list[int]) -> DecisionOut:
    """The answer, from values already checked: constructed, not validated again."""
    return DecisionOut.model_construct(visitor_id=visitor_id, visit_id=visit_id,
                                       page_view_id=page_view_id, show=show,
                                       pending=list(pending))


def _context(loaded: Loaded | None, *, url: str, title: str, referrer: str, language: str,
             device_type: str, visit_count: int, pages_in_visit: int,
             attributes: dict) -> VisitContext:
    return VisitContext(
        url=url, title=title, referrer=referrer,
        language=language or (loaded.language if loaded else ""),
        visit_history="returning" if visit_count > 1 else "new",
        device_type=device_type,  # type: ignore[arg-type]
        visit_count=max(visit_count, 1), pages_in_visit=pages_in_visit, attributes=attributes,
    )


def _continues(loaded: Loaded, session_id: str, now: datetime, timeout_minutes: int) -> bool:
    return (loaded.visit_id is not None and loaded.visit_session == session_id
            and loaded.visit_last_seen is not None
            and now - loaded.visit_last_seen <= timedelta(minutes=timeout_minutes))


def page_view(job: JobContext, channel: ChannelState, body: PageViewIn,
              device_type: str) -> Steps[DecisionOut]:
    """Record a page view and decide what the visitor sees (SPEC §4)."""
    now = utcnow()
    # Load: the customer, their visit, what reached them — one statement.
    row = yield hotsql.row(FOR_PAGE_VIEW, anon_id=body.visitor_id, channel_id=channel.id,
                           event_id=body.event_id)
    loaded = parse(row) if row is not None else None
    if loaded is not None and loaded.extra[0] is not None:  # this event id was seen: a retry
        return (yield from _replay(channel, loaded, body, loaded.extra[0]))

    attributes = {**(loaded.attributes if loaded else {}), **body.attributes}
    continues = loaded is not None and _continues(loaded, body.session_id, now,
                                                  channel.visit_timeout_minutes)
    if loaded is None:
        state, visit_count, pages, referrer = engine.VisitorState(), 1, 1, body.referrer
    elif continues:
        state, visit_count = loaded.state, loaded.visit_count
        pages, referrer = loaded.visit_pages + 1, loaded.visit_referrer
    else:
        state, visit_count = loaded.state.for_new_visit(), loaded.visit_count + 1
        pages, referrer = 1, body.referrer

    # Decide: pure.
    decision = engine.decide(channel.entries, state, _context(
        loaded, url=body.url, title=body.title, referrer=referrer, language=body.language,
        device_type=device_type, visit_count=visit_count, pages_in_visit=pages,
        attributes=attributes), 0.0, now)

    # Write: the visitor and visit, the page view, and the showing if there is a new one.
    if loaded is None:
        customer_id = yield from recording.new_visitor(body.visitor_id, body.language,
                                                       attributes, now)
    else:
        customer_id = loaded.customer_id
        language = body.language if body.language and body.language != loaded.language else None
        yield from recording.update_visitor(
            customer_id, new_visit=not continues, now=now, language=language,
            attributes=attributes if attributes != loaded.attributes else None)
    if continues:
        assert loaded is not None and loaded.visit_id is not None
        visit_id = loaded.visit_id
        seq = yield from recording.continue_visit(visit_id, now)
    else:
        visit_id = yield from recording.start_visit(
            visitor_id=customer_id, channel_id=channel.id, session_id=body.session_id,
            referrer=body.referrer, now=now)
        seq = 1
    try:
        page_view_id = yield from recording.add_page_view(
            visit_id=visit_id, visitor_id=customer_id, event_id=body.event_id, url=body.url,
            title=body.title, referrer=body.referrer, seq=seq, device_type=device_type,
            now=now)
    except Contended:
        if loaded is None:
            # A browser id seen for the first time sent an event id already recorded: not a
            # retry of its own (that would have found its visitor), another visitor's.
            raise Unauthorized("this event id belongs to another visitor",
                               code="bad_event") from None
        raise
    show = yield from _record(job, channel, decision, customer_id, visit_id, page_view_id,
                              loaded.name if loaded else "", now,
                              body.language or (loaded.language if loaded else ""), body.url)
    return _decision(body.visitor_id, visit_id, page_view_id, show, decision.pending)


def _record(job: JobContext, channel: ChannelState, decision: engine.Decision,
            customer_id: int, visit_id: int, page_view_id: int, name: str,
            now: datetime, language: str, url: str) -> Steps[Show | None]:
    entry = decision.show
    if entry is None:
        return None
    if decision.on_screen_delivery is not None:
        return _show(channel, entry, decision.on_screen_delivery, name, repeat=True,
                     language=language)
    delivery_id = yield from stats.record_showing(
        job, shard=job.shard, message_id=entry.id, version=entry.version,
        channel_id=channel.id, visitor_id=customer_id, visit_id=visit_id,
        page_view_id=page_view_id, now=now)
    if SENT in channel.hooks:
        steps = outbox.steps_to(channel.hooks[SENT], SENT, outbox.message_data(
            message_id=entry.id, message_name=entry.name, delivery_id=delivery_id,
            channel_id=channel.id, visitor_id=customer_id, url=url), now)
        for step in steps:  # noqa: UP028 — the driver sends answers, which a list can't take
            yield step
    return _show(channel, entry, delivery_id, name, repeat=False, language=language)


def _replay(channel: ChannelState, loaded: Loaded, body: PageViewIn,
            page_view_id: int) -> Steps[DecisionOut]:
    """A retried page view: the same answer as the first time, and nothing written."""
    (pv_id, pv_visitor, pv_visit, url, title, device_type, delivery_id, message_id,
     shown_at) = yield hotsql.row(FOR_REPLAY, page_view_id=page_view_id)
    if pv_visitor != loaded.customer_id:
        raise Unauthorized("this event id belongs to another visitor", code="bad_event")
    entry = next((e for e in channel.entries if e.id == message_id), None)
    show = (_show(channel, entry, delivery_id, loaded.name, repeat=shown_at != pv_id,
                  language=body.language or loaded.language) if entry else None)
    decision = engine.decide(channel.entries, engine.VisitorState(), _context(
        loaded, url=url, title=title, referrer=loaded.visit_referrer, language="",
        device_type=device_type, visit_count=loaded.visit_count,
        pages_in_visit=loaded.visit_pages, attributes=loaded.attributes), 0.0, utcnow())
    return _decision(body.visitor_id, pv_visit, pv_id, show, decision.pending)


def check(job: JobContext, channel: ChannelState, body: CheckIn) -> Steps[DecisionOut]:
    """Decide again at a pending on_page moment of the visit's current page view."""
    now = utcnow()
    row = yield hotsql.row(FOR_CHECK, anon_id=body.visitor_id, channel_id=channel.id,
                           page_view_id=body.page_view_id)
    loaded = parse(row) if row is not None else None
    if loaded is None or loaded.extra[0] != loaded.customer_id \
            or loaded.visit_channel != channel.id:
        raise NotFound(_("page view not found for this visitor"), code="page_view_not_found")
    _pv_visitor, url, title, at, seq, device_type = loaded.extra
    assert loaded.visit_id is not None
    if seq != loaded.visit_pages:
        # The visitor has moved on: only the visit's latest page earns its on_page moments.
        return _decision(body.visitor_id, loaded.visit_id, body.page_view_id, None, ())
    decision = engine.decide(channel.entries, loaded.state, _context(
        loaded, url=url, title=title, referrer=loaded.visit_referrer, language="",
        device_type=device_type, visit_count=loaded.visit_count,
        pages_in_visit=loaded.visit_pages, attributes=loaded.attributes),
        (now - hotsql.read_when(at)).total_seconds(), now)
    show = yield from _record(job, channel, decision, loaded.customer_id, loaded.visit_id,
                              body.page_view_id, loaded.name, now, loaded.language, url)
    return _decision(body.visitor_id, loaded.visit_id, body.page_view_id, show,
                     decision.pending)


@dataclass(frozen=True, slots=True)
class _Delivery:
    id: int
    message_id: int
    visitor_id: int


def event(job: JobContext, channel: ChannelState, body: EventIn) -> Steps[EventOut]:
    """Apply opened / dismissed / replied; a retried event id is not counted again."""
    row = yield hotsql.row(FOR_EVENT, anon_id=body.visitor_id, delivery_id=body.delivery_id)
    if row is None:
        raise NotFound(_("delivery not found for this visitor"), code="delivery_not_found")
    customer_id, delivery_id, message_id, visitor_id, channel_id = row
    if visitor_id != customer_id or channel_id != channel.id:
        raise NotFound(_("delivery not found for this visitor"), code="delivery_not_found")
    notify = None
    hooks = channel.hooks.get(f"proactive_message.{body.kind}")
    if hooks:
        entry = next((e for e in channel.entries if e.id == message_id), None)
        notify = outbox.message_data(
            message_id=message_id, message_name=entry.name if entry else None,
            delivery_id=delivery_id, channel_id=channel.id, visitor_id=visitor_id)
    fresh = yield from stats.apply_event(
        job, shard=job.shard, delivery=_Delivery(delivery_id, message_id, visitor_id),
        kind=body.kind, event_id=body.event_id, now=utcnow(), notify=notify, hooks=hooks)
    return EventOut(ok=True, duplicate=not fresh)


def identify(job: JobContext, channel_id: int, body: IdentifyIn,
             max_lifetime: int) -> IdentifyOut:
    """Identify the browser's visitor with a JWT; the customer's name and email."""
    from overture.channels.models import Channel

    if not job.conn.in_transaction():
        job.conn.begin()  # the lane's: the session joins it and leaves the commit to the lane
    with Session(bind=job.conn) as db:
        channel = db.get(Channel, channel_id)
        if channel is None:
            raise NotFound(_("no channel with this key"), code="channel_not_found")
        customer = visitors.identify(db, channel, body.visitor_id, body.token, max_lifetime)
        db.flush()
        return IdentifyOut(visitor_id=body.visitor_id, name=customer.name, email=customer.email)
