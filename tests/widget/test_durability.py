"""Acknowledged means stored: a server killed (SIGKILL) under load loses no page view it
answered, nor the showing it reported."""

from __future__ import annotations

import secrets
import threading
import time

import httpx
from sqlalchemy import select

from overture.proactive.models import Delivery
from overture.visitors.models import PageView
from tests.scaleout.processes import ServerProcess
from tests.widget.helpers import ORIGIN, new_id


def test_a_killed_server_loses_nothing_it_acknowledged(backend, db, live, site):
    live(frequency="every_time")
    server = ServerProcess(backend.database_url, backend.redis_url,
                           f"overture-kill-{secrets.token_hex(4)}:", secrets.token_urlsafe(32),
                           OVERTURE_WIDGET_REQUESTS_PER_IP_PER_MINUTE="1000000",
                           OVERTURE_WIDGET_REQUESTS_PER_VISITOR_PER_MINUTE="1000000")
    server.wait_ready()
    key = site["channel"]["key"]
    acked: list[dict] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=server.url, headers={"Origin": ORIGIN}, timeout=5) as c:
            while not stop.is_set():
                try:
                    r = c.post(f"/widget/v1/{key}/page-views", json={
                        "visitor_id": new_id("v"), "session_id": new_id("s"),
                        "event_id": new_id("e"), "url": "https://shop.example/"})
                except httpx.HTTPError:
                    continue  # the server is gone: nothing was acknowledged
                if r.status_code == 200:
                    acked.append(r.json())

    threads = [threading.Thread(target=load) for _ in range(6)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 20
        while len(acked) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.proc.kill()  # SIGKILL, mid-load
        server.proc.wait(10)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        server.stop()
    assert len(acked) >= 200
    with db() as s:
        stored = set(s.scalars(select(PageView.id)))
        delivered = set(s.scalars(select(Delivery.id)))
    assert {a["page_view_id"] for a in acked} <= stored
    assert {a["show"]["delivery_id"] for a in acked} <= delivered
