"""Proactive messages answered by a bot (SPEC §2, §2.1): what a bot response needs to be
published, and the Contains errors it turns into when its bot stops being fit for it."""

from __future__ import annotations

import pytest

from overture.accounts.service import get_settings_row
from overture.bots.models import Bot, BotAnswer
from overture.proactive.models import ProactiveMessage
from tests import rows
from tests.querycount import assert_statement_count

API = "/api/v1/proactive-messages"
BOTS = "/api/v1/bots"
STEPS = [
    {"id": "menu", "type": "options", "text": "Can we help?", "options": [
        {"label": "Yes", "next": "agent"}, {"label": "No", "next": "bye"}]},
    {"id": "agent", "type": "handoff", "text": "One moment."},
    {"id": "bye", "type": "end", "text": "Bye!"},
]


def make_bot(client, admin, brand_id, name="Concierge", *, publish=True):
    h = admin.headers
    bot = client.post(BOTS, json={"brand_id": brand_id, "name": name}, headers=h).json()
    answer = client.post(f"{BOTS}/{bot['id']}/answers", json={"name": "Pricing",
                                                              "steps": STEPS}, headers=h).json()
    if publish:
        assert client.post(f"{BOTS}/{bot['id']}/publish", headers=h).status_code == 200
    return bot["id"], answer["id"]


def connect(client, admin, channel_id, bot_id):
    r = client.patch(f"/api/v1/channels/{channel_id}", json={"bot_id": bot_id},
                     headers=admin.headers)
    assert r.status_code == 200, r.text


@pytest.fixture
def bot(client, admin, setup):
    """A published bot of the message's brand with one answer, connected to its channel."""
    bot_id, answer_id = make_bot(client, admin, setup["brand"])
    connect(client, admin, setup["channel"], bot_id)
    return {"bot": bot_id, "answer": answer_id}


@pytest.fixture
def body(complete, bot):
    """A message answered by the bot, with no problems (and no follow-up: a bot answers)."""
    return {**complete, "response": {"type": "bot", "bot_id": bot["bot"],
                                     "answer_id": bot["answer"]}}


def create(client, admin, body):
    r = client.post(API, json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def get(client, admin, m):
    return client.get(f"{API}/{m['id']}", headers=admin.headers).json()


def publish(client, admin, m):
    return client.post(f"{API}/{m['id']}/publish", headers=admin.headers)


def codes(problems):
    return {(p["field"], p["code"]) for p in problems}


# -- saving -----------------------------------------------------------------------------------


def test_a_bot_response_publishes_without_a_follow_up(client, admin, body, bot):
    m = create(client, admin, body)
    assert m["problems"] == []
    assert m["response"] == {"type": "bot", "bot_id": bot["bot"], "answer_id": bot["answer"]}
    r = publish(client, admin, m)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "live"


@pytest.mark.parametrize("response,loc", [
    ({"bot_id": 999}, ["response", "bot_id"]),
    ({"answer_id": 999}, ["response", "answer_id"]),
    ({"answer_id": "theirs"}, ["response", "answer_id"]),
], ids=["unknown bot", "unknown answer", "answer of another bot"])
def test_unknown_references_are_refused(client, admin, body, setup, response, loc):
    h = admin.headers
    _other_bot, theirs = make_bot(client, admin, setup["brand"], "Other")
    if response.get("answer_id") == "theirs":
        response = {"answer_id": theirs}
    bad = {**body, "response": {**body["response"], **response}}
    r = client.post(API, json=bad, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "unknown_reference"
    assert r.json()["error"]["details"][0]["loc"] == loc
    client.get(API, headers=h)  # the ready-made drafts, made on the first visit of the list
    names = {m["name"] for m in client.get(API, headers=h).json()}
    assert body["name"] not in names

    m = create(client, admin, body)
    r = client.patch(f"{API}/{m['id']}", json={"response": bad["response"]}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == loc
    assert get(client, admin, m)["response"] == body["response"]


@pytest.mark.parametrize("response", [
    {"type": "bot", "bot_id": 1, "answer_id": 1, "follow_up": "Thanks"},
    {"type": "bot", "bot_id": "1"},
    {"type": "robot", "bot_id": 1},
])
def test_malformed_bot_responses_are_refused(client, admin, complete, response):
    r = client.post(API, json={**complete, "response": response}, headers=admin.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["loc"][0] == "response"


# -- problems at publish ----------------------------------------------------------------------


def _unpublished(client, admin, setup, bot, body):
    client.post(f"{BOTS}/{bot['bot']}/unpublish", headers=admin.headers)
    return body


def _not_connected(client, admin, setup, bot, body):
    connect(client, admin, setup["channel"], None)
    return body


def _another_bot_connected(client, admin, setup, bot, body):
    other, _answer = make_bot(client, admin, setup["brand"], "Other bot")
    connect(client, admin, setup["channel"], other)
    return body


def _another_brand(client, admin, setup, bot, body):
    h = admin.headers
    brand = client.post("/api/v1/brands", json={"name": "Globex"}, headers=h).json()
    bot_id, answer_id = make_bot(client, admin, brand["id"], "Globex bot")
    return {**body, "response": {"type": "bot", "bot_id": bot_id, "answer_id": answer_id}}


def _answer_deleted(client, admin, setup, bot, body):
    client.delete(f"{BOTS}/{bot['bot']}/answers/{bot['answer']}", headers=admin.headers)
    return body


def _no_answer(client, admin, setup, bot, body):
    return {**body, "response": {"type": "bot", "bot_id": bot["bot"]}}


def _no_bot(client, admin, setup, bot, body):
    return {**body, "response": {"type": "bot"}}


def _bot_deleted(client, admin, setup, bot, body):
    client.delete(f"{BOTS}/{bot['bot']}", headers=admin.headers)
    return body


# (how, the problems, the words each problem's message has)
PUBLISH_PROBLEMS = {
    "bot unpublished": (_unpublished, {("response.bot_id", "bot_unpublished")},
                        ["“Concierge”", "not published"]),
    "bot not connected": (_not_connected, {("response.bot_id", "bot_not_connected")},
                          ["“Concierge”", "“Website”"]),
    "another bot connected": (_another_bot_connected,
                              {("response.bot_id", "bot_not_connected")},
                              ["“Concierge”", "not connected"]),
    "bot of another brand": (_another_brand, {("response.bot_id", "bot_other_brand"),
                                              ("response.bot_id", "bot_not_connected")},
                             ["“Globex bot”"]),
    "answer deleted": (_answer_deleted, {("response.answer_id", "missing")},
                       ["“Concierge”", "deleted"]),
    "no answer chosen": (_no_answer, {("response.answer_id", "missing")},
                         ["“Concierge”", "answer"]),
    "no bot chosen": (_no_bot, {("response.bot_id", "missing")}, ["bot"]),
    "bot deleted": (_bot_deleted, {("response.bot_id", "missing")}, ["bot", "deleted"]),
}


@pytest.mark.parametrize("how,expected,words", PUBLISH_PROBLEMS.values(),
                         ids=PUBLISH_PROBLEMS.keys())
def test_publishing_is_refused_while_the_bot_is_not_fit(
        client, admin, setup, bot, body, how, expected, words):
    h = admin.headers
    # Made while all was right (saving checks only that the ids exist), broken afterwards.
    m = create(client, admin, body)
    changed = how(client, admin, setup, bot, body)
    if changed is not body:
        r = client.patch(f"{API}/{m['id']}", json={"response": changed["response"]}, headers=h)
        assert r.status_code == 200, r.text
    problems = get(client, admin, m)["problems"]
    assert codes(problems) == expected
    for p in problems:
        for word in words:
            assert word in p["message"], (word, p)

    r = publish(client, admin, m)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "has_problems"
    assert codes(r.json()["error"]["details"]) == expected
    assert get(client, admin, m)["status"] == "draft"


# -- Contains errors --------------------------------------------------------------------------


def _unpublish_bot(client, admin, setup, bot):
    client.post(f"{BOTS}/{bot['bot']}/unpublish", headers=admin.headers)


def _republish_bot(client, admin, setup, bot):
    r = client.post(f"{BOTS}/{bot['bot']}/publish", headers=admin.headers)
    assert r.status_code == 200
    return None


def _delete_bot(client, admin, setup, bot):
    client.delete(f"{BOTS}/{bot['bot']}", headers=admin.headers)


def _replace_bot(client, admin, setup, bot):
    bot_id, answer_id = make_bot(client, admin, setup["brand"], "Successor")
    connect(client, admin, setup["channel"], bot_id)
    return {"type": "bot", "bot_id": bot_id, "answer_id": answer_id}


def _delete_answer(client, admin, setup, bot):
    client.delete(f"{BOTS}/{bot['bot']}/answers/{bot['answer']}", headers=admin.headers)


def _new_answer(client, admin, setup, bot):
    r = client.post(f"{BOTS}/{bot['bot']}/answers", json={"name": "Pricing again",
                                                          "steps": STEPS}, headers=admin.headers)
    assert r.status_code == 201, r.text
    return {"type": "bot", "bot_id": bot["bot"], "answer_id": r.json()["id"]}


def _disconnect(client, admin, setup, bot):
    connect(client, admin, setup["channel"], None)


def _reconnect(client, admin, setup, bot):
    connect(client, admin, setup["channel"], bot["bot"])


def _connect_another(client, admin, setup, bot):
    other, _answer = make_bot(client, admin, setup["brand"], "Other bot")
    connect(client, admin, setup["channel"], other)


# (what breaks it, the problem it makes, the words of its message, what fixes it)
BREAKS = {
    "bot unpublished": (_unpublish_bot, ("response.bot_id", "bot_unpublished"),
                        ["“Concierge”"], _republish_bot),
    "bot deleted": (_delete_bot, ("response.bot_id", "missing"), ["deleted"], _replace_bot),
    "answer deleted": (_delete_answer, ("response.answer_id", "missing"),
                       ["“Concierge”", "deleted"], _new_answer),
    "channel disconnected": (_disconnect, ("response.bot_id", "bot_not_connected"),
                             ["“Concierge”", "“Website”"], _reconnect),
    "another bot connected": (_connect_another, ("response.bot_id", "bot_not_connected"),
                              ["“Concierge”"], _reconnect),
}


@pytest.mark.parametrize("status", ["live", "paused"])
@pytest.mark.parametrize("brk,problem,words,fix", BREAKS.values(), ids=BREAKS.keys())
def test_a_bot_that_stops_being_fit_turns_the_message_into_contains_errors(
        client, admin, setup, bot, body, status, brk, problem, words, fix):
    h = admin.headers
    m = create(client, admin, body)
    assert publish(client, admin, m).status_code == 200
    if status == "paused":
        assert client.post(f"{API}/{m['id']}/pause", headers=h).status_code == 200

    brk(client, admin, setup, bot)
    after = get(client, admin, m)
    assert after["status"] == "error"
    assert problem in codes(after["problems"])
    (said,) = [p["message"] for p in after["problems"] if (p["field"], p["code"]) == problem]
    for word in words:
        assert word in said
    assert "publish" not in after["actions"]
    listed = {x["id"]: x for x in client.get(API, headers=h).json()}[m["id"]]
    assert listed["status"] == "error" and problem in codes(listed["problems"])
    assert publish(client, admin, m).status_code == 409

    response = fix(client, admin, setup, bot)
    if response is not None:
        r = client.patch(f"{API}/{m['id']}", json={"response": response}, headers=h)
        assert r.status_code == 200, r.text
    fixed = get(client, admin, m)
    assert fixed["problems"] == [] and "publish" in fixed["actions"]
    assert fixed["status"] == "error"  # nothing goes live again by itself
    r = publish(client, admin, m)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "live"


@pytest.mark.parametrize("status", ["draft", "live"])
def test_a_deleted_bot_or_answer_is_let_go_of_not_taken_over_by_the_next_one(
        client, admin, setup, bot, body, status):
    """The response names the bot by id; a bot or answer made after a deletion (which may be
    given the same id again) must not silently become the message's."""
    h = admin.headers
    m = create(client, admin, body)
    if status == "live":
        publish(client, admin, m)
    client.delete(f"{BOTS}/{bot['bot']}/answers/{bot['answer']}", headers=h)
    assert get(client, admin, m)["response"]["answer_id"] is None
    r = client.post(f"{BOTS}/{bot['bot']}/answers", json={"name": "Unrelated", "steps": STEPS},
                    headers=h)
    assert r.status_code == 201
    after = get(client, admin, m)
    assert after["response"] == {"type": "bot", "bot_id": bot["bot"], "answer_id": None}
    assert ("response.answer_id", "missing") in codes(after["problems"])

    client.delete(f"{BOTS}/{bot['bot']}", headers=h)
    newcomer, _answer = make_bot(client, admin, setup["brand"], "Newcomer")
    connect(client, admin, setup["channel"], newcomer)
    after = get(client, admin, m)
    assert after["response"] == {"type": "bot", "bot_id": None, "answer_id": None}
    assert codes(after["problems"]) == {("response.bot_id", "missing")}
    assert after["status"] == ("error" if status == "live" else "draft")
    assert publish(client, admin, m).status_code == 409


def test_changes_that_keep_the_bot_fit_leave_the_message_live(client, admin, setup, bot, body):
    h = admin.headers
    m = create(client, admin, body)
    publish(client, admin, m)
    url = f"{BOTS}/{bot['bot']}"
    steps = [dict(STEPS[0], text="Need a hand?"), *STEPS[1:]]
    assert client.patch(f"{url}/answers/{bot['answer']}", json={"steps": steps},
                        headers=h).status_code == 200
    assert client.patch(url, json={"name": "Concierge 2"}, headers=h).status_code == 200
    other = client.post(f"{url}/answers", json={"name": "Other", "steps": STEPS}, headers=h)
    client.delete(f"{url}/answers/{other.json()['id']}", headers=h)
    client.patch(f"/api/v1/channels/{setup['channel']}", json={"name": "Site"}, headers=h)
    # A change refused on the bot leaves everything as it was.
    r = client.patch(f"{url}/answers/{bot['answer']}", json={"steps": []}, headers=h)
    assert r.status_code == 409
    after = get(client, admin, m)
    assert after["status"] == "live" and after["problems"] == []


def test_only_the_messages_of_that_bot_are_touched(client, admin, setup, bot, body, complete):
    h = admin.headers
    answered = create(client, admin, body)
    publish(client, admin, answered)
    by_agent = create(client, admin, {**complete, "name": "By an agent"})
    publish(client, admin, by_agent)
    draft = create(client, admin, {**body, "name": "Still a draft"})
    client.post(f"{BOTS}/{bot['bot']}/unpublish", headers=h)
    assert get(client, admin, answered)["status"] == "error"
    assert get(client, admin, by_agent)["status"] == "live"
    after = get(client, admin, draft)
    assert after["status"] == "draft"
    assert ("response.bot_id", "bot_unpublished") in codes(after["problems"])


def test_a_live_message_refuses_an_edit_to_an_unfit_bot(client, admin, setup, bot, body):
    h = admin.headers
    m = create(client, admin, body)
    publish(client, admin, m)
    other, answer = make_bot(client, admin, setup["brand"], "Elsewhere")  # not connected
    r = client.patch(f"{API}/{m['id']}", headers=h, json={
        "response": {"type": "bot", "bot_id": other, "answer_id": answer}})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "has_problems"
    assert "“Elsewhere”" in r.json()["error"]["message"]
    after = get(client, admin, m)
    assert after["response"]["bot_id"] == bot["bot"] and after["status"] == "live"


def test_a_moved_bot_is_of_another_brand_for_its_drafts(client, admin, setup, bot, body):
    h = admin.headers
    m = create(client, admin, body)
    connect(client, admin, setup["channel"], None)
    globex = client.post("/api/v1/brands", json={"name": "Globex"}, headers=h).json()
    assert client.patch(f"{BOTS}/{bot['bot']}", json={"brand_id": globex["id"]},
                        headers=h).status_code == 200
    assert ("response.bot_id", "bot_other_brand") in codes(get(client, admin, m)["problems"])


# -- the list ---------------------------------------------------------------------------------

# The caller (token with its user, in one statement; the token's last use stamped), the
# settings, the messages with their brand, channel and totals, the schedules they name, the
# bots their responses name and those bots' answers.
LIST_WITH_BOTS = 7


def bot_messages(db, n: int) -> None:
    """`n` messages in every status answered by bots, each with its own brand, channel,
    schedule and bot; every other bot is unpublished, so those messages have problems."""
    with db() as session:
        get_settings_row(session).drafts_seeded = True
        for i in range(n):
            brand, channel, schedule = rows.world(session, i)
            bot = Bot(brand_id=brand.id, name=f"Bot {i}",
                      status="published" if i % 2 == 0 else "draft")
            session.add(bot)
            session.flush()
            answer = BotAnswer(bot_id=bot.id, name="Answer", steps=STEPS)
            session.add(answer)
            session.flush()
            channel.bot_id = bot.id
            session.add(ProactiveMessage(
                name=f"Message {i}", brand_id=brand.id, channel_id=channel.id, message="Hello",
                response={"type": "bot", "bot_id": bot.id, "answer_id": answer.id},
                conditions={"all": []}, trigger={"event": "page_load"}, tags=[],
                timing={"when": "business_hours", "schedule_id": schedule.id},
                status=rows.STATUSES[i % len(rows.STATUSES)],
                updated_at=rows.T0))


@pytest.mark.parametrize("n", [1, 40])
def test_the_list_shows_bot_problems_in_a_fixed_number_of_statements(app, client, admin, db, n):
    bot_messages(db, n)
    with assert_statement_count(app, LIST_WITH_BOTS):
        r = client.get(f"{API}?sort=channel&order=asc", headers=admin.headers)
    assert r.status_code == 200, r.text
    listed = {m["name"]: m for m in r.json()}
    assert len(listed) == n
    for i in range(n):
        problems = listed[f"Message {i}"]["problems"]
        if i % 2 == 0:
            assert problems == []
        else:
            assert [(p["code"], f"“Bot {i}”" in p["message"]) for p in problems] == [
                ("bot_unpublished", True)]
