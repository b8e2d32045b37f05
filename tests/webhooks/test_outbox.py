"""Events land in the outbox in the commit of the change they tell of, once per subscribed
webhook, as their receivers will get them: read here through the deliveries API (the exact
bodies that are signed and sent), before any worker has run."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from overture.conversations import service as conversations
from overture.conversations.models import Conversation
from overture.visitors.models import Visitor
from overture.webhooks.models import EVENT_TYPES, WebhookDelivery
from tests.widget import conftest as widget
from tests.widget.helpers import Browser, new_id
from tests.widget.test_hot_path import counted

# The widget tests' fixtures: a site (brand, channel, schedule), live messages, visitors.
site, live, visitor, new_visitor = widget.site, widget.live, widget.visitor, widget.new_visitor

API = "/api/v1/webhooks"
URL = "https://hooks.example.com/overture"
SENT, OPENED, DISMISSED, REPLIED = (f"proactive_message.{k}" for k in
                                    ("sent", "opened", "dismissed", "replied"))
TICKET, MESSAGE = "ticket.created", "conversation.message"


def hook(client, admin, events=EVENT_TYPES, **fields) -> int:
    r = client.post(API, json={"url": URL, "events": list(events), **fields},
                    headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def received(client, admin, webhook_id: int) -> list[dict]:
    """The bodies waiting for the webhook, oldest first."""
    r = client.get(f"{API}/{webhook_id}/deliveries", params={"limit": 200},
                   headers=admin.headers)
    assert r.status_code == 200, r.text
    bodies = []
    for delivery in reversed(r.json()):
        body = json.loads(delivery["payload"])
        assert (body["id"], body["type"]) == (delivery["event_id"], delivery["event"])
        assert delivery["status"] == "pending"
        bodies.append(body)
    return bodies


def types(bodies: list[dict]) -> list[str]:
    return [b["type"] for b in bodies]


def outbox_rows(db) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(WebhookDelivery))


def customer_id(db, visitor: Browser) -> int:
    with db() as session:
        return session.scalar(select(Visitor.id).where(Visitor.anon_id == visitor.visitor_id))


def reply(visitor: Browser, **body):
    """The customer answers the bubble on screen (the `live` messages collect name and
    email)."""
    return visitor._post("conversations", {
        "visitor_id": visitor.visitor_id, "delivery_id": visitor.last["show"]["delivery_id"],
        "client_id": new_id("c"), "name": "Maria Silva", "email": "maria@example.com",
        "message": "Do you ship to Lisbon?", **body})


# -- proactive messages ----------------------------------------------------------------------


def test_a_showing_is_sent_once_with_the_message_and_the_page(client, admin, db, live, site,
                                                              visitor):
    webhook = hook(client, admin)
    m = live("Spring sale")
    shown = visitor.view("https://shop.example/pricing?plan=pro")["show"]
    assert shown is not None
    [sent] = received(client, admin, webhook)
    assert sent["type"] == SENT and sent["id"].startswith("evt_")
    assert sent["created_at"].endswith("Z")
    assert sent["data"] == {
        "message": {"id": m["id"], "name": "Spring sale"},
        "delivery_id": shown["delivery_id"], "channel_id": site["channel"]["id"],
        "customer_id": customer_id(db, visitor),
        "page_url": "https://shop.example/pricing?plan=pro"}

    # The next page of the visit finds the bubble still on screen: nothing new was sent.
    again = visitor.view("https://shop.example/cart")["show"]
    assert again is not None and again["delivery_id"] == shown["delivery_id"]
    assert received(client, admin, webhook) == [sent]


def test_a_retried_page_view_sends_nothing_again(client, admin, live, visitor):
    webhook = hook(client, admin)
    live()
    body = {"visitor_id": visitor.visitor_id, "session_id": visitor.session_id,
            "event_id": new_id("e"), "url": "https://shop.example/", "title": "Home",
            "referrer": "", "language": "en", "attributes": {}}
    first = visitor._post("page-views", body)
    second = visitor._post("page-views", body)
    assert first.status_code == second.status_code == 200
    assert first.json()["show"]["delivery_id"] == second.json()["show"]["delivery_id"]
    assert types(received(client, admin, webhook)) == [SENT]


def test_a_page_view_that_shows_nothing_sends_nothing(client, admin, db, live, visitor):
    hook(client, admin)
    live(conditions={"all": [{"field": "page_url", "operator": "contains",
                              "value": ["/pricing"]}]})
    assert visitor.view("https://shop.example/")["show"] is None
    assert outbox_rows(db) == 0


def test_opened_and_dismissed_are_sent_once_each(client, admin, db, live, site, visitor):
    webhook = hook(client, admin)
    m = live("Hello")
    shown = visitor.view()["show"]
    opened_id = new_id("e")
    assert visitor.event("opened", event_id=opened_id).status_code == 200
    retried = visitor.event("opened", event_id=opened_id)  # the widget's retry
    assert retried.status_code == 200 and retried.json()["duplicate"] is True
    # Opened a second time (a new event): the message was opened already.
    assert visitor.event("opened").status_code == 200
    assert visitor.event("dismissed").status_code == 200
    assert visitor.event("dismissed").status_code == 200
    bodies = received(client, admin, webhook)
    assert types(bodies) == [SENT, OPENED, DISMISSED]
    expected = {"message": {"id": m["id"], "name": "Hello"},
                "delivery_id": shown["delivery_id"], "channel_id": site["channel"]["id"],
                "customer_id": customer_id(db, visitor)}
    assert bodies[1]["data"] == bodies[2]["data"] == expected
    assert len({b["id"] for b in bodies}) == 3


def test_a_reply_sends_the_reply_the_ticket_and_each_message(client, admin, agent, db, live,
                                                             site, visitor):
    webhook = hook(client, admin)
    m = live("Hello", "Can we help?", tags=["sales"])
    shown = visitor.view()["show"]
    r = reply(visitor)
    assert r.status_code == 201, r.text
    conversation_id = r.json()["conversation_id"]
    assert reply(visitor).status_code in (200, 201)  # a retry adds nothing either
    bodies = received(client, admin, webhook)[1:]  # after the showing
    assert sorted(set(types(bodies))) == [MESSAGE, REPLIED, TICKET]
    assert types(bodies).count(REPLIED) == types(bodies).count(TICKET) == 1
    [ticket_event] = [b for b in bodies if b["type"] == TICKET]
    [ticket] = client.get("/api/v1/tickets", headers=agent.headers).json()
    assert ticket_event["data"]["channel_id"] == site["channel"]["id"]
    data = ticket_event["data"]["ticket"]
    assert {k: data[k] for k in ("id", "conversation_id", "status", "requester_name",
                                 "requester_email", "tags", "proactive_message_id",
                                 "proactive_message_name")} == {
        "id": ticket["id"], "conversation_id": conversation_id, "status": "new",
        "requester_name": "Maria Silva", "requester_email": "maria@example.com",
        "tags": ["sales"], "proactive_message_id": m["id"], "proactive_message_name": "Hello"}
    [replied] = [b for b in bodies if b["type"] == REPLIED]
    assert replied["data"]["delivery_id"] == shown["delivery_id"]
    assert replied["data"]["message"] == {"id": m["id"], "name": "Hello"}
    # One conversation.message per message of the conversation, as the agent sees them.
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent.headers).json()
    told = [b["data"] for b in bodies if b["type"] == MESSAGE]
    assert [(d["message"]["id"], d["message"]["author"], d["message"]["body"])
            for d in told] == [(x["id"], x["author"], x["body"]) for x in detail["messages"]]
    assert {d["conversation_id"] for d in told} == {conversation_id}
    assert ("customer", "Do you ship to Lisbon?") in [
        (d["message"]["author"], d["message"]["body"]) for d in told]


def test_agent_and_customer_messages_are_sent(client, admin, agent, live, visitor):
    live()
    visitor.view()
    conversation_id = reply(visitor).json()["conversation_id"]
    webhook = hook(client, admin, events=[MESSAGE])  # from here on
    [ticket] = client.get("/api/v1/tickets", headers=agent.headers).json()
    client_id = new_id("a")
    r = client.post(f"/api/v1/tickets/{ticket['id']}/messages", headers=agent.headers,
                    json={"client_id": client_id, "body": "Yes, <b>we do</b>."})
    assert r.status_code == 201, r.text
    # The agent's retry (same client id) is the same message.
    client.post(f"/api/v1/tickets/{ticket['id']}/messages", headers=agent.headers,
                json={"client_id": client_id, "body": "Yes, <b>we do</b>."})
    r = visitor._post(f"conversations/{conversation_id}/messages", {
        "visitor_id": visitor.visitor_id, "client_id": new_id("c"), "body": "Great!"})
    assert r.status_code == 201, r.text
    bodies = received(client, admin, webhook)
    assert [(b["data"]["message"]["author"], b["data"]["message"]["author_name"],
             b["data"]["message"]["body"]) for b in bodies] == [
        ("agent", "Agent", "Yes, <b>we do</b>."), ("customer", "Maria Silva", "Great!")]
    assert {b["data"]["conversation_id"] for b in bodies} == {conversation_id}


FLOW = [
    {"id": "menu", "type": "options", "text": "What brings you here?",
     "options": [{"label": "Pricing", "next": "agent"}, {"label": "Just looking", "next": "bye"}]},
    {"id": "agent", "type": "handoff", "text": "A person will answer soon.", "tags": ["sales"]},
    {"id": "bye", "type": "end", "text": "Enjoy!"},
]


def test_a_bot_handoff_sends_the_reply_and_the_ticket(client, admin, agent, live, site,
                                                      visitor):
    h = admin.headers
    bot = client.post("/api/v1/bots", headers=h, json={"brand_id": site["brand"]["id"],
                                                       "name": "Ada"}).json()
    answer = client.post(f"/api/v1/bots/{bot['id']}/answers", headers=h,
                         json={"name": "Sales", "steps": FLOW}).json()
    assert client.post(f"/api/v1/bots/{bot['id']}/publish", headers=h).status_code == 200
    assert client.patch(f"/api/v1/channels/{site['channel']['id']}", headers=h,
                        json={"bot_id": bot["id"]}).status_code == 200
    m = live("Bot hello", "Need a hand?",
             response={"type": "bot", "bot_id": bot["id"], "answer_id": answer["id"]})
    webhook = hook(client, admin)
    shown = visitor.view()["show"]
    r = visitor._post("bot-runs", {"visitor_id": visitor.visitor_id, "client_id": new_id("r"),
                                   "delivery_id": shown["delivery_id"]})
    assert r.status_code == 201, r.text
    run = r.json()
    assert types(received(client, admin, webhook)) == [SENT]  # opening the bot is no reply
    r = visitor._post(f"bot-runs/{run['run_id']}/answers", {
        "visitor_id": visitor.visitor_id, "client_id": new_id("a"), "step": "menu",
        "option": 0})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "handed_off"
    bodies = received(client, admin, webhook)
    assert types(bodies).count(REPLIED) == 1 and types(bodies).count(TICKET) == 1
    [replied] = [b for b in bodies if b["type"] == REPLIED]
    assert replied["data"]["message"] == {"id": m["id"], "name": "Bot hello"}
    assert replied["data"]["delivery_id"] == shown["delivery_id"]
    [ticket] = client.get("/api/v1/tickets", headers=agent.headers).json()
    [ticket_event] = [b for b in bodies if b["type"] == TICKET]
    assert ticket_event["data"]["ticket"]["id"] == ticket["id"]
    assert ticket_event["data"]["ticket"]["conversation_id"] == r.json()["conversation_id"]
    assert ticket_event["data"]["ticket"]["tags"] == ticket["tags"]
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent.headers).json()
    assert [b["data"]["message"]["id"] for b in bodies if b["type"] == MESSAGE] == [
        x["id"] for x in detail["messages"]]


# -- who gets what ---------------------------------------------------------------------------


def test_each_webhook_gets_what_it_takes_with_one_event_id(client, admin, live, visitor):
    everything = hook(client, admin)
    tickets = hook(client, admin, events=[TICKET])
    off = hook(client, admin, active=False)
    another = hook(client, admin)
    live()
    visitor.view()
    assert visitor.event("opened").status_code == 200
    assert reply(visitor).status_code == 201
    all_bodies = received(client, admin, everything)
    assert types(all_bodies)[:2] == [SENT, OPENED]
    assert {REPLIED, TICKET, MESSAGE} <= set(types(all_bodies))
    [ticket_event] = received(client, admin, tickets)
    assert ticket_event["type"] == TICKET
    assert ticket_event in all_bodies  # the same event: same id, same body
    assert received(client, admin, off) == []
    assert received(client, admin, another) == all_bodies


def test_a_webhook_turned_off_or_changed_later_gets_only_what_it_takes_then(
        client, admin, live, new_visitor):
    webhook = hook(client, admin)
    live()
    new_visitor().view()
    assert client.patch(f"{API}/{webhook}", json={"active": False},
                        headers=admin.headers).status_code == 200
    new_visitor().view()
    assert client.patch(f"{API}/{webhook}", json={"active": True, "events": [OPENED]},
                        headers=admin.headers).status_code == 200
    third = new_visitor()
    third.view()
    assert third.event("opened").status_code == 200
    assert types(received(client, admin, webhook)) == [SENT, OPENED]


def test_a_webhook_made_after_the_channel_was_loaded_gets_the_next_showing(
        client, admin, db, live, new_visitor):
    live()
    first = new_visitor()
    assert first.view()["show"] is not None  # the channel's state is loaded, with no webhook
    assert outbox_rows(db) == 0
    webhook = hook(client, admin, events=[SENT, OPENED])
    second = new_visitor()
    shown = second.view()["show"]
    assert second.event("opened").status_code == 200
    bodies = received(client, admin, webhook)
    assert types(bodies) == [SENT, OPENED]
    assert {b["data"]["delivery_id"] for b in bodies} == {shown["delivery_id"]}
    # The first visitor's bubble, shown before, is opened now: that too is told.
    assert first.event("opened").status_code == 200
    assert types(received(client, admin, webhook)) == [SENT, OPENED, OPENED]
    # Deleted, the webhook stops the channel's outbox writes again.
    assert client.delete(f"{API}/{webhook}", headers=admin.headers).status_code == 204
    new_visitor().view()
    assert outbox_rows(db) == 0


# -- what rolled back was never told -----------------------------------------------------------


def test_a_refused_reply_sends_nothing(client, admin, db, live, visitor):
    webhook = hook(client, admin)
    live()
    visitor.view()
    r = reply(visitor, name="")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"][-1] == "name"
    assert types(received(client, admin, webhook)) == [SENT]


def test_a_unit_of_work_that_rolls_back_leaves_no_event(client, admin, db, live, visitor):
    hook(client, admin, events=[MESSAGE])
    live()
    visitor.view()
    conversation_id = reply(visitor).json()["conversation_id"]
    before = outbox_rows(db)
    with pytest.raises(RuntimeError), db() as session:
        conv = session.get(Conversation, conversation_id)
        conversations.customer_message(session, conv, session.get(Visitor, conv.visitor_id),
                                       "Lost", new_id("c"))
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == before + 1
        raise RuntimeError("the request failed after the message was added")
    assert outbox_rows(db) == before
    with db() as session:  # the same change committed is told
        conv = session.get(Conversation, conversation_id)
        conversations.customer_message(session, conv, session.get(Visitor, conv.visitor_id),
                                       "Kept", new_id("c"))
    assert outbox_rows(db) == before + 1


# -- the page view's statements ----------------------------------------------------------------


def test_only_a_webhook_for_showings_adds_a_statement_to_the_page_view(client, admin, live,
                                                                      new_visitor, app):
    live()

    def showing() -> int:
        warm = new_visitor()
        warm.view()  # the channel's state is loaded once per process, not per page view
        visitor = new_visitor()
        n = counted(app, lambda: visitor.view())
        assert visitor.last["show"] is not None
        return n

    without = showing()
    assert not any("webhook" in s.lower() for s in without.statements), without
    assert without <= 8  # tests/widget/test_hot_path.py's bound
    hook(client, admin, events=[TICKET, OPENED])  # none for showings: the same statements
    assert showing() == without
    hook(client, admin, events=[SENT])
    with_hook = showing()
    assert with_hook == without + 1, with_hook
    assert any("INSERT INTO webhook_deliveries" in s for s in with_hook.statements)
