"""Bots and their answers over the REST API (SPEC §1, §7): editing, publishing with the list of
problems, versions, and what is refused."""

from __future__ import annotations

import pytest

from overture.bots.models import Bot, BotAnswer, BotVersion
from overture.brands.models import Brand
from overture.channels.models import Channel
from tests.bots.flows import SOUND
from tests.querycount import assert_statement_count

BOTS = "/api/v1/bots"



@pytest.fixture
def brand(client, admin):
    return client.post("/api/v1/brands", json={"name": "Acme"}, headers=admin.headers).json()


@pytest.fixture
def other_brand(client, admin):
    return client.post("/api/v1/brands", json={"name": "Globex"}, headers=admin.headers).json()


def new_bot(client, admin, brand, name="Helper"):
    r = client.post(BOTS, json={"brand_id": brand["id"], "name": name}, headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def new_answer(client, admin, bot, name="Sales", steps=SOUND):
    r = client.post(f"{BOTS}/{bot['id']}/answers", json={"name": name, "steps": steps},
                    headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def get_bot(client, admin, bot):
    return client.get(f"{BOTS}/{bot['id']}", headers=admin.headers).json()


def published_bot(client, admin, brand, name="Helper"):
    bot = new_bot(client, admin, brand, name)
    answer = new_answer(client, admin, bot)
    r = client.post(f"{BOTS}/{bot['id']}/publish", headers=admin.headers)
    assert r.status_code == 200, r.text
    return r.json(), answer


def locs(r) -> list[list]:
    return [d["loc"] for d in r.json()["error"]["details"]]


# -- editing ----------------------------------------------------------------------------------


def test_bot_crud_and_listing_by_brand(client, admin, brand, other_brand):
    h = admin.headers
    zed = new_bot(client, admin, brand, "Zed")
    assert zed["status"] == "draft" and zed["version"] is None
    assert zed["answers"] == [] and zed["channel_ids"] == []
    assert zed["greeting_answer_id"] is None and zed["avatar_url"] == ""
    # A new bot says what it lacks.
    assert [p["code"] for p in zed["problems"]] == ["no_answers"]
    alpha = new_bot(client, admin, brand, "alpha")
    globex = new_bot(client, admin, other_brand, "Globex bot")

    assert [b["name"] for b in client.get(BOTS, headers=h).json()] == [
        "alpha", "Globex bot", "Zed"]
    by_brand = client.get(BOTS, params={"brand_id": brand["id"]}, headers=h).json()
    assert [b["id"] for b in by_brand] == [alpha["id"], zed["id"]]
    assert [b["id"] for b in client.get(BOTS, params={"brand_id": other_brand["id"]},
                                        headers=h).json()] == [globex["id"]]

    r = client.patch(f"{BOTS}/{zed['id']}", headers=h, json={
        "name": "  Zelda  ", "avatar_url": "https://cdn.example.com/z.png"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Zelda"
    assert get_bot(client, admin, zed)["avatar_url"] == "https://cdn.example.com/z.png"

    assert client.delete(f"{BOTS}/{zed['id']}", headers=h).status_code == 204
    assert client.get(f"{BOTS}/{zed['id']}", headers=h).status_code == 404
    assert [b["id"] for b in client.get(BOTS, headers=h).json()] == [alpha["id"], globex["id"]]


def test_answer_crud(client, admin, brand):
    h = admin.headers
    bot = new_bot(client, admin, brand)
    draft = new_answer(client, admin, bot, "Unfinished", steps=[])
    assert draft["steps"] == [] and [p["code"] for p in draft["problems"]] == ["no_steps"]
    sales = new_answer(client, admin, bot, "Sales")
    assert sales["bot_id"] == bot["id"] and sales["problems"] == []
    assert sales["steps"][0] == {"id": "hi", "type": "message", "text": "Hello!", "next": "menu"}

    summary = get_bot(client, admin, bot)["answers"]
    assert summary == [{"id": draft["id"], "name": "Unfinished", "steps": 0},
                       {"id": sales["id"], "name": "Sales", "steps": 5}]
    listed = client.get(f"{BOTS}/{bot['id']}/answers", headers=h).json()
    assert [a["id"] for a in listed] == [draft["id"], sales["id"]]

    url = f"{BOTS}/{bot['id']}/answers/{draft['id']}"
    r = client.patch(url, json={"name": "Support", "steps": SOUND[3:4]}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Support" and r.json()["problems"] == []
    # Leaving a field out keeps it; the steps are replaced whole.
    r = client.patch(url, json={"name": "Support desk"}, headers=h)
    assert [s["id"] for s in r.json()["steps"]] == ["agent"]
    assert client.get(url, headers=h).json()["name"] == "Support desk"
    r = client.patch(url, json={"name": None}, headers=h)
    assert r.status_code == 422 and locs(r) == [["name"]]

    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404
    assert [a["id"] for a in get_bot(client, admin, bot)["answers"]] == [sales["id"]]


def test_unknown_ids_are_404(client, admin, brand):
    h = admin.headers
    bot = new_bot(client, admin, brand, "One")
    other = new_bot(client, admin, brand, "Two")
    theirs = new_answer(client, admin, other)
    for method, url, body in [
        ("GET", f"{BOTS}/999", None), ("PATCH", f"{BOTS}/999", {"name": "X"}),
        ("DELETE", f"{BOTS}/999", None), ("POST", f"{BOTS}/999/publish", None),
        ("POST", f"{BOTS}/999/unpublish", None), ("GET", f"{BOTS}/999/answers", None),
        ("POST", f"{BOTS}/999/answers", {"name": "X"}),
        ("GET", f"{BOTS}/{bot['id']}/answers/999", None),
        # An answer of another bot is not found through this one.
        ("GET", f"{BOTS}/{bot['id']}/answers/{theirs['id']}", None),
        ("PATCH", f"{BOTS}/{bot['id']}/answers/{theirs['id']}", {"name": "Mine now"}),
        ("DELETE", f"{BOTS}/{bot['id']}/answers/{theirs['id']}", None),
    ]:
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code == 404, (method, url, r.text)
        assert r.json()["error"]["code"] == "not_found"
    # The other bot's answer is untouched.
    r = client.get(f"{BOTS}/{other['id']}/answers/{theirs['id']}", headers=h)
    assert r.status_code == 200 and r.json()["name"] == "Sales"
    # Ids out of range are refused, not sent to the database.
    for url in (f"{BOTS}/0", f"{BOTS}/99999999999", f"{BOTS}/abc"):
        assert client.get(url, headers=h).status_code == 422


def test_agents_are_refused(client, admin, agent, brand):
    bot = new_bot(client, admin, brand)
    answer = new_answer(client, admin, bot)
    a = agent.headers
    for method, url, body in [
        ("GET", BOTS, None), ("POST", BOTS, {"brand_id": brand["id"], "name": "Mine"}),
        ("GET", f"{BOTS}/{bot['id']}", None), ("PATCH", f"{BOTS}/{bot['id']}", {"name": "X"}),
        ("POST", f"{BOTS}/{bot['id']}/publish", None),
        ("POST", f"{BOTS}/{bot['id']}/answers", {"name": "X"}),
        ("PATCH", f"{BOTS}/{bot['id']}/answers/{answer['id']}", {"name": "X"}),
        ("DELETE", f"{BOTS}/{bot['id']}/answers/{answer['id']}", None),
        ("DELETE", f"{BOTS}/{bot['id']}", None),
    ]:
        r = client.request(method, url, json=body, headers=a)
        assert r.status_code == 403, (method, url, r.text)
    after = get_bot(client, admin, bot)
    assert after["name"] == "Helper" and after["status"] == "draft"
    assert [x["name"] for x in after["answers"]] == ["Sales"]
    assert len(client.get(BOTS, headers=admin.headers).json()) == 1
    assert client.get(BOTS).status_code == 401


def test_references_and_required_fields(client, admin, brand, other_brand):
    h = admin.headers
    r = client.post(BOTS, json={"brand_id": 999, "name": "X"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_reference"
    assert locs(r) == [["brand_id"]]
    r = client.post(BOTS, json={"brand_id": brand["id"], "name": "X", "greeting_answer_id": 1},
                    headers=h)
    assert r.status_code == 422 and locs(r) == [["greeting_answer_id"]]
    for body, field in [({"name": "X"}, "brand_id"), ({"brand_id": brand["id"]}, "name"),
                        ({"brand_id": brand["id"], "name": "   "}, "name"),
                        ({"brand_id": brand["id"], "name": "X", "colour": "red"}, "colour"),
                        ({"brand_id": brand["id"], "name": "X",
                          "avatar_url": "javascript:alert(1)"}, "avatar_url")]:
        r = client.post(BOTS, json=body, headers=h)
        assert r.status_code == 422, body
        assert [field] in locs(r), (body, r.text)
    assert client.get(BOTS, headers=h).json() == []

    bot = new_bot(client, admin, brand)
    url = f"{BOTS}/{bot['id']}"
    for body, field in [({"brand_id": None}, "brand_id"), ({"name": None}, "name"),
                        ({"brand_id": 999}, "brand_id")]:
        r = client.patch(url, json=body, headers=h)
        assert r.status_code == 422 and locs(r) == [[field]], (body, r.text)
    # A bot connected to no channel may move to another brand.
    r = client.patch(url, json={"brand_id": other_brand["id"]}, headers=h)
    assert r.status_code == 200 and r.json()["brand_id"] == other_brand["id"]


def test_the_greeting_is_one_of_the_bots_answers_and_goes_with_it(client, admin, brand):
    h = admin.headers
    bot = new_bot(client, admin, brand, "One")
    other = new_bot(client, admin, brand, "Two")
    mine = new_answer(client, admin, bot)
    theirs = new_answer(client, admin, other)
    url = f"{BOTS}/{bot['id']}"
    r = client.patch(url, json={"greeting_answer_id": theirs["id"]}, headers=h)
    assert r.status_code == 422 and locs(r) == [["greeting_answer_id"]]
    r = client.patch(url, json={"greeting_answer_id": mine["id"]}, headers=h)
    assert r.status_code == 200 and r.json()["greeting_answer_id"] == mine["id"]
    assert client.delete(f"{url}/answers/{mine['id']}", headers=h).status_code == 204
    assert get_bot(client, admin, bot)["greeting_answer_id"] is None
    r = client.patch(url, json={"greeting_answer_id": theirs["id"]}, headers=h)
    assert r.status_code == 422


# -- publishing -------------------------------------------------------------------------------


def end(sid="bye"):
    return {"id": sid, "type": "end"}


PROBLEMS = {
    "loop without exit": ([
        {"id": "a", "type": "message", "text": "Ping", "next": "b"},
        {"id": "b", "type": "message", "text": "Pong", "next": "a"},
    ], [("a", "no_exit"), ("b", "no_exit")]),
    "options loop without exit": ([
        {"id": "menu", "type": "options", "text": "Again?", "options": [
            {"label": "Again", "next": "menu"}]},
    ], [("menu", "no_exit")]),
    "dangling link": ([
        {"id": "hi", "type": "message", "text": "Hi", "next": "gone"},
    ], [("hi", "dangling")]),
    "unreachable step": ([
        {"id": "hi", "type": "message", "text": "Hi", "next": "bye"}, end(), end("orphan"),
    ], [("orphan", "unreachable")]),
    "missing next": ([
        {"id": "hi", "type": "message", "text": "Hi"},
    ], [("hi", "no_link")]),
    "options with no buttons": ([
        {"id": "menu", "type": "options", "text": "Pick one", "options": []},
    ], [("menu", "no_options")]),
    "empty text": ([
        {"id": "hi", "type": "message", "text": "", "next": "bye"}, end(),
    ], [("hi", "no_text")]),
    "blank text": ([
        {"id": "ask", "type": "collect", "text": " \n ", "field": "name", "next": "bye"}, end(),
    ], [("ask", "no_text")]),
    "custom collect without attribute": ([
        {"id": "plan", "type": "collect", "text": "Your plan?", "field": "custom",
         "next": "bye"}, end(),
    ], [("plan", "no_attribute")]),
    "no steps": ([], [(None, "no_steps")]),
}


@pytest.mark.parametrize("steps,expected", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_publishing_lists_each_problem_with_its_answer_and_step(
        client, admin, brand, steps, expected):
    h = admin.headers
    bot = new_bot(client, admin, brand)
    good = new_answer(client, admin, bot, "Good")
    bad = new_answer(client, admin, bot, "Returns", steps=steps)
    # A draft keeps an unfinished answer and says what is wrong with it.
    assert [(p["step"], p["code"]) for p in bad["problems"]] == expected
    assert [(p["step"], p["code"]) for p in get_bot(client, admin, bot)["problems"]] == expected

    r = client.post(f"{BOTS}/{bot['id']}/publish", headers=h)
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "has_problems"
    details = error["details"]
    assert [(d["step"], d["code"]) for d in details] == expected
    for d in details:
        assert set(d) == {"answer_id", "answer_name", "step", "code", "message"}
        assert d["answer_id"] == bad["id"] and d["answer_name"] == "Returns"
        assert "Returns" in d["message"]
        if d["step"]:
            assert f"“{d['step']}”" in d["message"]
        assert d["message"] in error["message"]
    assert get_bot(client, admin, bot)["status"] == "draft"
    assert get_bot(client, admin, bot)["version"] is None

    # Deleting the bad answer leaves a bot that publishes.
    client.delete(f"{BOTS}/{bot['id']}/answers/{bad['id']}", headers=h)
    r = client.post(f"{BOTS}/{bot['id']}/publish", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and r.json()["problems"] == []
    assert [a["id"] for a in r.json()["answers"]] == [good["id"]]


def test_a_bot_without_answers_cannot_be_published(client, admin, brand):
    bot = new_bot(client, admin, brand)
    r = client.post(f"{BOTS}/{bot['id']}/publish", headers=admin.headers)
    assert r.status_code == 409
    (problem,) = r.json()["error"]["details"]
    assert problem["code"] == "no_answers" and problem["answer_id"] is None
    assert problem["message"]


def test_problems_of_several_answers_are_all_listed(client, admin, brand):
    bot = new_bot(client, admin, brand)
    first = new_answer(client, admin, bot, "First", PROBLEMS["dangling link"][0])
    second = new_answer(client, admin, bot, "Second", PROBLEMS["missing next"][0])
    r = client.post(f"{BOTS}/{bot['id']}/publish", headers=admin.headers)
    assert [(d["answer_id"], d["step"], d["code"]) for d in r.json()["error"]["details"]] == [
        (first["id"], "hi", "dangling"), (second["id"], "hi", "no_link")]


def test_a_loop_with_a_way_out_publishes(client, admin, brand):
    bot = new_bot(client, admin, brand)
    new_answer(client, admin, bot, "Menu", steps=[
        {"id": "menu", "type": "options", "text": "Anything else?", "options": [
            {"label": "Tell me more", "next": "more"}, {"label": "No, thanks", "next": "bye"}]},
        {"id": "more", "type": "message", "text": "Here is more.", "next": "menu"},
        end(),
    ])
    r = client.post(f"{BOTS}/{bot['id']}/publish", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published"


def chain(n: int) -> list[dict]:
    """`n` steps: messages one after the other, then an end."""
    return [*({"id": f"s{i}", "type": "message", "text": f"Step {i}", "next": f"s{i + 1}"}
              for i in range(n - 1)), {"id": f"s{n - 1}", "type": "end"}]


def test_at_most_a_hundred_steps(client, admin, brand):
    h = admin.headers
    bot = new_bot(client, admin, brand)
    full = new_answer(client, admin, bot, "Long", steps=chain(100))
    assert len(full["steps"]) == 100 and full["problems"] == []
    for n in (101, 500):
        r = client.post(f"{BOTS}/{bot['id']}/answers", json={"name": "Longer", "steps": chain(n)},
                        headers=h)
        assert r.status_code == 422 and locs(r) == [["steps"]], r.text[:300]
        r = client.patch(f"{BOTS}/{bot['id']}/answers/{full['id']}", json={"steps": chain(n)},
                         headers=h)
        assert r.status_code == 422 and locs(r) == [["steps"]]
    assert [a["steps"] for a in get_bot(client, admin, bot)["answers"]] == [100]
    assert client.post(f"{BOTS}/{bot['id']}/publish", headers=h).status_code == 200


def test_repeated_step_ids_are_refused(client, admin, brand):
    bot = new_bot(client, admin, brand)
    steps = [{"id": "hi", "type": "message", "text": "Hi", "next": "hi"},
             {"id": "hi", "type": "end"}]
    r = client.post(f"{BOTS}/{bot['id']}/answers", json={"name": "Twice", "steps": steps},
                    headers=admin.headers)
    assert r.status_code == 422
    assert locs(r) == [["steps"]]
    assert "'hi'" in r.json()["error"]["details"][0]["msg"]
    assert get_bot(client, admin, bot)["answers"] == []


WRONG = {
    "steps not a list": ({"steps": "hi"}, ["steps"]),
    "step not an object": ({"steps": ["hi"]}, ["steps", 0]),
    "unknown type": ({"steps": [{"id": "a", "type": "video"}]}, ["steps", 0]),
    "no type": ({"steps": [{"id": "a", "text": "Hi"}]}, ["steps", 0]),
    "no id": ({"steps": [{"type": "end"}]}, ["steps", 0, "end", "id"]),
    "id with spaces": ({"steps": [{"id": "Step one", "type": "end"}]},
                       ["steps", 0, "end", "id"]),
    "id too long": ({"steps": [{"id": "a" * 41, "type": "end"}]}, ["steps", 0, "end", "id"]),
    "text a number": ({"steps": [{"id": "a", "type": "end", "text": 5}]},
                      ["steps", 0, "end", "text"]),
    "text too long": ({"steps": [{"id": "a", "type": "end", "text": "x" * 1001}]},
                      ["steps", 0, "end", "text"]),
    "next a number": ({"steps": [{"id": "a", "type": "message", "text": "Hi", "next": 2}]},
                      ["steps", 0, "message", "next"]),
    "options not a list": ({"steps": [{"id": "a", "type": "options", "options": "Yes"}]},
                           ["steps", 0, "options", "options"]),
    "empty label": ({"steps": [{"id": "a", "type": "options", "text": "?",
                                "options": [{"label": " ", "next": "a"}]}]},
                    ["steps", 0, "options", "options", 0, "label"]),
    "eleven buttons": ({"steps": [{"id": "a", "type": "options", "text": "?",
                                   "options": [{"label": "x", "next": "a"}] * 11}]},
                       ["steps", 0, "options", "options"]),
    "unknown collect field": ({"steps": [{"id": "a", "type": "collect", "field": "phone"}]},
                              ["steps", 0, "collect", "field"]),
    "bad attribute": ({"steps": [{"id": "a", "type": "collect", "field": "custom",
                                  "attribute": "my plan!"}]},
                      ["steps", 0, "collect", "attribute"]),
    "bad tag": ({"steps": [{"id": "a", "type": "handoff", "tags": ["Not A Tag!"]}]},
                ["steps", 0, "handoff", "tags"]),
    "field of another type": ({"steps": [{"id": "a", "type": "end", "next": "b"}]},
                              ["steps", 0, "end", "next"]),
    "name a number": ({"name": 7}, ["name"]),
    "name too long": ({"name": "x" * 121}, ["name"]),
}


@pytest.mark.parametrize("body,loc", WRONG.values(), ids=WRONG.keys())
def test_malformed_answers_are_refused_naming_the_field(client, admin, brand, body, loc):
    h = admin.headers
    bot = new_bot(client, admin, brand)
    r = client.post(f"{BOTS}/{bot['id']}/answers", json={"name": "Bad", **body}, headers=h)
    assert r.status_code == 422, r.text
    assert any(found[:len(loc)] == loc for found in locs(r)), (loc, locs(r))
    kept = new_answer(client, admin, bot, "Kept")
    r = client.patch(f"{BOTS}/{bot['id']}/answers/{kept['id']}", json=body, headers=h)
    assert r.status_code == 422, r.text
    after = client.get(f"{BOTS}/{bot['id']}/answers/{kept['id']}", headers=h).json()
    assert after["name"] == "Kept" and after["steps"] == kept["steps"]
    assert [a["name"] for a in get_bot(client, admin, bot)["answers"]] == ["Kept"]


def test_markup_is_stored_as_typed_and_returned_as_data(client, admin, brand):
    h = admin.headers
    script = "<script>alert('x')</script>"
    bot = client.post(BOTS, json={"brand_id": brand["id"], "name": f"Bot {script}"},
                      headers=h).json()
    steps = [
        {"id": "hi", "type": "message", "text": f"Hi {script} & <b>welcome</b>", "next": "menu"},
        {"id": "menu", "type": "options", "text": "<img src=x onerror=alert(1)>", "options": [
            {"label": "<b>Yes</b>", "next": "bye"}, {"label": '"><svg onload=1>', "next": "bye"}]},
        {"id": "bye", "type": "end", "text": "{{first_name}} </textarea>"},
    ]
    r = client.post(f"{BOTS}/{bot['id']}/answers", json={"name": f"<i>{script}</i>",
                                                         "steps": steps}, headers=h)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/json")
    answer = r.json()
    assert answer["name"] == f"<i>{script}</i>"
    got = client.get(f"{BOTS}/{bot['id']}/answers/{answer['id']}", headers=h).json()
    assert got["steps"][0]["text"] == f"Hi {script} & <b>welcome</b>"
    assert [o["label"] for o in got["steps"][1]["options"]] == ["<b>Yes</b>", '"><svg onload=1>']
    assert got["steps"][2]["text"] == "{{first_name}} </textarea>"
    assert get_bot(client, admin, bot)["name"] == f"Bot {script}"


@pytest.mark.parametrize("where", ["text", "label", "answer name", "bot name", "tag",
                                   "attribute", "step id"])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f"])
def test_control_characters_are_refused(client, admin, brand, where, char):
    h = admin.headers
    bot = new_bot(client, admin, brand)
    steps = [
        {"id": "hi", "type": "options", "text": "Hello", "options": [
            {"label": "Go", "next": "ask"}]},
        {"id": "ask", "type": "collect", "text": "Plan?", "field": "custom",
         "attribute": "plan", "next": "agent"},
        {"id": "agent", "type": "handoff", "tags": ["vip"]},
    ]
    answer = {"name": "Sales", "steps": steps}
    if where == "text":
        steps[0]["text"] = f"Hel{char}lo"
    elif where == "label":
        steps[0]["options"][0]["label"] = f"G{char}o"
    elif where == "answer name":
        answer["name"] = f"Sa{char}les"
    elif where == "tag":
        steps[2]["tags"] = [f"v{char}ip"]
    elif where == "attribute":
        steps[1]["attribute"] = f"pl{char}an"
    elif where == "step id":
        steps[2]["id"] = f"age{char}nt"
    if where == "bot name":
        r = client.post(BOTS, json={"brand_id": brand["id"], "name": f"Bo{char}t"}, headers=h)
        assert r.status_code == 422 and locs(r)[0] == ["name"], r.text
        r = client.patch(f"{BOTS}/{bot['id']}", json={"name": f"Bo{char}t"}, headers=h)
        assert r.status_code == 422 and locs(r)[0] == ["name"], r.text
        assert [b["name"] for b in client.get(BOTS, headers=h).json()] == ["Helper"]
        return
    r = client.post(f"{BOTS}/{bot['id']}/answers", json=answer, headers=h)
    assert r.status_code == 422, r.text
    assert get_bot(client, admin, bot)["answers"] == []


# -- versions ---------------------------------------------------------------------------------


def test_versions_of_a_published_bot(client, admin, brand):
    h = admin.headers
    bot = new_bot(client, admin, brand)
    answer = new_answer(client, admin, bot)
    url = f"{BOTS}/{bot['id']}"
    answer_url = f"{url}/answers/{answer['id']}"
    assert get_bot(client, admin, bot)["version"] is None

    r = client.post(f"{url}/publish", headers=h)
    assert r.json()["status"] == "published" and r.json()["version"] == 1
    r = client.post(f"{url}/publish", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "action_not_allowed"

    # A valid change is a new version at once.
    changed = [dict(SOUND[0], text="Hi there!"), *SOUND[1:]]
    r = client.patch(answer_url, json={"steps": changed}, headers=h)
    assert r.status_code == 200, r.text
    stored = r.json()["steps"]
    assert stored[0]["text"] == "Hi there!"
    assert get_bot(client, admin, bot)["version"] == 2
    r = client.patch(url, json={"name": "Helpful"}, headers=h)
    assert r.json()["version"] == 3 and r.json()["status"] == "published"

    # A change that would give it problems is refused, naming them, and changes nothing.
    broken = [dict(SOUND[0], next="nowhere"), *SOUND[1:]]
    r = client.patch(answer_url, json={"name": "Renamed", "steps": broken}, headers=h)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "has_problems"
    assert [(d["step"], d["code"]) for d in r.json()["error"]["details"]] == [
        ("hi", "dangling"), *((s, "unreachable") for s in ("menu", "email", "agent", "bye"))]
    got = client.get(answer_url, headers=h).json()
    assert got["steps"] == stored and got["name"] == "Sales"
    after = get_bot(client, admin, bot)
    assert after["version"] == 3 and after["status"] == "published" and after["problems"] == []

    # A new answer must be sound too on a published bot; a sound one is a new version.
    r = client.post(f"{url}/answers", json={"name": "Draft"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["details"][0]["code"] == "no_steps"
    assert [a["name"] for a in get_bot(client, admin, bot)["answers"]] == ["Sales"]
    extra = new_answer(client, admin, bot, "Billing")
    assert get_bot(client, admin, bot)["version"] == 4

    # Deleting an answer is always allowed, and is a new version too.
    assert client.delete(f"{url}/answers/{extra['id']}", headers=h).status_code == 204
    assert get_bot(client, admin, bot)["version"] == 5

    r = client.post(f"{url}/unpublish", headers=h)
    assert r.status_code == 200
    assert r.json()["status"] == "draft" and r.json()["version"] is None
    r = client.post(f"{url}/unpublish", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "action_not_allowed"
    # A draft takes any change again.
    r = client.patch(answer_url, json={"steps": broken}, headers=h)
    assert r.status_code == 200 and r.json()["problems"]
    assert get_bot(client, admin, bot)["version"] is None
    client.patch(answer_url, json={"steps": SOUND}, headers=h)
    r = client.post(f"{url}/publish", headers=h)
    assert r.status_code == 200 and r.json()["version"] == 6


def test_saving_a_published_bot_unchanged_is_no_new_version(client, admin, brand):
    h = admin.headers
    bot, answer = published_bot(client, admin, brand)
    url = f"{BOTS}/{bot['id']}"
    assert client.patch(url, json={}, headers=h).json()["version"] == 1
    assert client.patch(url, json={"name": "Helper"}, headers=h).json()["version"] == 1
    r = client.patch(f"{url}/answers/{answer['id']}", json={"name": "Sales", "steps": SOUND},
                     headers=h)
    assert r.status_code == 200
    assert get_bot(client, admin, bot)["version"] == 1
    assert client.patch(url, json={"name": "Helpful"}, headers=h).json()["version"] == 2


# -- the list ---------------------------------------------------------------------------------

# The caller (token with its user, in one statement; the token's last use stamped), the bots,
# their answers, their published versions, their channels.
BOTS_API = 6


def many_bots(db, n: int) -> None:
    """`n` bots, each of its own brand, with two answers and a channel; every other one
    published."""
    with db() as session:
        for i in range(n):
            brand = Brand(name=f"Brand {i}")
            session.add(brand)
            session.flush()
            bot = Bot(brand_id=brand.id, name=f"Bot {i:02}")
            session.add(bot)
            session.flush()
            session.add_all([BotAnswer(bot_id=bot.id, name=f"Answer {i}", steps=SOUND),
                             BotAnswer(bot_id=bot.id, name="Empty", steps=[])])
            session.add(Channel(brand_id=brand.id, name=f"Site {i}", kind="web_widget",
                                key=f"key-{i}", jwt_secret="s" * 40, bot_id=bot.id))
            if i % 2 == 0:
                version = BotVersion(bot_id=bot.id, number=i + 1, snapshot={})
                session.add(version)
                session.flush()
                bot.status, bot.published_version_id = "published", version.id


@pytest.mark.parametrize("n", [1, 30])
def test_the_list_takes_a_fixed_number_of_statements(app, client, admin, db, n):
    many_bots(db, n)
    with assert_statement_count(app, BOTS_API):
        r = client.get(BOTS, headers=admin.headers)
    assert r.status_code == 200, r.text
    listed = r.json()
    assert [b["name"] for b in listed] == [f"Bot {i:02}" for i in range(n)]
    for i, b in enumerate(listed):
        assert [a["name"] for a in b["answers"]] == [f"Answer {i}", "Empty"]
        assert b["version"] == (i + 1 if i % 2 == 0 else None)
        assert len(b["channel_ids"]) == 1
        assert [p["code"] for p in b["problems"]] == ["no_steps"]
