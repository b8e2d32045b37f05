"""The page view's writes: lean statements, each row written whole.

A new visitor is one INSERT; a visit is one INSERT or one UPDATE that returns the page view's
place in it; the page view is an INSERT that does nothing if its event id is known. A
statement that loses a race with another writer (the same browser id created twice, the same
event id sent twice at once) raises `Contended`, and the lane runs the request again alone.
"""

from __future__ import annotations

from datetime import datetime

from overture.kit import hotsql
from overture.kit.hotsql import HotSQL, Steps
from overture.kit.lane import Contended

_NEW_VISITOR = HotSQL("""
    INSERT INTO visitors (anon_id, name, email, language, attributes, visit_count, first_seen,
                          last_seen)
    VALUES (:anon_id, '', '', :language, :attributes, 1, :now, :now)
    ON CONFLICT (anon_id) DO NOTHING RETURNING id
""")
_NEW_VISIT = HotSQL("""
    INSERT INTO visits (visitor_id, channel_id, session_id, referrer, page_views, started_at,
                        last_seen)
    VALUES (:visitor_id, :channel_id, :session_id, :referrer, 1, :now, :now) RETURNING id
""")
_CONTINUE_VISIT = HotSQL("""
    UPDATE visits SET page_views = page_views + 1, last_seen = :now WHERE id = :id
    RETURNING page_views
""")
_PAGE_VIEW = HotSQL("""
    INSERT INTO page_views (visit_id, visitor_id, event_id, url, title, referrer, at, seq,
                            device_type)
    VALUES (:visit_id, :visitor_id, :event_id, :url, :title, :referrer, :now, :seq,
            :device_type)
    ON CONFLICT (event_id) DO NOTHING RETURNING id
""")
_UPDATE_VISITOR: dict[tuple[bool, bool, bool], HotSQL] = {}


def _update_visitor_sql(new_visit: bool, language: bool, attributes: bool) -> HotSQL:
    key = (new_visit, language, attributes)
    stmt = _UPDATE_VISITOR.get(key)
    if stmt is None:
        sets = [s for s, on in (("visit_count = visit_count + 1, last_seen = :now", new_visit),
                                ("language = :language", language),
                                ("attributes = :attributes", attributes)) if on]
        stmt = _UPDATE_VISITOR[key] = HotSQL(
            f"UPDATE visitors SET {', '.join(sets)} WHERE id = :id")
    return stmt


def new_visitor(anon_id: str, language: str, attributes: dict, now: datetime) -> Steps[int]:
    row_id = yield hotsql.value(_NEW_VISITOR, anon_id=anon_id, language=language,
                                attributes=hotsql.to_json(attributes), now=now)
    if row_id is None:
        raise Contended("visitor created by a concurrent request")
    return row_id


def update_visitor(visitor_id: int, *, new_visit: bool, now: datetime,
                   language: str | None = None, attributes: dict | None = None) -> Steps[None]:
    if not (new_visit or language is not None or attributes is not None):
        return
    stmt = _update_visitor_sql(new_visit, language is not None, attributes is not None)
    yield hotsql.count(stmt, id=visitor_id, now=now, language=language,
                       attributes=hotsql.to_json(attributes) if attributes is not None else None)


def start_visit(*, visitor_id: int, channel_id: int, session_id: str, referrer: str,
                now: datetime) -> Steps[int]:
    return (yield hotsql.value(_NEW_VISIT, visitor_id=visitor_id, channel_id=channel_id,
                               session_id=session_id, referrer=referrer, now=now))


def continue_visit(visit_id: int, now: datetime) -> Steps[int]:
    """Count the page view in its visit; its place in the visit (1, 2, …)."""
    return (yield hotsql.value(_CONTINUE_VISIT, id=visit_id, now=now))


def add_page_view(*, visit_id: int, visitor_id: int, event_id: str, url: str, title: str,
                  referrer: str, seq: int, device_type: str, now: datetime) -> Steps[int]:
    row_id = yield hotsql.value(_PAGE_VIEW, visit_id=visit_id, visitor_id=visitor_id,
                                event_id=event_id, url=url, title=title, referrer=referrer,
                                now=now, seq=seq, device_type=device_type)
    if row_id is None:
        raise Contended("page view recorded by a concurrent request")
    return row_id
