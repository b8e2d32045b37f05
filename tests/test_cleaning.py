"""The suite's cleaning between tests waits until nothing of the app uses the database: a call
the live server is still serving, a lane batch between two statements. Otherwise its TRUNCATE
deadlocks with them on PostgreSQL, or their rows land in the next test."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select, text

from overture.brands.models import Brand
from tests.conftest import CleaningFailed

WAIT = 30.0  # only bounds how long a broken cleaning would keep the test waiting


def test_a_lane_batch_between_two_statements_finishes_before_the_tables_are_emptied(
        app, _cleaner):
    lane = app.state.db.lane
    reading = threading.Event()
    outcome: dict[str, object] = {}

    def job(ctx):  # a page view's order: the visitor first, then its page views
        ctx.conn.execute(text("SELECT count(*) FROM visitors"))
        reading.set()
        time.sleep(0.3)  # holds the visitors table while the cleaning starts
        return ctx.conn.execute(text("SELECT count(*) FROM page_views")).scalar_one()

    def run() -> None:
        try:
            outcome["job"] = asyncio.run(lane.run(job))
        except Exception as exc:  # a deadlock would be reported to one side or the other
            outcome["job"] = exc

    batch = threading.Thread(target=run)
    batch.start()
    assert reading.wait(WAIT)
    _cleaner.clean()
    batch.join(WAIT)
    assert outcome == {"job": 0}


def test_a_call_the_live_server_is_serving_is_answered_before_the_tables_are_emptied(
        app, admin, live_server, _cleaner, db):
    calls = _cleaner.server.calls
    started = calls.started
    answer: dict[str, object] = {}

    def slowly():  # the request body arrives in pieces, so the call is open for a while
        body = json.dumps({"name": "Late brand"}).encode()
        yield body[:5]
        time.sleep(0.3)
        yield body[5:]

    def post() -> None:
        r = httpx.post(f"{live_server}/api/v1/brands", content=slowly(), timeout=WAIT,
                       headers={**admin.headers, "Content-Type": "application/json"})
        answer["status"] = r.status_code

    request = threading.Thread(target=post)
    request.start()
    deadline = time.monotonic() + WAIT
    while calls.started == started and time.monotonic() < deadline:
        time.sleep(0.005)
    assert calls.started > started, "the request never reached the server"
    _cleaner.clean()
    request.join(WAIT)
    assert answer == {"status": 201}
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Brand)) == 0


def test_a_call_left_open_is_closed_and_the_test_that_left_it_is_told(app, _cleaner):
    server = _cleaner.server or pytest.fail("no live server")
    started = server.calls.started
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        # Headers, and a body that never comes.
        sock.sendall(b"POST /api/v1/brands HTTP/1.1\r\nHost: test\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        deadline = time.monotonic() + WAIT
        while server.calls.started == started and time.monotonic() < deadline:
            time.sleep(0.005)
        with pytest.raises(CleaningFailed, match="http /api/v1/brands"):
            _cleaner.clean(patience=0.1)
    assert server.calls.wait_until_done(0) == []
    assert httpx.get(f"{server.url}/login", timeout=WAIT).status_code == 200


def test_a_call_that_comes_while_the_cleaning_settles_is_settled_too(
        app, live_server, _cleaner, monkeypatch):
    """A browser's last request can reach the server just after it looked finished; through
    the lane, it leaves the lane's thread holding a connection, which is given back too."""
    lane = app.state.db.lane
    start = lane.start
    late: list[int] = []

    def start_and_take_a_late_call() -> None:
        start()
        if not late:
            r = httpx.post(f"{live_server}/widget/v1/no-such-channel/page-views", json={},
                           timeout=WAIT)
            late.append(r.status_code)

    monkeypatch.setattr(lane, "start", start_and_take_a_late_call)
    _cleaner.clean()
    assert late == [404]
