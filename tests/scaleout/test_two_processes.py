"""Two server processes sharing PostgreSQL + Redis: a change made through one applies on the
other at once (SPEC §8)."""

from __future__ import annotations

import os
import time

import httpx
import pytest

from overture.cli import migrate
from tests.conftest import _postgres_database
from tests.scaleout.processes import seed_site
from tests.services import database_url, redis_url
from tests.widget.helpers import new_id

pytestmark = pytest.mark.scaleout


@pytest.fixture
def shared_site():
    url = _postgres_database(database_url(),
                             f"overture_2p_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    migrate(url)
    return seed_site(url, "Hello from the other side")


def _view(base: str, key: str) -> dict:
    r = httpx.post(f"{base}/widget/v1/{key}/page-views", json={
        "visitor_id": new_id("v"), "session_id": new_id("s"), "event_id": new_id("e"),
        "url": "https://shop.example/"}, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def test_pausing_on_one_process_stops_the_other_within_a_second(shared_site):
    a, b = None, None
    try:
        from tests.scaleout.processes import start_pair

        a, b = start_pair(shared_site["url"], redis_url())
        key = shared_site["key"]
        assert _view(b.url, key)["show"]["plain_text"] == "Hello from the other side"
        headers = {"Authorization": f"Bearer {shared_site['token']}"}
        r = httpx.post(f"{a.url}/api/v1/proactive-messages/{shared_site['message_id']}/pause",
                       headers=headers, timeout=5)
        assert r.status_code == 200 and r.json()["status"] == "paused"
        paused_at = time.monotonic()
        while _view(b.url, key)["show"] is not None:
            assert time.monotonic() - paused_at < 1.0, "process B still shows the paused message"
            time.sleep(0.05)
        # And publishing again through B reaches A.
        r = httpx.post(f"{b.url}/api/v1/proactive-messages/{shared_site['message_id']}/resume",
                       headers=headers, timeout=5)
        assert r.status_code == 200
        resumed_at = time.monotonic()
        while _view(a.url, key)["show"] is None:
            assert time.monotonic() - resumed_at < 1.0, "process A does not show it yet"
            time.sleep(0.05)
    finally:
        for proc in (a, b):
            if proc is not None:
                proc.stop()
