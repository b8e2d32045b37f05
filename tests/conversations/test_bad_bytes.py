"""Bad bytes are a 422 naming the field, never a 500, and nothing half-stored: a NUL (which
PostgreSQL cannot hold at all) or another control character in every text a visitor, an agent
or an admin sends — on both databases."""

from __future__ import annotations

import pytest

from tests.widget.helpers import new_id

API = "/api/v1/proactive-messages"
BAD = ["a\x00b", "bell\x07", "esc\x1b[31m", "del\x7f"]


def _refused(r, field: str) -> None:
    assert r.status_code == 422, r.text
    locs = {".".join(str(p) for p in d["loc"]) for d in r.json()["error"]["details"]}
    assert any(loc == field or loc.startswith(field + ".") for loc in locs), locs


@pytest.fixture
def chat(client, admin, agent, live, visitor):
    """An open conversation, its ticket, and the visitor in it."""
    live(tags=["vip"], response={"type": "agent", "collect": [], "follow_up": "Thanks!"})
    visitor.view()
    r = visitor._post("conversations", {"visitor_id": visitor.visitor_id,
                                        "delivery_id": visitor.last["show"]["delivery_id"],
                                        "client_id": new_id("c"), "message": "Hi"})
    assert r.status_code == 201, r.text
    ticket = client.get("/api/v1/tickets", headers=agent.headers).json()[0]
    return {"conversation": r.json()["conversation_id"], "ticket": ticket["id"]}


@pytest.mark.parametrize("bad", BAD)
def test_widget_texts(visitor, site, bad):
    for field in ("url", "title", "referrer", "language"):
        r = visitor._post("page-views", {
            "visitor_id": visitor.visitor_id, "session_id": visitor.session_id,
            "event_id": new_id("e"), "url": "https://shop.example/", field: bad})
        _refused(r, field)
    r = visitor._post("page-views", {
        "visitor_id": visitor.visitor_id, "session_id": visitor.session_id,
        "event_id": new_id("e"), "url": "https://shop.example/", "attributes": {"plan": bad}})
    _refused(r, "attributes")
    visitor.view()  # the visitor is not harmed by the refused calls
    assert visitor.last["page_view_id"]


@pytest.mark.parametrize("bad", BAD)
def test_chat_messages_both_ways(client, agent, visitor, chat, bad):
    r = visitor._post(f"conversations/{chat['conversation']}/messages", {
        "visitor_id": visitor.visitor_id, "client_id": new_id("c"), "body": bad})
    _refused(r, "body")
    r = client.post(f"/api/v1/tickets/{chat['ticket']}/messages", headers=agent.headers,
                    json={"client_id": new_id("c"), "body": bad})
    _refused(r, "body")
    r = client.patch(f"/api/v1/tickets/{chat['ticket']}", headers=agent.headers,
                     json={"tags": [bad]})
    assert r.status_code == 422, r.text
    ticket = client.get(f"/api/v1/tickets/{chat['ticket']}", headers=agent.headers).json()
    assert [m["body"] for m in ticket["messages"]][-2:] == ["Hi", "Thanks!"]
    assert ticket["tags"] == ["vip"]


def test_a_nul_in_a_query_parameter(client, agent, chat):
    for query in ("tag=a%00b", "cursor=a%00b"):
        r = client.get(f"/api/v1/tickets?{query}", headers=agent.headers)
        assert r.status_code == 422, (query, r.text)


@pytest.mark.parametrize("bad", BAD)
def test_admin_texts(client, admin, site, bad):
    h = admin.headers
    _refused(client.post("/api/v1/brands", json={"name": bad}, headers=h), "name")
    body = {"name": "Hello", "channel_id": site["channel"]["id"], "message": "Hello there"}
    for field in ("name", "message"):
        _refused(client.post(API, json={**body, field: bad}, headers=h), field)
    r = client.post(API, json={**body, "conditions": {"all": [
        {"field": "page_title", "operator": "contains", "value": [bad]}]}}, headers=h)
    assert r.status_code == 422, r.text
    # Nothing was stored (the list holds only the ready-made drafts of a first visit).
    assert "Hello" not in [m["name"] for m in client.get(API, headers=h).json()]
    brand = {k: v for k, v in site["brand"].items() if k != "identity_secret"}  # POST's only
    assert client.get("/api/v1/brands", headers=h).json() == [brand]


@pytest.mark.parametrize("claim", ["name", "email", "external_id"])
def test_identity_claims(visitor, site, claim):
    visitor.view()
    claims = {"external_id": "cust-1", "name": "Maria", claim: "Ma\x00ria"}
    r = visitor.identify(site["channel"]["jwt_secret"], **claims)
    assert 400 <= r.status_code < 500 and r.status_code != 404, r.text
    visitor.view()  # still served afterwards


def test_tabs_and_newlines_are_text(client, agent, visitor, chat):
    r = visitor._post(f"conversations/{chat['conversation']}/messages", {
        "visitor_id": visitor.visitor_id, "client_id": new_id("c"),
        "body": "line one\n\tline two\r\n"})
    assert r.status_code == 201, r.text
