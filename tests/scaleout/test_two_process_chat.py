"""A conversation across two server processes on PostgreSQL + Redis: the customer connected to
one, the agent to the other; messages go both ways live (SPEC §8)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from overture.accounts.models import User
from overture.channels.service import channel_by_key
from overture.db import Database
from overture.kit.passwords import hash_password
from tests.scaleout.processes import ServerProcess, start_pair
from tests.scaleout.test_two_processes import shared_site  # noqa: F401 - fixture
from tests.services import redis_url
from tests.widget.helpers import new_id

pytestmark = pytest.mark.scaleout


def _next_message(ws, timeout: float = 3.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["type"] == "message":
            return frame["message"]


ORIGIN = "https://shop.example"


@contextlib.contextmanager
def two_processes(site: dict, **settings: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two servers on the site's database and one Redis; the site's page may use the widget,
    and its admin signs in with the usual password."""
    db = Database(site["url"])
    with db.unit_of_work() as s:
        s.execute(update(User).values(password_hash=hash_password("correct horse battery")))
        channel_by_key(s, site["key"]).allowed_origins = [ORIGIN]
    db.dispose()
    a, b = start_pair(site["url"], redis_url(), **settings)
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def _conversation(server: ServerProcess, key: str) -> tuple[str, dict]:
    """A new visitor, shown the live message, starts a conversation: its id and the answer."""
    customer = httpx.Client(base_url=server.url, headers={"Origin": ORIGIN})
    visitor = new_id("v")
    view = customer.post(f"/widget/v1/{key}/page-views", json={
        "visitor_id": visitor, "session_id": new_id("s"), "event_id": new_id("e"),
        "url": f"{ORIGIN}/"}).json()
    conv = customer.post(f"/widget/v1/{key}/conversations", json={
        "visitor_id": visitor, "delivery_id": view["show"]["delivery_id"],
        "client_id": new_id("c"), "name": "Maria", "email": "maria@example.com"}).json()
    return visitor, conv


def test_customer_on_one_process_agent_on_the_other(shared_site):  # noqa: F811
    with two_processes(shared_site) as (a, b):
        key = shared_site["key"]
        visitor, conv = _conversation(a, key)
        cid = conv["conversation_id"]
        last = conv["messages"][-1]["id"]

        agent = httpx.Client(base_url=b.url)
        page = agent.get("/login").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        agent.post("/login", data={"email": "ops@example.test",
                                   "password": "correct horse battery", "csrf_token": token})
        tickets = agent.get("/api/v1/tickets", params={"status": "unsolved"}).json()
        assert tickets[0]["requester_email"] == "maria@example.com"
        tid = tickets[0]["id"]
        cookie = "; ".join(f"{k}={v}" for k, v in agent.cookies.items())

        customer_ws = connect(f"{a.url.replace('http', 'ws')}/widget/v1/{key}/conversations/"
                              f"{cid}/ws?visitor_id={visitor}&after={last}",
                              origin=ORIGIN)
        agent_ws = connect(f"{b.url.replace('http', 'ws')}/agent/conversations/{tid}/ws"
                           f"?after={last}", origin=b.url, additional_headers={"Cookie": cookie})
        with customer_ws, agent_ws:
            agent_ws.send(json.dumps({"type": "message", "client_id": new_id("a"),
                                      "body": "Hello from process B"}))
            assert _next_message(customer_ws)["body"] == "Hello from process B"
            customer_ws.send(json.dumps({"type": "message", "client_id": new_id("c"),
                                         "body": "Hi from process A"}))
            bodies = [_next_message(agent_ws)["body"], _next_message(agent_ws)["body"]]
            assert bodies == ["Hello from process B", "Hi from process A"]


def test_a_visitors_open_sockets_are_capped_over_both_processes(shared_site):  # noqa: F811
    key = shared_site["key"]
    with two_processes(shared_site, OVERTURE_WIDGET_SOCKETS_PER_VISITOR="3") as (a, b):
        visitor, conv = _conversation(a, key)

        def open_on(server):
            return connect(f"{server.url.replace('http', 'ws')}/widget/v1/{key}/conversations/"
                           f"{conv['conversation_id']}/ws?visitor_id={visitor}", origin=ORIGIN,
                           open_timeout=5)

        with open_on(a) as first, open_on(b), open_on(a):
            for server in (a, b):  # three tabs open over two processes: a fourth is refused
                with pytest.raises(InvalidStatus):
                    open_on(server)
            first.close()
            deadline = time.monotonic() + 10
            while True:  # the place is given back once process A has seen the close
                try:
                    with open_on(b) as again:
                        assert _next_message(again)["body"] == "Hello from the other side"
                    break
                except InvalidStatus:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)


def test_signing_out_on_one_process_closes_the_agents_socket_on_the_other(shared_site):  # noqa: F811
    with two_processes(shared_site) as (a, b):
        agent = httpx.Client(base_url=a.url)
        token = agent.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        agent.post("/login", data={"email": "ops@example.test",
                                   "password": "correct horse battery", "csrf_token": token})
        token = agent.get("/account").text.split('name="csrf_token" value="')[1].split('"')[0]
        cookie = "; ".join(f"{k}={v}" for k, v in agent.cookies.items())
        with connect(f"{b.url.replace('http', 'ws')}/agent/ws", origin=b.url,
                     additional_headers={"Cookie": cookie}) as feed:
            signed_out = agent.post("/api/v1/me/sign-out-everywhere",
                                    headers={"X-CSRF-Token": token})
            assert signed_out.status_code == 204
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    feed.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
