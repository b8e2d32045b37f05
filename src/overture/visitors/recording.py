"""The page view's writes: lean statements, each row written whole.

A new visitor is one INSERT; a visit is one INSERT or one UPDATE that returns the page view's
place in it; the page view is an INSERT that does nothing if its event id is known. A
statement that loses a race with another writer (the same browser id created twice, the same
event id sent twice at once) raises `Contended`, and the lane runs the request again alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Connection

from overture.kit.lane import Contended
from overture.kit.upsert import insert_ignore
from overture.visitors.models import PageView, Visit, Visitor

_visitors = Visitor.__table__
_visits = Visit.__table__
_page_views = PageView.__table__

_CONTINUE_VISIT = (update(_visits).where(_visits.c.id == bindparam("b_id"))
                   .values(page_views=_visits.c.page_views + 1, last_seen=bindparam("b_now"))
                   .returning(_visits.c.page_views))
_NEW_VISIT = insert(_visits).returning(_visits.c.id)


def new_visitor(conn: Connection, anon_id: str, language: str, attributes: dict,
                now: datetime) -> int:
    row_id = insert_ignore(conn, _visitors, {
        "anon_id": anon_id, "name": "", "email": "", "language": language,
        "attributes": attributes, "visit_count": 1, "first_seen": now, "last_seen": now,
    }, conflict=["anon_id"])
    if row_id is None:
        raise Contended("visitor created by a concurrent request")
    return row_id


def update_visitor(conn: Connection, visitor_id: int, *, new_visit: bool, now: datetime,
                   language: str | None = None, attributes: dict | None = None) -> None:
    values: dict = {}
    if new_visit:
        values.update(visit_count=_visitors.c.visit_count + 1, last_seen=now)
    if language is not None:
        values["language"] = language
    if attributes is not None:
        values["attributes"] = attributes
    if values:
        conn.execute(update(_visitors).where(_visitors.c.id == visitor_id).values(values))


def start_visit(conn: Connection, *, visitor_id: int, channel_id: int, session_id: str,
                referrer: str, now: datetime) -> int:
    return conn.execute(_NEW_VISIT, {
        "visitor_id": visitor_id, "channel_id": channel_id, "session_id": session_id,
        "referrer": referrer, "page_views": 1, "started_at": now, "last_seen": now,
    }).scalar_one()


def continue_visit(conn: Connection, visit_id: int, now: datetime) -> int:
    """Count the page view in its visit; its place in the visit (1, 2, …)."""
    return conn.execute(_CONTINUE_VISIT, {"b_id": visit_id, "b_now": now}).scalar_one()


def add_page_view(conn: Connection, *, visit_id: int, visitor_id: int, event_id: str,
                  url: str, title: str, referrer: str, seq: int, device_type: str,
                  now: datetime) -> int:
    row_id = insert_ignore(conn, _page_views, {
        "visit_id": visit_id, "visitor_id": visitor_id, "event_id": event_id, "url": url,
        "title": title, "referrer": referrer, "at": now, "seq": seq,
        "device_type": device_type,
    }, conflict=["event_id"])
    if row_id is None:
        raise Contended("page view recorded by a concurrent request")
    return row_id
