"""The page view as load → decide → write: statement counts, retries, races, re-checks."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
from psycopg import pq
from sqlalchemy import event, func, select

from overture.kit.clock import clock
from overture.proactive.models import Delivery
from overture.visitors.models import PageView, Visit, Visitor
from tests.widget.helpers import ORIGIN, Browser, new_id

API = "/api/v1/proactive-messages"
PRICING_ONLY = {"all": [{"field": "page_url", "operator": "contains", "value": ["/pricing"]}]}
NOON = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """Every statement the page-view path sends, as the database driver itself records it:
    SQLite's statement trace, or libpq's protocol trace on PostgreSQL. BEGIN and PRAGMAs
    aside (the checkpointer thread and new connections run PRAGMAs)."""
    db = app.state.db
    engine = db.lane.engine
    seen: list[str] = []
    traces: list = []

    def on_connect(dbapi_conn, _record) -> None:
        if db.is_sqlite:
            dbapi_conn.set_trace_callback(seen.append)
            return
        trace = tempfile.TemporaryFile()  # noqa: SIM115 (closed once the trace is read)
        traces.append((dbapi_conn, trace))
        dbapi_conn.pgconn.trace(trace.fileno())
        dbapi_conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    # New connections only: drop the pooled ones, the lane's included.
    db.lane.stop()
    event.listen(engine, "connect", on_connect)
    engine.dispose()
    out: list[str] = []
    try:
        yield out
    finally:
        event.remove(engine, "connect", on_connect)
        db.lane.stop()
        for dbapi_conn, trace in traces:
            dbapi_conn.pgconn.untrace()
            trace.seek(0)
            seen.extend(_executed(trace.read().decode()))
            trace.close()
        engine.dispose()
        out.extend(s for s in seen if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA")))


def _executed(trace: str) -> list[str]:
    """The statements a libpq trace shows the client running, in order."""
    prepared: dict[str, str] = {}
    bound, out = "", []
    for line in trace.splitlines():
        side, _size, kind, *rest = [*line.split("\t"), ""]
        if side != "F":
            continue
        if kind == "Parse":
            name, sql = re.match(r' "(.*?)" "(.*)" \d+', rest[0]).groups()
            prepared[name] = sql
        elif kind == "Bind":
            bound = prepared.get(re.match(r' "(.*?)" "(.*?)"', rest[0]).group(2), "")
        elif kind == "Execute":
            out.append(bound)
        elif kind == "Query":
            out.append(rest[0].strip().strip('"'))
    return out


class Counted(int):
    """How many statements a step sent; its repr lists them, for the assertion's message."""

    statements: list[str]

    def __repr__(self) -> str:
        return f"{int(self)} statements: " + "; ".join(self.statements)


def counted(app, step) -> Counted:
    with statements(app) as seen:
        step()
    n = Counted(len(seen))
    n.statements = list(seen)
    return n


def test_a_page_view_costs_at_most_5_statements_or_8_when_it_shows(app, live, site, client):
    live(conditions=PRICING_ONLY)
    key = site["channel"]["key"]
    warm = Browser(client, key)
    warm.view()  # the channel's state is loaded once per process, not per page view

    newcomer = Browser(client, key)
    assert counted(app, lambda: newcomer.view()) <= 5
    assert newcomer.last["show"] is None
    assert counted(app, lambda: newcomer.view("https://shop.example/b")) <= 5
    newcomer.attributes = {"plan": "pro"}
    newcomer.language = "pt-BR"
    assert counted(app, lambda: newcomer.view("https://shop.example/c")) <= 5
    newcomer.new_session()
    assert counted(app, lambda: newcomer.view("https://shop.example/d")) <= 5

    shown = Browser(client, key)
    assert counted(app, lambda: shown.view("https://shop.example/pricing")) <= 8
    assert shown.last["show"] is not None
    returning = Browser(client, key, attributes={"plan": "free"})
    returning.view()
    returning.new_session()
    returning.attributes = {"plan": "pro"}
    assert counted(app,
                   lambda: returning.view("https://shop.example/pricing")) <= 8
    assert returning.last["show"] is not None


def test_the_counts_are_real_statements(app, live, site, client):
    """The trace sees the writes it should: a view that shows writes a delivery."""
    live(conditions=PRICING_ONLY)
    b = Browser(client, site["channel"]["key"])
    b.view()
    with statements(app) as seen:
        b.view("https://shop.example/pricing")
    text = " ".join(seen).upper()
    assert "INSERT INTO DELIVERIES" in text and "INSERT INTO PAGE_VIEWS" in text
    assert text.count("COMMIT") == 1


def _rows(db) -> dict[str, int]:
    with db() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Visitor, Visit, PageView, Delivery)}


def test_a_retried_page_view_answers_the_same_and_writes_nothing(client, admin, db, live,
                                                                   visitor):
    m = live()
    body = {"visitor_id": visitor.visitor_id, "session_id": visitor.session_id,
            "event_id": new_id("e"), "url": "https://shop.example/", "title": "Home"}
    url = f"/widget/v1/{visitor.key}/page-views"
    first = client.post(url, json=body, headers={"Origin": ORIGIN})
    before = _rows(db)
    again = client.post(url, json=body, headers={"Origin": ORIGIN})
    assert again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["show"]["message_id"] == m["id"]
    assert _rows(db) == before
    stats = client.get(f"{API}/{m['id']}/stats", headers=admin.headers).json()["totals"]
    assert stats["showings"] == 1 and stats["sent"] == 1


def test_an_event_id_of_another_visitor_is_refused(client, live, visitor, new_visitor):
    live()
    visitor.view()
    other = new_visitor()
    r = client.post(f"/widget/v1/{other.key}/page-views", headers={"Origin": ORIGIN}, json={
        "visitor_id": other.visitor_id, "session_id": other.session_id,
        "event_id": "fixed-event-id-1", "url": "https://shop.example/"})
    assert r.status_code == 200
    r = client.post(f"/widget/v1/{visitor.key}/page-views", headers={"Origin": ORIGIN}, json={
        "visitor_id": visitor.visitor_id, "session_id": visitor.session_id,
        "event_id": "fixed-event-id-1", "url": "https://shop.example/"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_event"


def test_a_new_browser_sending_an_event_id_of_another_visitor_is_refused(client, live, visitor,
                                                                         new_visitor):
    live()
    r = client.post(f"/widget/v1/{visitor.key}/page-views", headers={"Origin": ORIGIN}, json={
        "visitor_id": visitor.visitor_id, "session_id": visitor.session_id,
        "event_id": "fixed-event-id-2", "url": "https://shop.example/"})
    assert r.status_code == 200
    newcomer = new_visitor()  # never seen: no visitor row yet
    r = client.post(f"/widget/v1/{newcomer.key}/page-views", headers={"Origin": ORIGIN}, json={
        "visitor_id": newcomer.visitor_id, "session_id": newcomer.session_id,
        "event_id": "fixed-event-id-2", "url": "https://shop.example/"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_event"


def test_a_recheck_uses_the_device_the_page_view_reported(client, live, site):
    clock.freeze(NOON)
    live(trigger={"event": "on_page", "seconds": 20},
         conditions={"all": [{"field": "device_type", "operator": "is", "value": "mobile"}]})
    app_user = Browser(client, site["channel"]["key"])
    d = app_user.view("app://home", "Home", device_type="mobile")
    assert d["show"] is None and d["pending"] == [20]
    clock.advance(timedelta(seconds=20))
    # The SDK's HTTP client says nothing of phones in its user agent.
    assert app_user.check()["show"] is not None


def test_a_recheck_of_a_page_the_visitor_left_shows_nothing(client, live, site):
    clock.freeze(NOON)
    m = live(trigger={"event": "on_page", "seconds": 30}, conditions=PRICING_ONLY)
    b = Browser(client, site["channel"]["key"])
    pricing = b.view("https://shop.example/pricing")
    assert pricing["pending"] == [30]
    b.view("https://shop.example/about")
    clock.advance(timedelta(seconds=45))
    b.last = pricing  # the old tab's timer fires for the page that is no longer current
    stale = b.check()
    assert stale["show"] is None and stale["pending"] == []
    back = b.view("https://shop.example/pricing")
    clock.advance(timedelta(seconds=30))
    assert back["pending"] == [30] and b.check()["show"]["message_id"] == m["id"]


def test_nul_characters_are_refused_before_the_database(client, visitor, site):
    url = f"/widget/v1/{visitor.key}/page-views"
    for field, value in (("url", "https://shop.example/\x00"), ("title", "a\x00b"),
                         ("attributes", {"plan": "pro\x00"})):
        body = {"visitor_id": visitor.visitor_id, "session_id": visitor.session_id,
                "event_id": new_id("e"), "url": "https://shop.example/", field: value}
        r = client.post(url, json=body, headers={"Origin": ORIGIN})
        assert r.status_code == 422, (field, r.text)
        assert field in r.json()["error"]["message"]


def test_simultaneous_page_views_of_one_visitor_show_one_message_once(
        app, admin, client, live, site, live_server):
    m = live(frequency="every_time")
    key = site["channel"]["key"]
    visitor_id, session_id = new_id("v"), new_id("s")
    # The first view creates the visitor and visit; the next ones race within that visit.
    seed = Browser(client, key, visitor_id=visitor_id, session_id=session_id)
    seed.view("https://shop.example/", "Home")
    delivery = seed.last["show"]["delivery_id"]
    assert seed.event("dismissed").status_code == 200

    def view(i: int) -> dict:
        with httpx.Client(base_url=live_server, headers={"Origin": ORIGIN}) as c:
            r = c.post(f"/widget/v1/{key}/page-views", json={
                "visitor_id": visitor_id, "session_id": session_id, "event_id": new_id("e"),
                "url": f"https://shop.example/{i}"})
            assert r.status_code == 200, r.text
            return r.json()

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(view, range(24)))
    shown = {a["show"]["delivery_id"] for a in answers if a["show"]}
    assert len(shown) == 1 and delivery not in shown
    totals = client.get(f"{API}/{m['id']}/stats", headers=admin.headers).json()["totals"]
    assert totals["showings"] == 2 and totals["sent"] == 1


def test_new_browsers_racing_on_one_id_become_one_visitor(client, db, live, site,
                                                            live_server):
    key = site["channel"]["key"]
    visitor_id = new_id("v")

    def view(i: int) -> int:
        with httpx.Client(base_url=live_server, headers={"Origin": ORIGIN}) as c:
            r = c.post(f"/widget/v1/{key}/page-views", json={
                "visitor_id": visitor_id, "session_id": new_id("s"), "event_id": new_id("e"),
                "url": "https://shop.example/"})
            assert r.status_code == 200, r.text
            return r.json()["page_view_id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(view, range(8)))
    assert len(set(ids)) == 8
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Visitor)
                        .where(Visitor.anon_id == visitor_id)) == 1
