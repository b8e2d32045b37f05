"""Live chat over WebSocket against a real server: both ways, resume without loss or
duplicates, heartbeats' neighbours (bad frames, floods)."""

from __future__ import annotations

import contextlib
import json
import time

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from overture.kit.clock import clock
from tests.widget.helpers import Browser, new_id


@pytest.fixture
def chat(client, admin, agent, live, site, live_server):
    """A customer (through the live server) in a started conversation, and its ticket id."""
    client.patch(f"/api/v1/channels/{site['channel']['id']}", headers=admin.headers,
                 json={"allowed_origins": [live_server]})
    live(message="Can we help?", response={"type": "agent", "collect": [],
                                           "follow_up": "Write to us"})
    http = httpx.Client(base_url=live_server, headers={"Origin": live_server})
    customer = Browser(http, site["channel"]["key"])
    customer._post = lambda path, body, **kw: http.post(
        f"/widget/v1/{customer.key}/{path}", json=body)
    customer.view()
    r = customer._post("conversations", {"visitor_id": customer.visitor_id,
                                         "delivery_id": customer.last["show"]["delivery_id"],
                                         "client_id": new_id("c"), "message": "Hello?"})
    assert r.status_code == 201, (r.text, customer.last)
    conv = r.json()
    ticket = client.get("/api/v1/tickets", headers=agent.headers).json()[0]
    return {"customer": customer, "conversation": conv, "ticket": ticket["id"],
            "ws": live_server.replace("http://", "ws://"), "origin": live_server}


def _customer_socket(chat, after: int = 0):
    c = chat["customer"]
    url = (f"{chat['ws']}/widget/v1/{c.key}/conversations/"
           f"{chat['conversation']['conversation_id']}/ws?visitor_id={c.visitor_id}&after={after}")
    return connect(url, origin=chat["origin"], open_timeout=5)


def _messages(ws, n: int, timeout: float = 5.0) -> list[dict]:
    out: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(out) < n:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["type"] == "message":
            out.append(frame["message"])
    return out


def _refused(url: str, **kw) -> None:
    """The server closes the socket before accepting it: the handshake fails."""
    with pytest.raises(InvalidStatus) as info:
        connect(url, open_timeout=5, **kw)
    assert info.value.response.status_code == 403


def _agent_says(client, agent, chat, body: str) -> dict:
    r = client.post(f"/api/v1/tickets/{chat['ticket']}/messages", headers=agent.headers,
                    json={"client_id": new_id("a"), "body": body})
    assert r.status_code == 201
    return r.json()


def test_customer_socket_gets_history_then_live_agent_replies(client, agent, chat):
    with _customer_socket(chat) as ws:
        history = _messages(ws, 3)
        assert [m["body"] for m in history] == ["Can we help?", "Hello?", "Write to us"]
        _agent_says(client, agent, chat, "Hi! <b>How</b> can I help?")
        (reply,) = _messages(ws, 1)
        assert reply["author"] == "agent" and reply["body"] == "Hi! <b>How</b> can I help?"
        ws.send(json.dumps({"type": "message", "client_id": new_id("c"), "body": "Pricing"}))
        (mine,) = _messages(ws, 1)
        assert mine["author"] == "customer" and mine["body"] == "Pricing"
    detail = client.get(f"/api/v1/tickets/{chat['ticket']}", headers=agent.headers).json()
    assert [m["body"] for m in detail["messages"]][-1] == "Pricing"


def test_reconnect_resumes_without_loss_or_duplicates(client, agent, chat):
    with _customer_socket(chat) as ws:
        seen = _messages(ws, 3)
    last = seen[-1]["id"]
    sent = [_agent_says(client, agent, chat, f"while you were away {i}") for i in range(3)]
    with _customer_socket(chat, after=last) as ws:
        resumed = _messages(ws, 3)
        _agent_says(client, agent, chat, "and now live")
        (live_one,) = _messages(ws, 1)
        with pytest.raises(TimeoutError):
            _messages(ws, 1, timeout=0.5)  # nothing delivered twice
    assert [m["id"] for m in resumed] == [m["id"] for m in sent]
    assert live_one["body"] == "and now live"


def test_agent_socket_both_ways(client, agent, chat, live_server):
    from tests.conftest import PASSWORD, csrf_from

    web = httpx.Client(base_url=live_server)
    token = csrf_from(web.get("/login").text)
    web.post("/login", data={"email": agent.email, "password": PASSWORD, "csrf_token": token})
    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
    url = f"{chat['ws']}/agent/conversations/{chat['ticket']}/ws?after=0"
    with connect(url, origin=chat["origin"], additional_headers={"Cookie": cookie}) as agent_ws, \
            _customer_socket(chat) as customer_ws:
        assert len(_messages(agent_ws, 3)) == 3
        _messages(customer_ws, 3)
        agent_ws.send(json.dumps({"type": "message", "client_id": new_id("a"), "body": "Yo"}))
        assert _messages(customer_ws, 1)[0]["body"] == "Yo"
        customer_ws.send(json.dumps({"type": "message", "client_id": new_id("c"), "body": "Hey"}))
        assert [m["body"] for m in _messages(agent_ws, 2)] == ["Yo", "Hey"]
    # Without a session, or from another site, the agent socket is refused.
    _refused(url, origin=chat["origin"])
    _refused(url, origin="https://evil.example", additional_headers={"Cookie": cookie})


def _one_flood_window() -> None:
    """Every message of the test falls in one of the flood gate's 10-second windows."""
    now = clock.now()
    clock.freeze(now.replace(second=now.second // 10 * 10 + 1, microsecond=0))


def _frames(ws, seconds: float = 5.0) -> list[dict]:
    """Every frame until the socket has been quiet for half a second."""
    frames = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frames.append(json.loads(ws.recv(timeout=0.5)))
        except TimeoutError:
            break
    return frames


def test_one_visitor_floods_no_faster_through_many_sockets(client, agent, chat):
    _one_flood_window()
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(_customer_socket(chat)) for _ in range(3)]
        for ws in sockets:
            _messages(ws, 3)
        for n, ws in enumerate(sockets):
            for i in range(10):
                ws.send(json.dumps({"type": "message", "client_id": new_id("f"),
                                    "body": f"s{n} m{i}"}))
        refused = sum(1 for ws in sockets for f in _frames(ws) if f.get("code") == "rate_limited")
    detail = client.get(f"/api/v1/tickets/{chat['ticket']}", headers=agent.headers).json()
    stored = [m for m in detail["messages"] if m["body"].startswith("s")]
    assert len(stored) == 20 and refused == 10


def test_flooding_is_rate_limited_and_the_connection_kept(client, agent, chat):
    _one_flood_window()
    with _customer_socket(chat) as ws:
        _messages(ws, 3)
        for i in range(25):
            ws.send(json.dumps({"type": "message", "client_id": new_id("f"), "body": f"m{i}"}))
        frames = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                frames.append(json.loads(ws.recv(timeout=0.5)))
            except TimeoutError:
                break
        errors = [f for f in frames if f["type"] == "error"]
        stored = [f for f in frames if f["type"] == "message"]
        assert errors and all(e["code"] == "rate_limited" for e in errors)
        assert len(stored) == 20
        ws.send("not json")
        assert json.loads(ws.recv(timeout=2))["code"] == "bad_json"
        ws.send(json.dumps({"type": "message", "client_id": new_id("c"), "body": "x" * 10_001}))
        assert json.loads(ws.recv(timeout=2))["type"] == "error"
    # Others are unaffected.
    assert _agent_says(client, agent, chat, "still here")["body"] == "still here"


def test_a_stranger_cannot_open_the_socket(chat, site):
    c = chat["customer"]
    url = (f"{chat['ws']}/widget/v1/{c.key}/conversations/"
           f"{chat['conversation']['conversation_id']}/ws?visitor_id={new_id('v')}")
    _refused(url, origin=chat["origin"])


def test_one_visitor_holds_a_bounded_number_of_sockets(app, chat):
    limit = app.state.settings.widget_sockets_per_visitor
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(_customer_socket(chat)) for _ in range(limit)]
        for ws in sockets:
            _messages(ws, 3)  # each one open and served
        _refused_socket(chat)
        sockets[0].close()
        deadline = time.monotonic() + 10
        while True:  # its place is given back once the server has seen the close
            try:
                with _customer_socket(chat) as again:
                    assert len(_messages(again, 3)) == 3
                break
            except InvalidStatus:
                assert time.monotonic() < deadline


def _refused_socket(chat) -> None:
    c = chat["customer"]
    _refused(f"{chat['ws']}/widget/v1/{c.key}/conversations/"
             f"{chat['conversation']['conversation_id']}/ws?visitor_id={c.visitor_id}",
             origin=chat["origin"])
