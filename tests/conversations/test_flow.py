"""Conversations and tickets over HTTP: start, exchange, solve, and who may see what."""

from __future__ import annotations

import pytest

from overture.accounts.models import User
from tests.widget.helpers import ORIGIN, Browser, new_id

API = "/api/v1/proactive-messages"


@pytest.fixture
def shown(client, admin, live, visitor):
    """A visitor looking at a proactive message that collects name and email."""
    m = live(message="Need help {{first_name}}?", tags=["pricing", "vip"])
    visitor.view()
    visitor.event("opened")
    return m


def start(visitor, **body):
    payload = {"visitor_id": visitor.visitor_id, "delivery_id": visitor.last["show"]["delivery_id"],
               "client_id": new_id("c"), **body}
    return visitor._post("conversations", payload)


def test_form_submit_creates_conversation_and_ticket(client, admin, agent, shown, visitor):
    # Opening alone creates nothing.
    assert client.get("/api/v1/tickets", headers=agent.headers).json() == []
    r = start(visitor, name="Maria Silva", email="maria@example.com")
    assert r.status_code == 201, r.text
    conv = r.json()
    bodies = [(m["author"], m["body"]) for m in conv["messages"]]
    assert bodies[0] == ("sender", "Need help?")
    assert bodies[-1] == ("sender", "Thanks!")
    tickets = client.get("/api/v1/tickets", headers=agent.headers).json()
    assert len(tickets) == 1
    t = tickets[0]
    assert t["requester_name"] == "Maria Silva" and t["requester_email"] == "maria@example.com"
    assert t["tags"] == ["pricing", "vip"] and t["status"] == "new" and t["unassigned"]
    assert t["proactive_message_id"] == shown["id"]
    stats = client.get(f"{API}/{shown['id']}", headers=admin.headers).json()["stats"]
    assert stats == {"sent": 1, "opened": 1, "replied": 1}
    # A retry of the same submit returns the same conversation.
    again = start(visitor, name="Maria Silva", email="maria@example.com")
    assert again.json()["conversation_id"] == conv["conversation_id"]
    assert len(client.get("/api/v1/tickets", headers=agent.headers).json()) == 1


def test_form_validates_the_chosen_fields(shown, visitor):
    r = start(visitor, name="Maria", email="not-an-email")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["email"]
    r = start(visitor, name="Maria")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["email"]


def test_without_collection_the_first_message_starts_it(client, agent, live, visitor):
    live(response={"type": "agent", "collect": [], "follow_up": "We'll be right with you"})
    visitor.view()
    r = start(visitor, message="<script>alert('hi')</script> do you ship to Lisbon?")
    assert r.status_code == 201
    detail = client.get(f"/api/v1/tickets/{_ticket_id(client, agent)}", headers=agent.headers)
    bodies = [(m["author"], m["body"]) for m in detail.json()["messages"]]
    assert bodies == [("sender", "Hello there"),
                      ("customer", "<script>alert('hi')</script> do you ship to Lisbon?"),
                      ("sender", "We'll be right with you")]


def _ticket_id(client, agent) -> int:
    return client.get("/api/v1/tickets", headers=agent.headers).json()[0]["id"]


def test_exchange_solve_and_suppression(client, agent, shown, visitor, live):
    conv = start(visitor, name="Maria", email="maria@example.com").json()
    cid = conv["conversation_id"]
    tid = _ticket_id(client, agent)
    # Open conversation: no proactive message for this customer.
    assert visitor.view("https://shop.example/next")["show"] is None
    r = client.post(f"/api/v1/tickets/{tid}/messages", headers=agent.headers,
                    json={"client_id": new_id("a"), "body": "Hello Maria, how can I help?"})
    assert r.status_code == 201
    t = client.get(f"/api/v1/tickets/{tid}", headers=agent.headers).json()
    assert t["status"] == "open" and t["assignee_id"] == agent.id
    r = visitor._post(f"conversations/{cid}/messages", {
        "visitor_id": visitor.visitor_id, "client_id": "c-same-id-1", "body": "I need a quote"})
    assert r.status_code == 201
    visitor._post(f"conversations/{cid}/messages", {
        "visitor_id": visitor.visitor_id, "client_id": "c-same-id-1", "body": "I need a quote"})
    got = client.get(f"/widget/v1/{visitor.key}/conversations/{cid}",
                     params={"visitor_id": visitor.visitor_id}, headers={"Origin": ORIGIN}).json()
    assert [m["body"] for m in got["messages"]].count("I need a quote") == 1
    r = client.patch(f"/api/v1/tickets/{tid}", json={"status": "solved", "tags": ["done"]},
                     headers=agent.headers)
    assert r.json()["status"] == "solved" and r.json()["tags"] == ["done"]
    visitor.new_session()
    assert visitor.view()["show"] is not None


def test_page_views_and_filters(client, agent, shown, visitor):
    start(visitor, name="Maria", email="maria@example.com")
    tid = _ticket_id(client, agent)
    t = client.get(f"/api/v1/tickets/{tid}", headers=agent.headers).json()
    assert t["page_views"][0]["url"] == "https://shop.example/"
    assert t["proactive_message_text"] == "Need help {{first_name}}?"
    assert len(client.get("/api/v1/tickets", params={"tag": "vip"}, headers=agent.headers).json()) == 1
    assert client.get("/api/v1/tickets", params={"tag": "nope"}, headers=agent.headers).json() == []
    assert len(client.get("/api/v1/tickets", params={"status": "unsolved"},
                          headers=agent.headers).json()) == 1
    assert client.get("/api/v1/tickets", params={"status": "weird"},
                      headers=agent.headers).status_code == 422


def _reads_and_writes(client, browser: Browser, cid: int) -> tuple[int, int]:
    """What `browser` gets reading conversation `cid`, then posting to it."""
    read = client.get(f"/widget/v1/{browser.key}/conversations/{cid}",
                      params={"visitor_id": browser.visitor_id}, headers={"Origin": ORIGIN})
    sent = browser._post(f"conversations/{cid}/messages", {
        "visitor_id": browser.visitor_id, "client_id": new_id("c"), "body": "hi"})
    return read.status_code, sent.status_code


def test_visitors_never_see_other_visitors_conversations(client, shown, visitor, site):
    conv = start(visitor, name="Maria", email="maria@example.com").json()
    cid = conv["conversation_id"]
    intruder = Browser(client, site["channel"]["key"])
    intruder.view()
    assert _reads_and_writes(client, intruder, cid) == (404, 404)
    # Someone else's delivery cannot start a conversation either.
    r = intruder._post("conversations", {"visitor_id": intruder.visitor_id,
                                         "delivery_id": visitor.last["show"]["delivery_id"],
                                         "client_id": new_id("c"), "message": "x"})
    assert r.status_code == 404


def test_bad_input(client, agent, shown, visitor):
    conv = start(visitor, name="Maria", email="maria@example.com").json()
    cid = conv["conversation_id"]
    r = visitor._post(f"conversations/{cid}/messages", {
        "visitor_id": visitor.visitor_id, "client_id": new_id("c"), "body": "x" * 10_001})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["body"]
    r = client.post(f"/widget/v1/{visitor.key}/conversations/{cid}/messages",
                    headers={"Origin": ORIGIN, **agent.headers},
                    json={"visitor_id": visitor.visitor_id, "client_id": new_id("c"), "body": "hi"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "token_not_accepted"
    tid = _ticket_id(client, agent)
    assert client.patch(f"/api/v1/tickets/{tid}", json={"status": "closed"},
                        headers=agent.headers).status_code == 422
    assert client.patch(f"/api/v1/tickets/{tid}", json={"assignee_id": 999},
                        headers=agent.headers).status_code == 403  # not theirs to hand out
    assert client.get("/api/v1/tickets/999", headers=agent.headers).status_code == 404
    assert client.get("/api/v1/tickets").status_code == 401


def test_agents_take_tickets_admins_hand_them_out(client, admin, agent, shown, visitor, db):
    start(visitor, name="Maria", email="maria@example.com")
    tid = _ticket_id(client, agent)
    other = client.post("/api/v1/users", headers=admin.headers, json={
        "email": "other@example.com", "name": "Other", "password": "x" * 12,
        "role": "agent"}).json()

    def assign(caller, assignee_id):
        return client.patch(f"/api/v1/tickets/{tid}", json={"assignee_id": assignee_id},
                            headers=caller.headers)

    # An agent takes a ticket, or leaves it unassigned...
    assert assign(agent, agent.id).json()["assignee_id"] == agent.id
    assert assign(agent, None).json()["assignee_id"] is None
    # ...but hands it to nobody else, and the refusal changes nothing.
    for someone in (other["id"], admin.id, 999):
        r = assign(agent, someone)
        assert r.status_code == 403 and r.json()["error"]["code"] == "assign_to_others"
    assert client.get(f"/api/v1/tickets/{tid}", headers=agent.headers).json()["unassigned"]
    # Other changes in the same request are refused with it.
    r = client.patch(f"/api/v1/tickets/{tid}", headers=agent.headers,
                     json={"assignee_id": other["id"], "status": "solved"})
    assert r.status_code == 403
    assert client.get(f"/api/v1/tickets/{tid}", headers=agent.headers).json()["status"] == "new"
    # An admin assigns to any active user.
    assert assign(admin, other["id"]).json()["assignee_id"] == other["id"]
    assert assign(admin, agent.id).json()["assignee_id"] == agent.id
    assert assign(admin, admin.id).json()["assignee_id"] == admin.id
    # An agent may take a ticket someone else holds.
    assert assign(agent, agent.id).json()["assignee_id"] == agent.id
    with db() as session:
        session.get(User, other["id"]).is_active = False
    r = assign(admin, other["id"])
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["assignee_id"]


def test_deleting_the_message_keeps_ticket_tags(client, admin, agent, shown, visitor):
    start(visitor, name="Maria", email="maria@example.com")
    client.post(f"{API}/{shown['id']}/pause", headers=admin.headers)
    assert client.delete(f"{API}/{shown['id']}", headers=admin.headers).status_code == 204
    t = client.get("/api/v1/tickets", headers=agent.headers).json()[0]
    assert t["tags"] == ["pricing", "vip"] and t["proactive_message_id"] is None
    assert t["proactive_message_name"] == "Hello"


def test_an_identified_customer_is_suppressed_on_every_device_until_solved(
        client, agent, live, visitor, new_visitor, site):
    secret = site["channel"]["jwt_secret"]
    live(message="Need help?")
    laptop, phone = visitor, new_visitor()
    laptop.identify(secret, "cust-42", "Maria Silva", email="maria@example.com")
    phone.identify(secret, "cust-42", "Maria Silva", email="maria@example.com")
    laptop.view()
    start(laptop, name="Maria Silva", email="maria@example.com")
    assert phone.view()["show"] is None
    tid = _ticket_id(client, agent)
    client.patch(f"/api/v1/tickets/{tid}", json={"status": "solved"}, headers=agent.headers)
    assert phone.view("https://shop.example/again")["show"] is not None


def test_a_conversation_started_anonymously_follows_the_customer_after_identify(
        client, agent, live, visitor, new_visitor, site):
    secret = site["channel"]["jwt_secret"]
    live(message="Need help?")
    visitor.view()
    conv = start(visitor, name="Maria", email="maria@example.com").json()
    visitor.identify(secret, "cust-43", "Maria")
    other_device = new_visitor()
    other_device.identify(secret, "cust-43", "Maria")
    assert other_device.view()["show"] is None
    got = client.get(f"/widget/v1/{visitor.key}/conversations/{conv['conversation_id']}",
                     params={"visitor_id": visitor.visitor_id}, headers={"Origin": ORIGIN})
    assert got.status_code == 200


def test_another_channels_token_never_reaches_the_customer(
        client, admin, agent, live, visitor, site):
    """A token signed with channel 2's secret for external id X makes its caller X *for
    channel 2* only: never the customer X of channel 1, nor their conversations."""
    live(message="Need help?")
    secret_1 = site["channel"]["jwt_secret"]
    visitor.identify(secret_1, "cust-44", "Maria")
    visitor.view()
    conv = start(visitor, name="Maria", email="maria@example.com").json()
    other = client.post("/api/v1/channels", headers=admin.headers, json={
        "brand_id": site["brand"]["id"], "name": "Other site",
        "allowed_origins": [ORIGIN]}).json()
    attacker = Browser(client, other["key"])
    assert attacker.identify(other["jwt_secret"], "cust-44", "Mallory").status_code == 200
    # The attacker's browser id, now used on channel 1: not Maria, not her conversation.
    on_channel_1 = Browser(client, site["channel"]["key"], visitor_id=attacker.visitor_id)
    assert _reads_and_writes(client, on_channel_1, conv["conversation_id"]) == (404, 404)
    # Maria herself is untouched: her name is hers, her conversation still opens.
    mine = client.get(f"/widget/v1/{visitor.key}/conversations/{conv['conversation_id']}",
                      params={"visitor_id": visitor.visitor_id}, headers={"Origin": ORIGIN})
    assert mine.status_code == 200
    ticket = client.get(f"/api/v1/tickets/{_ticket_id(client, agent)}",
                        headers=agent.headers).json()
    assert ticket["visitor_name"] == "Maria"
