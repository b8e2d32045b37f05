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


def test_unpublishing_a_bot_on_one_process_takes_its_message_off_the_other(shared_site):
    """The bot-response message turns Contains errors on the process that unpublished the bot,
    and the other process stops showing it at once (SPEC §2.1: on every process)."""
    from tests.scaleout.processes import start_pair

    a, b = None, None
    try:
        a, b = start_pair(shared_site["url"], redis_url())
        key, h = shared_site["key"], {"Authorization": f"Bearer {shared_site['token']}"}
        api = httpx.Client(base_url=a.url, headers=h, timeout=5)
        api.post(f"/api/v1/proactive-messages/{shared_site['message_id']}/pause")
        brand = api.get(f"/api/v1/channels/{shared_site['channel_id']}").json()["brand_id"]
        bot = api.post("/api/v1/bots", json={"brand_id": brand, "name": "Ada"}).json()
        answer = api.post(f"/api/v1/bots/{bot['id']}/answers", json={"name": "Hi", "steps": [
            {"id": "bye", "type": "end", "text": "Bye"}]}).json()
        assert api.post(f"/api/v1/bots/{bot['id']}/publish").status_code == 200
        assert api.patch(f"/api/v1/channels/{shared_site['channel_id']}",
                         json={"bot_id": bot["id"]}).status_code == 200
        m = api.post("/api/v1/proactive-messages", json={
            "name": "Bot", "channel_id": shared_site["channel_id"], "message": "Ada here",
            "frequency": "every_time",
            "response": {"type": "bot", "bot_id": bot["id"], "answer_id": answer["id"]}}).json()
        r = api.post(f"/api/v1/proactive-messages/{m['id']}/publish")
        assert r.status_code == 200, r.text
        shown = _view(b.url, key)["show"]
        assert shown["plain_text"] == "Ada here" and shown["sender"]["name"] == "Ada"

        assert api.post(f"/api/v1/bots/{bot['id']}/unpublish").status_code == 200
        unpublished_at = time.monotonic()
        while _view(b.url, key)["show"] is not None:
            assert time.monotonic() - unpublished_at < 1.0, "process B still shows it"
            time.sleep(0.05)
        got = httpx.get(f"{b.url}/api/v1/proactive-messages/{m['id']}", headers=h).json()
        assert got["status"] == "error"
        assert any("Ada" in p["message"] for p in got["problems"])
        api.close()
    finally:
        for proc in (a, b):
            if proc is not None:
                proc.stop()
