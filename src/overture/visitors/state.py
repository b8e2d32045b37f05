"""The customer's state for a decision, in one read.

One statement finds the browser's visitor row and the customer it was merged into (pointers
are one hop: they always point at an identified customer, who is never merged), the
customer's current visit on the channel, whether a conversation is open, whether this event id
was seen before, the messages that ever reached the customer and the visit's deliveries (the
last two as aggregated strings: a handful of ids, not rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, bindparam, case, cast, exists, func, select

from overture.conversations.models import Conversation
from overture.proactive.engine import VisitorState
from overture.proactive.models import Delivery, Reach
from overture.visitors.models import PageView, Visit, Visitor

_V = Visitor.__table__.alias("v")  # the browser's row
_T = Visitor.__table__.alias("t")  # the customer it points to, if merged
_VI = Visit.__table__.alias("vi")
_PV = PageView.__table__.alias("pv")
_CUSTOMER = func.coalesce(_T.c.id, _V.c.id)
_visits = Visit.__table__
_deliveries = Delivery.__table__


def _reached():
    return (select(func.aggregate_strings(cast(Reach.message_id, String), ","))
            .where(Reach.visitor_id == _CUSTOMER).scalar_subquery())


def _visit_deliveries():
    state = case((and_(_deliveries.c.opened_at.is_(None), _deliveries.c.dismissed_at.is_(None)),
                  ":o"), else_=":c")
    item = cast(_deliveries.c.id, String) + ":" + cast(_deliveries.c.message_id, String) + state
    return (select(func.aggregate_strings(item, ","))
            .where(_deliveries.c.visitor_id == _CUSTOMER, _deliveries.c.visit_id == _VI.c.id)
            .scalar_subquery())


def _open_conversation():
    return exists().where(Conversation.visitor_id == _CUSTOMER,
                          Conversation.channel_id == bindparam("channel_id"),
                          Conversation.status == "open")


def _customer_columns():
    return (
        _CUSTOMER.label("customer_id"), _V.c.id.label("browser_id"),
        func.coalesce(_T.c.name, _V.c.name).label("name"),
        func.coalesce(_T.c.language, _V.c.language).label("language"),
        func.coalesce(_T.c.visit_count, _V.c.visit_count).label("visit_count"),
        # JSON can't go through coalesce portably: both, and the caller picks.
        _T.c.attributes.label("t_attributes"), _V.c.attributes.label("v_attributes"),
        _VI.c.id.label("visit_id"), _VI.c.session_id.label("visit_session"),
        _VI.c.last_seen.label("visit_last_seen"), _VI.c.page_views.label("visit_pages"),
        _VI.c.referrer.label("visit_referrer"), _VI.c.channel_id.label("visit_channel"),
        _open_conversation().label("open_conversation"),
        _reached().label("reached"), _visit_deliveries().label("visit_deliveries"),
    )


_LATEST_VISIT = (select(_visits.c.id)
                 .where(_visits.c.visitor_id == _CUSTOMER,
                        _visits.c.channel_id == bindparam("channel_id"))
                 .order_by(_visits.c.last_seen.desc(), _visits.c.id.desc())
                 .limit(1).scalar_subquery())

FOR_PAGE_VIEW = (
    select(*_customer_columns(),
           select(PageView.id).where(PageView.event_id == bindparam("event_id"))
           .scalar_subquery().label("seen_page_view"))
    .select_from(_V.outerjoin(_T, _T.c.id == _V.c.merged_into_id)
                 .outerjoin(_VI, _VI.c.id == _LATEST_VISIT))
    .where(_V.c.anon_id == bindparam("anon_id"))
)

FOR_CHECK = (
    select(*_customer_columns(), _PV.c.visitor_id.label("pv_visitor"), _PV.c.url, _PV.c.title,
           _PV.c.at, _PV.c.seq, _PV.c.device_type)
    .select_from(_V.outerjoin(_T, _T.c.id == _V.c.merged_into_id)
                 .join(_PV, _PV.c.id == bindparam("page_view_id"))
                 .join(_VI, _VI.c.id == _PV.c.visit_id))
    .where(_V.c.anon_id == bindparam("anon_id"))
)

FOR_EVENT = (
    select(_CUSTOMER.label("customer_id"), _deliveries.c.id, _deliveries.c.message_id,
           _deliveries.c.visitor_id, _deliveries.c.channel_id)
    .select_from(_V.outerjoin(_T, _T.c.id == _V.c.merged_into_id)
                 .join(_deliveries, _deliveries.c.id == bindparam("delivery_id")))
    .where(_V.c.anon_id == bindparam("anon_id"))
)


@dataclass(frozen=True, slots=True)
class Loaded:
    """The customer behind a browser id, with their current visit on the channel."""

    customer_id: int
    name: str
    language: str
    attributes: dict
    visit_count: int
    visit_id: int | None
    visit_session: str | None
    visit_last_seen: datetime | None
    visit_pages: int
    visit_referrer: str
    state: VisitorState
    seen_page_view: int | None = None


def _ids(text: str | None) -> frozenset[int]:
    return frozenset(int(x) for x in text.split(",")) if text else frozenset()


def _visitor_state(row) -> VisitorState:
    on_screen: tuple[int, int] | None = None
    closed: set[int] = set()
    for item in (row.visit_deliveries or "").split(","):
        if not item:
            continue
        delivery_id, message_id, flag = item.split(":")
        if flag == "o":
            if on_screen is None or int(delivery_id) > on_screen[0]:
                on_screen = (int(delivery_id), int(message_id))
        else:
            closed.add(int(message_id))
    return VisitorState(open_conversation=bool(row.open_conversation),
                        reached=_ids(row.reached), on_screen=on_screen,
                        closed_in_visit=frozenset(closed))


def from_row(row) -> Loaded:
    merged = row.t_attributes is not None
    return Loaded(
        customer_id=row.customer_id, name=row.name or "", language=row.language or "",
        attributes=dict((row.t_attributes if merged else row.v_attributes) or {}),
        visit_count=row.visit_count or 0, visit_id=row.visit_id,
        visit_session=row.visit_session, visit_last_seen=row.visit_last_seen,
        visit_pages=row.visit_pages or 0, visit_referrer=row.visit_referrer or "",
        state=_visitor_state(row),
        seen_page_view=getattr(row, "seen_page_view", None),
    )
