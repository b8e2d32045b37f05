"""Real `overture serve` processes sending webhooks: killed between two tries of a delivery
and started again, the server loses no event, and every body arrives signed."""

from __future__ import annotations

import json
import os
import secrets
import time

import httpx
import pytest

from overture.cli import migrate
from overture.webhooks.signing import SIGNATURE_HEADER, verify
from tests.conftest import _postgres_database
from tests.scaleout.processes import ServerProcess, seed_site
from tests.services import database_url, redis_url
from tests.webhooks.receiver import HANG, Receiver
from tests.widget.helpers import new_id

SHOWINGS = 6


@pytest.fixture(params=["sqlite", "pg"])
def store(request, tmp_path) -> tuple[str, str | None]:
    """A migrated database of its own (and Redis on PostgreSQL, as installations run it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'overture.db'}"
        migrate(url)
        return url, None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = _postgres_database(database_url(), f"overture_hooks_{worker}")
    migrate(url)
    return url, redis_url()


def _show(base: str, key: str) -> None:
    r = httpx.post(f"{base}/widget/v1/{key}/page-views", json={
        "visitor_id": new_id("v"), "session_id": new_id("s"), "event_id": new_id("e"),
        "url": "https://shop.example/pricing"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["show"] is not None


def _serve(url: str, redis: str | None, prefix: str, secret: str) -> ServerProcess:
    server = ServerProcess(url, redis, prefix, secret,
                           OVERTURE_WEBHOOKS_ALLOW_PRIVATE="true",
                           OVERTURE_WEBHOOK_RETRY_SECONDS="0.3",
                           OVERTURE_WEBHOOK_TIMEOUT_SECONDS="2",
                           OVERTURE_WEBHOOK_POLL_SECONDS="0.2")
    server.wait_ready()
    return server


def test_a_server_killed_between_tries_sends_every_event_after_its_restart(store):
    url, redis = store
    site = seed_site(url, "Need a hand with pricing?")
    prefix, secret = f"overture-hooks-{secrets.token_hex(4)}:", secrets.token_urlsafe(32)
    headers = {"Authorization": f"Bearer {site['token']}"}
    first = second = None
    # The receiver fails the first two requests it gets, then takes everything.
    with Receiver(script=[500, 500]) as receiver:
        try:
            first = _serve(url, redis, prefix, secret)
            created = httpx.post(f"{first.url}/api/v1/webhooks", headers=headers, json={
                "url": receiver.url, "events": ["proactive_message.sent"]}, timeout=10)
            assert created.status_code == 201, created.text
            hook = created.json()

            _show(first.url, site["key"])
            receiver.wait_for(1)  # its first try: refused (500)
            for _ in range(SHOWINGS - 1):  # more events, committed while the first waits
                _show(first.url, site["key"])
            first.proc.kill()  # dead at once, whatever it was sending
            first.proc.wait()
            first.stop()
            first = None

            second = _serve(url, redis, prefix, secret)
            deadline = time.monotonic() + 60
            while True:
                deliveries = httpx.get(
                    f"{second.url}/api/v1/webhooks/{hook['id']}/deliveries", headers=headers,
                    timeout=10).json()
                if (len(deliveries) == SHOWINGS
                        and all(d["status"] == "delivered" for d in deliveries)):
                    break
                assert time.monotonic() < deadline, f"not all delivered: {deliveries}"
                time.sleep(0.2)
        finally:
            for server in (first, second):
                if server is not None:
                    server.stop()

    # Every committed event reached the receiver, the one refused twice included, each body
    # signed with the webhook's secret and the same at every try.
    assert len({d["event_id"] for d in deliveries}) == SHOWINGS
    bodies: dict[str, set[bytes]] = {}
    for request in receiver.requests:
        assert verify(hook["secret"], request.headers.get(SIGNATURE_HEADER), request.body,
                      int(time.time()))
        event = json.loads(request.body)
        assert event["type"] == "proactive_message.sent"
        assert event["data"]["page_url"] == "https://shop.example/pricing"
        bodies.setdefault(event["id"], set()).add(request.body)
    assert set(bodies) == {d["event_id"] for d in deliveries}
    assert all(len(same) == 1 for same in bodies.values())
    assert max(d["attempts"] for d in deliveries) >= 2  # a refused one was tried again


def test_a_receiver_that_never_answers_holds_up_no_page_view(store):
    """The server's own worker is stuck on a receiver that does not answer: visitors' page
    views go on being answered all the while."""
    url, redis = store
    site = seed_site(url, "Need a hand with pricing?")
    headers = {"Authorization": f"Bearer {site['token']}"}
    server = None
    with Receiver(script=[HANG] * 50) as receiver:
        try:
            server = ServerProcess(url, redis, f"overture-hooks-{secrets.token_hex(4)}:",
                                   secrets.token_urlsafe(32),
                                   OVERTURE_WEBHOOKS_ALLOW_PRIVATE="true",
                                   OVERTURE_WEBHOOK_TIMEOUT_SECONDS="60")
            server.wait_ready()
            created = httpx.post(f"{server.url}/api/v1/webhooks", headers=headers, json={
                "url": receiver.url, "events": ["proactive_message.sent"]}, timeout=10)
            assert created.status_code == 201, created.text
            _show(server.url, site["key"])
            receiver.wait_for(1)  # the worker is now waiting for an answer that won't come
            # Each is answered (within _show's 10 s) while the receiver holds what it got.
            for _ in range(30):
                _show(server.url, site["key"])
        finally:
            receiver.release()
            if server is not None:
                server.stop()
