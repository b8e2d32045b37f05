"""Two server processes and a Redis that goes away: a message changed through one process while
Redis is down reaches the other's page views once Redis is back. The change's invalidation
was published into the void; the other process learns of it only because every process drops
its rule caches when its hub's link to Redis returns (the hub's resync)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from overture.cli import migrate
from tests.conftest import _postgres_database, _psycopg
from tests.scaleout.processes import ServerProcess, seed_site
from tests.scaleout.test_two_processes import _view

API = "/api/v1/proactive-messages"


@pytest.fixture
def database(tmp_path) -> Iterator[str]:
    """PostgreSQL when the suite has one (a database of this test's own), else SQLite."""
    server = os.environ.get("OVERTURE_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path}/resync.db"
        return
    name = f"overture_resync_{secrets.token_hex(4)}"
    yield _postgres_database(server, name)
    admin = create_engine(_psycopg(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def site(database) -> dict:
    """An admin's token and a channel with one live message, "First"."""
    migrate(database)
    site = seed_site(database, "First message")
    return {**site, "first": site["message_id"]}


def _shown(server: ServerProcess, key: str) -> str | None:
    show = _view(server.url, key)["show"]
    return show["plain_text"] if show else None


def test_rule_caches_resynchronise_after_a_redis_outage(throwaway_redis, database, site):
    prefix = f"resync-{secrets.token_hex(3)}:"
    secret = secrets.token_urlsafe(32)
    a = ServerProcess(database, throwaway_redis.url, prefix, secret)
    b = None
    try:
        a.wait_ready()  # A migrated; B starts on an up-to-date schema
        b = ServerProcess(database, throwaway_redis.url, prefix, secret)
        b.wait_ready()
        key, staff = site["key"], {"Authorization": f"Bearer {site['token']}"}
        # Both processes compile the channel's rules and keep them.
        assert _shown(a, key) == "First message"
        assert _shown(b, key) == "First message"

        throwaway_redis.stop()
        with httpx.Client(base_url=a.url, headers=staff, timeout=10) as api:
            paused = api.post(f"{API}/{site['first']}/pause")
            assert paused.status_code == 200, paused.text
            second = api.post(API, json={
                "name": "Second", "channel_id": site["channel_id"], "message": "Second message",
                "response": {"type": "agent", "follow_up": "Thanks"},
                "frequency": "every_time"})
            assert second.status_code == 201, second.text
            published = api.post(f"{API}/{second.json()['id']}/publish")
            assert published.status_code == 200, published.text
        assert _shown(a, key) == "Second message"  # A dropped its own cache at once
        # B could not hear of it: it still decides with the rules it compiled before.
        assert _shown(b, key) == "First message"

        throwaway_redis.start()  # the same port: both hubs reconnect to it
        deadline = time.monotonic() + 30  # a bound on waiting (reconnect backoff), no timing
        while (shown := _shown(b, key)) != "Second message":
            assert time.monotonic() < deadline, f"process B still shows {shown!r}"
            time.sleep(0.1)
    finally:
        for server in (a, b):
            if server is not None:
                server.stop()
