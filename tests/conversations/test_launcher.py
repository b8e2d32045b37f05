"""Conversations the customer starts from the launcher: no proactive message, no delivery."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from overture.conversations.models import Conversation
from tests.widget.helpers import ORIGIN, Browser, new_id

API = "/api/v1/proactive-messages"


def launch(visitor: Browser, **body):
    payload = {"visitor_id": visitor.visitor_id, "client_id": new_id("c"), **body}
    return visitor._post("conversations", payload)


def _tickets(client, agent) -> list[dict]:
    return client.get("/api/v1/tickets", headers=agent.headers).json()


def _ask_contact(client, admin, site, value: bool = True) -> None:
    r = client.patch(f"/api/v1/channels/{site['channel']['id']}", headers=admin.headers,
                     json={"launcher_asks_contact": value})
    assert r.status_code == 200, r.text


def test_a_first_message_starts_a_conversation_and_its_ticket(client, agent, visitor, db):
    visitor.view()
    r = launch(visitor, message="Do you ship to Lisbon?")
    assert r.status_code == 201, r.text
    conv = r.json()
    assert conv["status"] == "open" and conv["ticket_status"] == "new"
    assert [(m["author"], m["body"]) for m in conv["messages"]] == [
        ("customer", "Do you ship to Lisbon?")]
    [ticket] = _tickets(client, agent)
    assert ticket["conversation_id"] == conv["conversation_id"]
    assert ticket["proactive_message_id"] is None and ticket["proactive_message_name"] == ""
    assert ticket["tags"] == [] and ticket["status"] == "new" and ticket["unassigned"]
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent.headers).json()
    assert detail["proactive_message_text"] is None
    assert detail["page_views"][0]["url"] == "https://shop.example/"
    assert [m["body"] for m in detail["messages"]] == ["Do you ship to Lisbon?"]
    with db() as session:
        row = session.scalar(select(Conversation).where(
            Conversation.id == conv["conversation_id"]))
        assert row.delivery_id is None
    # The open conversation keeps proactive messages away, as any conversation does.
    assert visitor.view("https://shop.example/next")["show"] is None
    # The agent answers; the customer reads it and writes again.
    r = client.post(f"/api/v1/tickets/{ticket['id']}/messages", headers=agent.headers,
                    json={"client_id": new_id("a"), "body": "Yes, we do."})
    assert r.status_code == 201
    got = client.get(f"/widget/v1/{visitor.key}/conversations/{conv['conversation_id']}",
                     params={"visitor_id": visitor.visitor_id}, headers={"Origin": ORIGIN})
    assert [m["body"] for m in got.json()["messages"]][-1] == "Yes, we do."


def test_a_visitor_the_server_has_not_seen_yet_may_write(client, agent, visitor):
    r = launch(visitor, message="Hello?")  # no page view reported first (an app, say)
    assert r.status_code == 201, r.text
    assert len(_tickets(client, agent)) == 1


def test_a_retry_with_the_same_client_id_is_the_same_conversation(client, agent, visitor):
    visitor.view()
    first = launch(visitor, client_id="c-launch-retry-1", message="Hi")
    assert first.status_code == 201
    again = launch(visitor, client_id="c-launch-retry-1", message="Hi")
    assert again.status_code == 200, again.text
    assert again.json()["conversation_id"] == first.json()["conversation_id"]
    assert [m["body"] for m in again.json()["messages"]] == ["Hi"]
    assert len(_tickets(client, agent)) == 1
    # Even once solved, the retry finds it (and stores nothing new).
    tid = _tickets(client, agent)[0]["id"]
    client.patch(f"/api/v1/tickets/{tid}", json={"status": "solved"}, headers=agent.headers)
    again = launch(visitor, client_id="c-launch-retry-1", message="Hi")
    assert again.status_code == 200
    assert again.json()["conversation_id"] == first.json()["conversation_id"]
    assert again.json()["status"] == "solved"
    assert len(_tickets(client, agent)) == 1


def test_an_open_conversation_is_given_back_with_the_message_added(client, agent, visitor):
    visitor.view()
    first = launch(visitor, message="Hi").json()
    second = launch(visitor, message="Anyone there?")
    assert second.status_code == 200, second.text
    assert second.json()["conversation_id"] == first["conversation_id"]
    assert [m["body"] for m in second.json()["messages"]] == ["Hi", "Anyone there?"]
    assert len(_tickets(client, agent)) == 1
    # Once solved, the launcher starts a new one.
    tid = _tickets(client, agent)[0]["id"]
    client.patch(f"/api/v1/tickets/{tid}", json={"status": "solved"}, headers=agent.headers)
    third = launch(visitor, message="Another question")
    assert third.status_code == 201
    assert third.json()["conversation_id"] != first["conversation_id"]
    assert len(_tickets(client, agent)) == 2


def test_a_proactive_reply_is_an_open_conversation_too(client, agent, live, visitor):
    live(response={"type": "agent", "collect": [], "follow_up": "Thanks"})
    visitor.view()
    reply = visitor._post("conversations", {
        "visitor_id": visitor.visitor_id, "client_id": new_id("c"), "message": "Hi",
        "delivery_id": visitor.last["show"]["delivery_id"]}).json()
    r = launch(visitor, message="From the launcher")
    assert r.status_code == 200
    assert r.json()["conversation_id"] == reply["conversation_id"]
    assert len(_tickets(client, agent)) == 1


def test_a_message_is_required(visitor):
    visitor.view()
    for body in ({}, {"message": ""}, {"message": "   "}, {"name": "Maria"}):
        r = launch(visitor, **body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["details"][0]["loc"] == ["message"]


def test_name_and_email_when_the_channel_asks(client, admin, agent, site, visitor):
    _ask_contact(client, admin, site)
    visitor.view()
    r = launch(visitor, message="Hi")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["name"]
    r = launch(visitor, message="Hi", name="Maria Silva")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["email"]
    r = launch(visitor, message="Hi", name="Maria Silva", email="not-an-email")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["email"]
    assert _tickets(client, agent) == []
    r = launch(visitor, message="Hi", name="Maria Silva", email="maria@example.com")
    assert r.status_code == 201, r.text
    assert r.json()["messages"][0]["author_name"] == "Maria Silva"
    [t] = _tickets(client, agent)
    assert t["requester_name"] == "Maria Silva" and t["requester_email"] == "maria@example.com"
    detail = client.get(f"/api/v1/tickets/{t['id']}", headers=agent.headers).json()
    assert detail["visitor_name"] == "Maria Silva"


def test_name_and_email_are_kept_when_given_unasked(client, agent, visitor):
    visitor.view()
    r = launch(visitor, message="Hi", name="João", email="joao@example.com")
    assert r.status_code == 201
    [t] = _tickets(client, agent)
    assert t["requester_name"] == "João" and t["requester_email"] == "joao@example.com"


@pytest.mark.parametrize(("body", "field"), [
    ({"message": "a\x00b"}, "message"),
    ({"message": "x" * 10_001}, "message"),
    ({"message": "x" * 1_000_000}, None),  # past the body limit: 413
    ({"message": 5}, "message"),
    ({"message": "Hi", "name": "a\x00b"}, "name"),
    ({"message": "Hi", "name": "x" * 201}, "name"),
    ({"message": "Hi", "email": ["a@example.com"]}, "email"),
    ({"message": "Hi", "delivery_id": "5"}, "delivery_id"),
    ({"message": "Hi", "client_id": "short"}, "client_id"),
    ({"message": "Hi", "extra": 1}, "extra"),
])
def test_bad_input_is_named(client, agent, visitor, body, field):
    visitor.view()
    r = launch(visitor, **body)
    if field is None:
        assert r.status_code == 413, r.text
    else:
        assert r.status_code == 422, r.text
        assert [field] in [d["loc"] for d in r.json()["error"]["details"]], r.text
    assert _tickets(client, agent) == []


def test_other_visitors_and_channels_are_not_reached(client, admin, site, visitor):
    visitor.view()
    mine = launch(visitor, client_id="c-launch-mine-01", message="Hi").json()
    # Another visitor using the same client id starts their own conversation.
    other = Browser(client, visitor.key)
    theirs = launch(other, client_id="c-launch-mine-01", message="Hi")
    assert theirs.status_code == 201
    assert theirs.json()["conversation_id"] != mine["conversation_id"]
    # The same visitor on another channel starts one there.
    second = client.post("/api/v1/channels", headers=admin.headers, json={
        "brand_id": site["brand"]["id"], "name": "Other", "allowed_origins": [ORIGIN]}).json()
    elsewhere = Browser(client, second["key"], visitor_id=visitor.visitor_id)
    r = launch(elsewhere, client_id="c-launch-mine-01", message="Hi")
    assert r.status_code == 201
    assert r.json()["conversation_id"] != mine["conversation_id"]


def test_a_reply_to_a_bubble_left_on_screen_joins_the_open_conversation(
        client, admin, agent, live, visitor):
    """The bubble was shown (in another tab, say) before the customer wrote from the launcher:
    answering it adds to the one open conversation and its ticket, and counts as a reply."""
    m = live(message="Need a hand?", tags=["pricing"],
             response={"type": "agent", "collect": [], "follow_up": "On our way"})
    delivery_id = visitor.view()["show"]["delivery_id"]
    started = launch(visitor, message="Hello from the launcher")
    assert started.status_code == 201
    [ticket] = _tickets(client, agent)
    client.patch(f"/api/v1/tickets/{ticket['id']}", json={"tags": ["launcher"]},
                 headers=agent.headers)

    r = visitor._post("conversations", {"visitor_id": visitor.visitor_id, "client_id":
                                        new_id("c"), "delivery_id": delivery_id,
                                        "message": "Yes please"})
    assert r.status_code == 200, r.text
    assert r.json()["conversation_id"] == started.json()["conversation_id"]
    assert [(m["author"], m["body"]) for m in r.json()["messages"]] == [
        ("customer", "Hello from the launcher"), ("sender", "Need a hand?"),
        ("customer", "Yes please"), ("sender", "On our way")]
    [ticket] = _tickets(client, agent)
    assert ticket["tags"] == ["launcher", "pricing"]
    stats = client.get(f"{API}/{m['id']}", headers=admin.headers).json()["stats"]
    assert stats["replied"] == 1
