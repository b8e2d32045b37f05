"""A burst larger than the thread pool and the connection pool together is answered, and so
is the next request, also after a burst whose clients were cut off.

Against a real server with the real pools (AnyIO's 40 threads, the engine's connections). A
request that passes a sync dependency with a query and then runs a sync endpoint needs two
threadpool hops and holds its connection in between. Unbounded, threads end up blocked on the
pool while the connections' holders wait for a thread, until the pool's checkout timeout. And
no query may run on the event loop: one waiting there (for a connection or a lock) stops every
request that would release what it waits for.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.pool import NullPool

from overture.kit.admission import gate_size, pool_capacity, request_capacity
from tests.conftest import PASSWORD, csrf_from

BURST = 120
# Generous: a burst drains in a second or two; a stall lasts the pool's 30 s checkout timeout.
DEADLINE = 20.0


@pytest.fixture
def channel_key(client, admin) -> str:
    h = admin.headers
    brand = client.post("/api/v1/brands", json={"name": "Shop"}, headers=h).json()
    channel = client.post("/api/v1/channels", headers=h,
                          json={"brand_id": brand["id"], "name": "Shop site"})
    assert channel.status_code == 201, channel.text
    return channel.json()["key"]


@pytest.fixture
def signed_in(live_server, admin) -> tuple[dict[str, str], str]:
    """Headers with a signed-in admin's session cookie, and that session's CSRF token."""
    with httpx.Client(base_url=live_server) as http:
        token = csrf_from(http.get("/login").text)
        r = http.post("/login", data={"email": admin.email, "password": PASSWORD,
                                      "csrf_token": token})
        assert r.status_code == 303, r.text
        headers = {"Cookie": f"overture_session={http.cookies['overture_session']}"}
        return headers, csrf_from(http.get("/admin/brands", headers=headers).text)


@pytest.fixture
def loop_queries(app, _server) -> Iterator[list[str]]:
    """Statements the server ran on its event loop thread (there should be none)."""
    seen: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        if threading.current_thread() is _server.thread:
            seen.append(statement)

    engine = app.state.db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    yield seen
    event.remove(engine, "before_cursor_execute", on_execute)


def _requests(admin, key: str, signed_in: tuple[dict[str, str], str]):
    """Endless (method, path, kwargs, expected status), cycling over the kinds of request."""
    cookie, csrf = signed_in
    n = itertools.count()
    kinds = [
        lambda: ("GET", "/admin", {"headers": cookie}, 200),
        lambda: ("GET", "/api/v1/brands", {"headers": admin.headers}, 200),
        lambda: ("POST", "/api/v1/brands",
                 {"headers": admin.headers, "json": {"name": f"Api {next(n)}"}}, 201),
        lambda: ("GET", f"/widget/v1/{key}/config", {}, 200),
        lambda: ("POST", "/admin/brands/new",
                 {"headers": cookie, "data": {"name": f"Form {next(n)}", "csrf_token": csrf}},
                 303),
    ]
    return (kind() for kind in itertools.cycle(kinds))


def _client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, timeout=DEADLINE + 20,
                             limits=httpx.Limits(max_connections=BURST * 2))


async def _burst(base_url: str, requests, n: int) -> list[tuple[int, int, str]]:
    async with _client(base_url) as http:

        async def one(method: str, path: str, kw: dict, expected: int):
            r = await http.request(method, path, **kw)
            return expected, r.status_code, f"{method} {path}: {r.status_code} {r.text[:200]}"

        jobs = [one(*next(requests)) for _ in range(n)]
        return await asyncio.wait_for(asyncio.gather(*jobs), DEADLINE)


async def _cut_off(base_url: str, requests, n: int, after: float) -> None:
    """Start `n` requests and drop every client connection after `after` seconds."""
    async with _client(base_url) as http:
        tasks = [asyncio.create_task(http.request(method, path, **kw))
                 for method, path, kw, _ in itertools.islice(requests, n)]
        await asyncio.sleep(after)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await t


async def _one(base_url: str, headers: dict[str, str]) -> int:
    async with _client(base_url) as http:
        r = await asyncio.wait_for(http.get("/admin", headers=headers), DEADLINE)
        return r.status_code


def _all_places_given_back(app) -> bool:
    """Every unit of work admitted on any loop has left (cut-off requests finish late)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if all(g.admitted == 0 for g in list(app.state.admission.values())):
            return True
        time.sleep(0.05)
    return False


def test_a_burst_is_answered_in_full(app, live_server, admin, channel_key, signed_in,
                                     loop_queries):
    results = asyncio.run(_burst(live_server, _requests(admin, channel_key, signed_in), BURST))
    wrong = [text for expected, got, text in results if got != expected]
    assert not wrong, f"{len(wrong)} of {BURST} answered wrongly, e.g. {wrong[:3]}"
    assert asyncio.run(_one(live_server, signed_in[0])) == 200
    assert loop_queries == []
    assert _all_places_given_back(app)


def test_the_request_after_a_cut_off_burst_is_answered(app, live_server, admin, channel_key,
                                                       signed_in):
    asyncio.run(_cut_off(live_server, _requests(admin, channel_key, signed_in), BURST, 0.5))
    assert asyncio.run(_one(live_server, signed_in[0])) == 200
    assert _all_places_given_back(app)


def test_the_gate_is_sized_from_the_pool_and_the_threads(app, tmp_path):
    # File SQLite gets a QueuePool (5 + 10 by default); the app sets its own sizes.
    file_sqlite = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert pool_capacity(file_sqlite) == 15
    assert gate_size(pool_capacity(file_sqlite), threads=40) == 15
    # Pools that never make a caller wait: only the threads bound it.
    for unbounded in (create_engine("sqlite://"), create_engine(f"sqlite:///{tmp_path / 'y.db'}",
                                                                poolclass=NullPool),
                      create_engine(f"sqlite:///{tmp_path / 'z.db'}", max_overflow=-1)):
        assert pool_capacity(unbounded) is None
        assert gate_size(None, threads=40) == 39
    assert gate_size(100, threads=1) == 1
    # The app's own engine: what its pool hands out, less what serving keeps for itself
    # (on SQLite the lane's connection and the checkpointer's; nothing on PostgreSQL).
    db = app.state.db
    pool = db.engine.pool
    kept = 2 if db.is_sqlite else 0
    assert request_capacity(db) == pool.size() + pool._max_overflow - kept
