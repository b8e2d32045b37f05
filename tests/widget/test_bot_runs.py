"""Bot runs through the widget API (docs/widget-protocol.md, "Bots"): the bot leads, the
customer answers, `handoff` makes the ticket, versions hold for running conversations."""

from __future__ import annotations

import pytest

from tests.widget.helpers import ORIGIN, Browser, new_id

API = "/api/v1/proactive-messages"

FLOW = [
    {"id": "hello", "type": "message", "text": "Hi, I am Ada.", "next": "menu"},
    {"id": "menu", "type": "options", "text": "What brings you here?",
     "options": [{"label": "Pricing", "next": "email"}, {"label": "Just looking", "next": "bye"}]},
    {"id": "email", "type": "collect", "text": "Your email?", "field": "email", "next": "agent"},
    {"id": "agent", "type": "handoff", "text": "A person will answer soon.", "tags": ["sales"]},
    {"id": "bye", "type": "end", "text": "Enjoy!"},
]


@pytest.fixture
def bot(client, admin, site):
    """A published bot with the flow above (and a greeting), connected to the site."""
    h = admin.headers
    made = client.post("/api/v1/bots", headers=h, json={
        "brand_id": site["brand"]["id"], "name": "Ada"}).json()
    answer = client.post(f"/api/v1/bots/{made['id']}/answers", headers=h,
                         json={"name": "Sales", "steps": FLOW}).json()
    r = client.post(f"/api/v1/bots/{made['id']}/publish", headers=h)
    assert r.status_code == 200, r.text
    r = client.patch(f"/api/v1/channels/{site['channel']['id']}", headers=h,
                     json={"bot_id": made["id"]})
    assert r.status_code == 200, r.text
    return {"id": made["id"], "answer": answer["id"]}


@pytest.fixture
def bot_message(client, admin, site, bot, live):
    return live("Bot hello", "Need a hand?", tags=["promo"],
                response={"type": "bot", "bot_id": bot["id"], "answer_id": bot["answer"]})


def start(visitor: Browser, **body):
    return visitor._post("bot-runs", {"visitor_id": visitor.visitor_id,
                                      "client_id": new_id("r"), **body})


def reply(visitor: Browser, run: dict, **body):
    return visitor._post(f"bot-runs/{run['run_id']}/answers", {
        "visitor_id": visitor.visitor_id, "client_id": new_id("a"),
        "step": run["prompt"]["step"] if run["prompt"] else "none", **body})


def totals(client, admin, message_id: int) -> dict:
    return client.get(f"{API}/{message_id}/stats", headers=admin.headers).json()["totals"]


def lines(run: dict) -> list[tuple[str, str]]:
    return [(m["author"], m["body"]) for m in run["messages"]]


def test_the_bubble_comes_from_the_bot_and_its_answer_runs_to_a_ticket(
        client, admin, agent, visitor, bot_message):
    shown = visitor.view()["show"]
    assert shown["sender"] == {"name": "Ada", "avatar_url": "", "kind": "bot"}
    assert visitor.event("opened").status_code == 200
    r = start(visitor, delivery_id=shown["delivery_id"])
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["status"] == "running" and run["bot"]["name"] == "Ada"
    assert lines(run) == [("bot", "Need a hand?"), ("bot", "Hi, I am Ada."),
                          ("bot", "What brings you here?")]
    assert run["prompt"] == {"step": "menu", "type": "options", "field": None, "options": [
        {"index": 0, "label": "Pricing"}, {"index": 1, "label": "Just looking"}]}
    assert totals(client, admin, bot_message["id"])["replied"] == 0  # opening is no reply

    run = reply(visitor, run, option=0).json()
    assert lines(run)[-2:] == [("customer", "Pricing"), ("bot", "Your email?")]
    assert run["prompt"]["type"] == "collect" and run["prompt"]["field"] == "email"
    assert totals(client, admin, bot_message["id"])["replied"] == 1

    bad = reply(visitor, run, value="not-an-email")
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["loc"][-1] == "value"
    run = reply(visitor, run, value="maria@example.com").json()
    assert run["status"] == "handed_off" and run["prompt"] is None
    assert lines(run)[-1] == ("bot", "A person will answer soon.")

    [ticket] = client.get("/api/v1/tickets", headers=agent.headers).json()
    assert ticket["conversation_id"] == run["conversation_id"]
    assert ticket["tags"] == ["promo", "sales"]
    assert ticket["requester_email"] == "maria@example.com"
    assert ticket["proactive_message_id"] == bot_message["id"]
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent.headers).json()
    assert [(m["author"], m["body"]) for m in detail["messages"]] == lines(run)
    assert totals(client, admin, bot_message["id"])["replied"] == 1  # one reply per customer
    # The customer goes on in the conversation, as with any ticket.
    conv = client.get(f"/widget/v1/{visitor.key}/conversations/{run['conversation_id']}",
                      params={"visitor_id": visitor.visitor_id}, headers={"Origin": ORIGIN})
    assert conv.status_code == 200 and conv.json()["messages"][0]["author"] == "bot"


def test_an_end_step_closes_the_run_without_a_ticket(client, agent, visitor, bot_message):
    shown = visitor.view()["show"]
    run = start(visitor, delivery_id=shown["delivery_id"]).json()
    run = reply(visitor, run, option=1).json()
    assert run["status"] == "ended" and lines(run)[-1] == ("bot", "Enjoy!")
    assert client.get("/api/v1/tickets", headers=agent.headers).json() == []
    again = reply(visitor, {**run, "prompt": {"step": "menu"}}, option=0)
    assert again.status_code == 409 and again.json()["error"]["code"] == "run_finished"


def test_retries_apply_nothing_twice(client, admin, visitor, bot_message):
    shown = visitor.view()["show"]
    body = {"visitor_id": visitor.visitor_id, "client_id": new_id("r"),
            "delivery_id": shown["delivery_id"]}
    first = visitor._post("bot-runs", body)
    second = visitor._post("bot-runs", body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["run_id"] == second.json()["run_id"]
    run = first.json()
    answer = {"visitor_id": visitor.visitor_id, "client_id": new_id("a"), "step": "menu",
              "option": 0}
    a = visitor._post(f"bot-runs/{run['run_id']}/answers", answer).json()
    b = visitor._post(f"bot-runs/{run['run_id']}/answers", answer)
    assert b.status_code == 200 and b.json() == a
    # Another tab answering the step that no longer waits is told so.
    stale = visitor._post(f"bot-runs/{run['run_id']}/answers", {**answer,
                                                                "client_id": new_id("a")})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "not_current_step"


def test_running_conversations_finish_on_their_version(client, admin, visitor, bot,
                                                       bot_message):
    shown = visitor.view()["show"]
    run = start(visitor, delivery_id=shown["delivery_id"]).json()
    edited = [dict(s) for s in FLOW]
    edited[1] = {**edited[1], "text": "How can I help?",
                 "options": [{"label": "Talk to sales", "next": "email"},
                             {"label": "Nothing", "next": "bye"}]}
    r = client.patch(f"/api/v1/bots/{bot['id']}/answers/{bot['answer']}",
                     headers=admin.headers, json={"steps": edited})
    assert r.status_code == 200, r.text
    # The running one keeps the buttons it showed…
    run = reply(visitor, run, option=0).json()
    assert ("customer", "Pricing") in lines(run)
    # …a new one starts on the new version.
    other = Browser(client, visitor.key)
    fresh = start(other, delivery_id=other.view()["show"]["delivery_id"]).json()
    assert fresh["prompt"]["options"][0]["label"] == "Talk to sales"


def test_the_greeting_runs_from_the_launcher(client, admin, visitor, site, bot):
    cfg = client.get(f"/widget/v1/{visitor.key}/config", headers={"Origin": ORIGIN}).json()
    assert cfg["bot"] == {"name": "Ada", "avatar_url": ""} and cfg["greeting"] is False
    assert start(visitor).json()["error"]["code"] == "no_greeting"
    r = client.patch(f"/api/v1/bots/{bot['id']}", headers=admin.headers,
                     json={"greeting_answer_id": bot["answer"]})
    assert r.status_code == 200, r.text
    cfg = client.get(f"/widget/v1/{visitor.key}/config", headers={"Origin": ORIGIN}).json()
    assert cfg["greeting"] is True
    run = start(visitor)  # a visitor the server has not seen yet may start it
    assert run.status_code == 201, run.text
    assert lines(run.json())[0] == ("bot", "Hi, I am Ada.")
    # Unpublished, the bot greets nobody.
    client.post(f"/api/v1/bots/{bot['id']}/unpublish", headers=admin.headers)
    cfg = client.get(f"/widget/v1/{visitor.key}/config", headers={"Origin": ORIGIN}).json()
    assert cfg["bot"] is None and cfg["greeting"] is False
    assert start(visitor).status_code == 409


def test_bad_answers_are_refused_by_name(client, visitor, bot_message, new_visitor):
    shown = visitor.view()["show"]
    run = start(visitor, delivery_id=shown["delivery_id"]).json()
    for body, loc in (({}, "option"), ({"option": 7}, "option"), ({"option": "0"}, "option"),
                      ({"option": 0, "value": "x" * 501}, "value")):
        r = reply(visitor, run, **body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["details"][0]["loc"][-1] == loc
    r = reply(visitor, run, option=0)
    run = r.json()
    assert reply(visitor, run, value="   ").status_code == 422
    # Another visitor cannot read or answer it; an unknown run is the same 404.
    stranger = new_visitor()
    stranger.view()
    for run_id in (run["run_id"], 999_999):
        got = client.get(f"/widget/v1/{visitor.key}/bot-runs/{run_id}",
                         params={"visitor_id": stranger.visitor_id}, headers={"Origin": ORIGIN})
        assert got.status_code == 404
    assert reply(stranger, run, value="a@example.com").status_code == 404
    # An agent-response delivery is not a bot's.
    assert start(visitor, delivery_id=999_999).status_code == 404


def test_an_agent_response_is_not_run_by_a_bot(client, visitor, live):
    live("Plain", "Hello")
    shown = visitor.view()["show"]
    r = start(visitor, delivery_id=shown["delivery_id"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_a_bot_response"


def test_script_in_the_flow_is_data(client, admin, visitor, bot, bot_message):
    steps = [dict(s) for s in FLOW]
    steps[1] = {**steps[1], "text": "<script>alert(1)</script>",
                "options": [{"label": "<img src=x onerror=alert(1)>", "next": "email"},
                            {"label": "No", "next": "bye"}]}
    r = client.patch(f"/api/v1/bots/{bot['id']}/answers/{bot['answer']}",
                     headers=admin.headers, json={"steps": steps})
    assert r.status_code == 200, r.text
    run = start(visitor, delivery_id=visitor.view()["show"]["delivery_id"]).json()
    assert run["prompt"]["options"][0]["label"] == "<img src=x onerror=alert(1)>"
    assert lines(run)[-1] == ("bot", "<script>alert(1)</script>")
