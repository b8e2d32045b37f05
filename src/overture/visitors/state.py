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

from overture.kit.hotsql import HotSQL, read_json, read_when
from overture.proactive.engine import VisitorState

_CUSTOMER = "coalesce(t.id, v.id)"
_COLUMNS = f"""
    {_CUSTOMER}, coalesce(t.name, v.name), coalesce(t.language, v.language),
    coalesce(t.visit_count, v.visit_count), t.attributes, v.attributes,
    vi.id, vi.session_id, vi.last_seen, vi.page_views, vi.referrer, vi.channel_id,
    EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = {_CUSTOMER}
            AND c.channel_id = :channel_id AND c.status = 'open'),
    (SELECT {{agg}}(CAST(r.message_id AS VARCHAR(20)), ',') FROM message_reach r
     WHERE r.visitor_id = {_CUSTOMER}),
    (SELECT {{agg}}(CAST(d.id AS VARCHAR(20)) || ':' || CAST(d.message_id AS VARCHAR(20))
                    || CASE WHEN d.opened_at IS NULL AND d.dismissed_at IS NULL
                       THEN ':o' ELSE ':c' END, ',')
     FROM deliveries d WHERE d.visitor_id = {_CUSTOMER} AND d.visit_id = vi.id)
"""
_BROWSER = "visitors v LEFT JOIN visitors t ON t.id = v.merged_into_id"

FOR_PAGE_VIEW = HotSQL(f"""
    SELECT {_COLUMNS}, (SELECT p.id FROM page_views p WHERE p.event_id = :event_id)
    FROM {_BROWSER}
    LEFT JOIN visits vi ON vi.id = (
        SELECT x.id FROM visits x WHERE x.visitor_id = {_CUSTOMER} AND x.channel_id = :channel_id
        ORDER BY x.last_seen DESC, x.id DESC LIMIT 1)
    WHERE v.anon_id = :anon_id
""")

FOR_CHECK = HotSQL(f"""
    SELECT {_COLUMNS}, p.visitor_id, p.url, p.title, p.at, p.seq, p.device_type
    FROM {_BROWSER}
    JOIN page_views p ON p.id = :page_view_id
    JOIN visits vi ON vi.id = p.visit_id
    WHERE v.anon_id = :anon_id
""")

FOR_EVENT = HotSQL(f"""
    SELECT {_CUSTOMER}, d.id, d.message_id, d.visitor_id, d.channel_id
    FROM {_BROWSER} JOIN deliveries d ON d.id = :delivery_id
    WHERE v.anon_id = :anon_id
""")

# The page view and the delivery on screen at it: shown at it, or at an earlier page of the
# visit and neither opened nor dismissed before it.
FOR_REPLAY = HotSQL("""
    SELECT p.id, p.visitor_id, p.visit_id, p.url, p.title, p.device_type,
           d.id, d.message_id, d.page_view_id
    FROM page_views p LEFT JOIN deliveries d ON d.id = (
        SELECT s.id FROM deliveries s
        WHERE s.visitor_id = p.visitor_id AND s.visit_id = p.visit_id AND s.page_view_id <= p.id
          AND (s.opened_at IS NULL OR s.opened_at >= p.at)
          AND (s.dismissed_at IS NULL OR s.dismissed_at >= p.at)
        ORDER BY s.id DESC LIMIT 1)
    WHERE p.id = :page_view_id
""")


@dataclass(frozen=True, slots=True)
class Loaded:
    """The customer behind a browser id, with their current visit on the channel."""

    customer_id: int
    name: str
    language: str
    visit_count: int
    attributes: dict
    visit_id: int | None
    visit_session: str | None
    visit_last_seen: datetime | None
    visit_pages: int
    visit_referrer: str
    visit_channel: int | None
    state: VisitorState
    extra: tuple  # what the statement selected after the common columns


def _ids(text: str | None) -> frozenset[int]:
    return frozenset(int(x) for x in text.split(",")) if text else frozenset()


def _visitor_state(open_conversation, reached: str | None,
                   deliveries: str | None) -> VisitorState:
    on_screen: tuple[int, int] | None = None
    closed: set[int] = set()
    for item in (deliveries or "").split(","):
        if not item:
            continue
        delivery_id, message_id, flag = item.split(":")
        if flag == "o":
            if on_screen is None or int(delivery_id) > on_screen[0]:
                on_screen = (int(delivery_id), int(message_id))
        else:
            closed.add(int(message_id))
    return VisitorState(open_conversation=bool(open_conversation), reached=_ids(reached),
                        on_screen=on_screen, closed_in_visit=frozenset(closed))


def parse(row: tuple) -> Loaded:
    (customer_id, name, language, visit_count, t_attributes, v_attributes, visit_id,
     visit_session, visit_last_seen, visit_pages, visit_referrer, visit_channel,
     open_conversation, reached, deliveries, *extra) = row
    attributes = read_json(t_attributes if t_attributes is not None else v_attributes)
    return Loaded(
        customer_id=customer_id, name=name or "", language=language or "",
        visit_count=visit_count or 0, attributes=dict(attributes or {}),
        visit_id=visit_id, visit_session=visit_session,
        visit_last_seen=read_when(visit_last_seen), visit_pages=visit_pages or 0,
        visit_referrer=visit_referrer or "", visit_channel=visit_channel,
        state=_visitor_state(open_conversation, reached, deliveries), extra=tuple(extra),
    )
