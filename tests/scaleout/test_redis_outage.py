"""Redis goes away for a few seconds in the middle of chat and widget traffic: no call answers
500, and an agent's reply stored meanwhile reaches the customer's open chat once Redis is back
(the socket reads the database again when the hub's link returns)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time

import httpx
from websockets.sync.client import connect

from overture.demo.service import DEMO_ADMIN_EMAIL, DEMO_CHANNEL_KEY
from tests.scaleout.processes import ServerProcess
from tests.widget.helpers import new_id

WIDGET = f"/widget/v1/{DEMO_CHANNEL_KEY}"


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "overture.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def _page_view(http: httpx.Client, visitor: str, session: str) -> httpx.Response:
    return http.post(f"{WIDGET}/page-views", json={
        "visitor_id": visitor, "session_id": session, "event_id": new_id("e"),
        "url": "http://127.0.0.1/demo/pricing", "title": "Pricing"})


def _start(http: httpx.Client) -> tuple[str, str, int]:
    """A new visitor on the demo's pricing page starts a conversation from the bubble: the
    visitor's and the session's ids, and the conversation's."""
    visitor, session = new_id("v"), new_id("s")
    shown = _page_view(http, visitor, session).json()["show"]
    started = http.post(f"{WIDGET}/conversations", json={
        "visitor_id": visitor, "delivery_id": shown["delivery_id"],
        "client_id": new_id("c"), "message": "Hello?"})
    assert started.status_code == 201, started.text
    return visitor, session, started.json()["conversation_id"]


def _next_message(ws, seconds: float) -> dict | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frame = json.loads(ws.recv(timeout=0.5))
        except TimeoutError:
            continue
        if frame["type"] == "message":
            return frame["message"]
    return None


def test_a_redis_outage_loses_nothing_and_answers_no_500(throwaway_redis, tmp_path):
    secret = secrets.token_urlsafe(32)
    database = f"sqlite:///{tmp_path}/outage.db"
    env = {**os.environ, "OVERTURE_DATABASE_URL": database, "OVERTURE_SECRET_KEY": secret,
           "OVERTURE_ENVIRONMENT": "test", "OVERTURE_PASSWORD_HASH_PROFILE": "test"}
    _cli(env, "migrate")
    _cli(env, "demo")
    token = _cli(env, "create-token", DEMO_ADMIN_EMAIL).strip().splitlines()[-1]
    server = ServerProcess(database, throwaway_redis.url, f"outage-{secrets.token_hex(3)}:",
                           secret)
    try:
        server.wait_ready()
        http = httpx.Client(base_url=server.url, timeout=10)
        staff = {"Authorization": f"Bearer {token}"}
        visitor, session, conversation = _start(http)
        ticket = http.get("/api/v1/tickets", headers=staff).json()[0]["id"]
        ws_url = re.sub(r"^http", "ws", server.url)
        with connect(f"{ws_url}{WIDGET}/conversations/{conversation}/ws"
                     f"?visitor_id={visitor}&after=0", open_timeout=10) as ws:
            while _next_message(ws, 2) is not None:
                pass  # the history so far
            throwaway_redis.stop()
            # While Redis is away: the widget, sign-in and the agent's reply all work.
            codes = [_page_view(http, visitor, session).status_code for _ in range(5)]
            codes.append(http.post("/login", data={"email": "x@example.com",
                                                    "password": "wrong"}).status_code)
            reply = http.post(f"/api/v1/tickets/{ticket}/messages", headers=staff,
                              json={"client_id": new_id("a"), "body": "Sent while away"})
            codes.append(reply.status_code)
            assert all(code < 500 for code in codes), codes
            assert reply.status_code == 201
            throwaway_redis.start()
            got = _next_message(ws, 30)  # a bound on waiting, not a timing
            assert got is not None and got["body"] == "Sent while away"
        assert http.get("/readyz").status_code == 200
    finally:
        server.stop()
