"""The bots admin pages, through HTTP form posts with the session, like a browser: the list, a
bot's page (settings, answers, publishing and its problems), the flow editor's saves."""

from __future__ import annotations

import json
import re

import pytest

from tests.bots.flows import SOUND
from tests.conftest import csrf_from, login

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
BOTS = "/api/v1/bots"

# "menu" leads nowhere by its second button, and "lost" can never be reached.
BROKEN = [
    {"id": "hi", "type": "message", "text": "Hello!", "next": "menu"},
    {"id": "menu", "type": "options", "text": "Pick one", "options": [
        {"label": "Agent", "next": "agent"}, {"label": "Other", "next": None}]},
    {"id": "agent", "type": "handoff", "text": "", "tags": []},
    {"id": "lost", "type": "end", "text": "Never seen"},
]


@pytest.fixture
def brand(client, admin):
    return client.post("/api/v1/brands", json={"name": "Acme"}, headers=admin.headers).json()


@pytest.fixture
def csrf(client, admin) -> str:
    """Signed in as the admin; the session's CSRF token."""
    assert login(client, admin.email).status_code == 303
    return csrf_from(client.get("/admin/bots").text)


def api_bot(client, admin, bot_id: int) -> dict:
    return client.get(f"{BOTS}/{bot_id}", headers=admin.headers).json()


def new_bot(client, admin, brand, name="Helper") -> dict:
    r = client.post(BOTS, json={"brand_id": brand["id"], "name": name}, headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def new_answer(client, admin, bot, steps, name="Sales") -> dict:
    r = client.post(f"{BOTS}/{bot['id']}/answers", json={"name": name, "steps": steps},
                    headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def bot_form(csrf: str, brand: dict, **fields) -> dict:
    values = {"csrf_token": csrf, "name": "Helper", "brand_id": str(brand["id"]),
              "avatar_url": "", "greeting_answer_id": ""}
    values.update(fields)
    return values


def save_steps(client, csrf, bot_id, answer_id, steps, name="Sales", raw=None):
    return client.post(f"/admin/bots/{bot_id}/answers/{answer_id}", data={
        "csrf_token": csrf, "name": name, "steps": raw if raw is not None else json.dumps(steps)},
        follow_redirects=False)


def editor_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="be-context">(.*?)</script>', html, re.S)
    assert m, "the editor's data is not on the page"
    return json.loads(m.group(1))


def test_the_pages_are_for_admins_only(client, admin, agent, brand):
    bot = new_bot(client, admin, brand)
    answer = new_answer(client, admin, bot, SOUND)
    pages = ["/admin/bots", "/admin/bots/new", f"/admin/bots/{bot['id']}",
             f"/admin/bots/{bot['id']}/delete", f"/admin/bots/{bot['id']}/answers/{answer['id']}",
             f"/admin/bots/{bot['id']}/answers/{answer['id']}/delete"]
    assert login(client, agent.email).status_code == 303
    for url in pages:
        assert client.get(url).status_code == 403, url
    assert login(client, admin.email).status_code == 303
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert 'href="/admin/bots"' in client.get("/admin").text  # in the admin's menu


def test_create_a_bot_add_answers_save_and_delete(client, admin, csrf, brand):
    r = client.get("/admin/bots")
    assert "No bots yet." in r.text and "New bot" in r.text

    r = client.post("/admin/bots/new", data=bot_form(csrf, brand, name="Helper",
                                                     avatar_url="https://cdn.example.com/a.png"),
                    follow_redirects=False)
    assert r.status_code == 303
    bot_id = int(r.headers["location"].rsplit("/", 1)[1])
    bot = api_bot(client, admin, bot_id)
    assert (bot["name"], bot["brand_id"], bot["status"]) == ("Helper", brand["id"], "draft")
    assert bot["avatar_url"] == "https://cdn.example.com/a.png"

    page = client.get(f"/admin/bots/{bot_id}")
    assert "Bot created." in page.text
    assert "The bot has no answers yet: add one." in page.text
    assert 'data-action="publish"' in page.text and 'data-action="unpublish"' not in page.text

    r = client.post(f"/admin/bots/{bot_id}/answers", data={"csrf_token": csrf, "name": "Pricing"},
                    follow_redirects=False)
    assert r.status_code == 303
    answer_id = int(r.headers["location"].rsplit("/", 1)[1])
    assert r.headers["location"] == f"/admin/bots/{bot_id}/answers/{answer_id}"
    editor = client.get(r.headers["location"])
    assert editor.status_code == 200
    assert editor_data(editor.text)["steps"] == []
    assert "The answer has no steps yet." in editor.text

    # An answer needs a name.
    r = client.post(f"/admin/bots/{bot_id}/answers", data={"csrf_token": csrf, "name": "  "})
    assert r.status_code == 422
    assert "Answer name" in r.text and "this field is required" in r.text

    r = save_steps(client, csrf, bot_id, answer_id, SOUND, name="Pricing help")
    assert r.status_code == 303
    assert r.headers["location"] == f"/admin/bots/{bot_id}/answers/{answer_id}"
    saved = client.get(f"{BOTS}/{bot_id}/answers/{answer_id}", headers=admin.headers).json()
    assert saved["name"] == "Pricing help"
    assert saved["steps"][1]["options"][0] == {"label": "Talk to someone", "next": "email"}
    assert saved["problems"] == []
    editor = client.get(f"/admin/bots/{bot_id}/answers/{answer_id}")
    assert "Answer saved." in editor.text
    assert [s["id"] for s in editor_data(editor.text)["steps"]] == [s["id"] for s in SOUND]

    # The greeting is one of the bot's answers; the list shows the answer and the status.
    r = client.post(f"/admin/bots/{bot_id}", data=bot_form(
        csrf, brand, name="Helper 2", greeting_answer_id=str(answer_id)), follow_redirects=False)
    assert r.status_code == 303
    assert api_bot(client, admin, bot_id)["greeting_answer_id"] == answer_id
    listing = client.get("/admin/bots").text
    row = re.search(rf'<tr data-bot="{bot_id}">(.*?)</tr>', listing, re.S).group(1)
    assert "Helper 2" in row and "Acme" in row and "Draft" in row
    assert '<td class="num">1</td>' in row

    # Deleting the answer asks first, then the bot has none again.
    r = client.get(f"/admin/bots/{bot_id}/answers/{answer_id}/delete")
    assert "Delete Pricing help?" in r.text and "greeting" in r.text
    r = client.post(f"/admin/bots/{bot_id}/answers/{answer_id}/delete",
                    data={"csrf_token": csrf}, follow_redirects=False)
    assert r.headers["location"] == f"/admin/bots/{bot_id}"
    assert api_bot(client, admin, bot_id)["answers"] == []

    # Deleting the bot asks first, naming the channels that lose it.
    channel = client.post("/api/v1/channels", headers=admin.headers, json={
        "brand_id": brand["id"], "name": "Shop site", "bot_id": bot_id}).json()
    r = client.get(f"/admin/bots/{bot_id}/delete")
    assert "Delete Helper 2?" in r.text and "Shop site" in r.text
    r = client.post(f"/admin/bots/{bot_id}/delete", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/bots"
    assert client.get(f"{BOTS}/{bot_id}", headers=admin.headers).status_code == 404
    assert client.get(f"/api/v1/channels/{channel['id']}",
                      headers=admin.headers).json()["bot_id"] is None
    assert "Bot deleted." in client.get("/admin/bots").text


def test_bad_bot_forms_are_refused_with_the_field_named(client, admin, csrf, brand):
    r = client.post("/admin/bots/new", data=bot_form(csrf, brand, name=""))
    assert r.status_code == 422
    assert "<strong>Name</strong>: this field is required" in r.text
    r = client.post("/admin/bots/new", data=bot_form(csrf, brand, avatar_url="javascript:x"))
    assert r.status_code == 422 and "Avatar URL" in r.text
    r = client.post("/admin/bots/new", data=bot_form(csrf, brand, brand_id="999999"))
    assert r.status_code == 422 and "brand 999999 does not exist" in r.text
    assert client.get(BOTS, headers=admin.headers).json() == []


def test_publish_is_refused_with_each_problem_linked_to_its_step(client, admin, csrf, brand):
    bot = new_bot(client, admin, brand)
    answer = new_answer(client, admin, bot, BROKEN, name="Menu")
    base = f"/admin/bots/{bot['id']}"

    page = client.get(base).text
    assert "Before this bot can be published:" in page
    link = f'href="{base}/answers/{answer["id"]}#step-lost"'
    assert link in page
    assert f'href="{base}/answers/{answer["id"]}#step-menu"' in page

    r = client.post(f"{base}/publish", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 409
    refused = re.search(r'<section class="error bot-refused" role="alert"(.*?)</section>', r.text,
                        re.S)
    assert refused, "the refusal is shown as an error"
    assert "Not published. Fix these problems first:" in refused.group(1)
    assert link in refused.group(1)
    assert "can never be reached from the first step" in refused.group(1)
    assert "leads nowhere" in refused.group(1)
    assert 'class="flash"' not in r.text
    assert api_bot(client, admin, bot["id"])["status"] == "draft"

    # The editor lists the answer's problems too, each linked to its step's card.
    editor = client.get(f"{base}/answers/{answer['id']}").text
    assert 'href="#step-lost"' in editor and 'href="#step-menu"' in editor
    assert {p["step"] for p in editor_data(editor)["problems"]} >= {"lost", "menu"}


def test_publish_then_unpublish(client, admin, csrf, brand):
    bot = new_bot(client, admin, brand)
    answer = new_answer(client, admin, bot, SOUND)
    base = f"/admin/bots/{bot['id']}"
    r = client.post(f"{base}/publish", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == base
    assert api_bot(client, admin, bot["id"])["status"] == "published"
    page = client.get(base).text
    assert "Published: channels connected to this bot run it now." in page
    assert 'data-action="unpublish"' in page and 'data-action="publish"' not in page
    assert 'data-status="published">Published</span>' in page

    # A published bot refuses a change that would give it problems, and says which.
    before = client.get(f"{BOTS}/{bot['id']}/answers/{answer['id']}", headers=admin.headers)
    broken = [dict(SOUND[0], next="nowhere"), *SOUND[1:]]
    r = save_steps(client, csrf, bot["id"], answer["id"], broken)
    assert r.status_code == 409
    assert "Not saved: the bot is published" in r.text
    assert "nowhere" in r.text and 'href="#step-hi"' in r.text
    # What was typed is shown again, so nothing is lost.
    assert editor_data(r.text)["steps"][0]["next"] == "nowhere"
    saved = client.get(f"{BOTS}/{bot['id']}/answers/{answer['id']}", headers=admin.headers)
    assert saved.json()["steps"] == before.json()["steps"]
    assert saved.json()["steps"][0]["next"] == "menu"

    r = client.post(f"{base}/unpublish", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert api_bot(client, admin, bot["id"])["status"] == "draft"
    assert "Unpublished" in client.get(base).text


def test_bad_steps_get_a_clear_4xx_never_a_500(client, admin, csrf, brand):
    bot = new_bot(client, admin, brand)
    answer = new_answer(client, admin, bot, SOUND)

    r = save_steps(client, csrf, bot["id"], answer["id"], None, raw="{not json")
    assert r.status_code == 422
    assert "The steps could not be read." in r.text
    r = save_steps(client, csrf, bot["id"], answer["id"], None, raw='{"id": "x"}')
    assert r.status_code == 422 and "The steps could not be read." in r.text
    r = client.post(f"/admin/bots/{bot['id']}/answers/{answer['id']}",
                    data={"csrf_token": csrf, "name": "Sales"})
    assert r.status_code == 422 and "The steps could not be read." in r.text

    bad = [dict(SOUND[0]), dict(SOUND[1], options=[{"label": "", "next": "email"}])]
    r = save_steps(client, csrf, bot["id"], answer["id"], bad)
    assert r.status_code == 422
    assert "Step 2 (“menu”), Buttons 1, Label" in r.text
    assert [e["step"] for e in editor_data(r.text)["errors"]] == ["menu"]

    r = save_steps(client, csrf, bot["id"], answer["id"],
                   [{"id": "Not An Id!", "type": "end"}, "text", 5, {"type": "dance"}])
    assert r.status_code == 422
    assert "Step 1" in r.text and "Step 4" in r.text
    assert [s.get("type") for s in editor_data(r.text)["steps"]] == ["end", "dance"]

    r = save_steps(client, csrf, bot["id"], answer["id"],
                   [SOUND[4], dict(SOUND[4], text="again")])
    assert r.status_code == 422 and "repeats the id" in r.text

    r = save_steps(client, csrf, bot["id"], answer["id"], SOUND, name="")
    assert r.status_code == 422 and "this field is required" in r.text

    saved = client.get(f"{BOTS}/{bot['id']}/answers/{answer['id']}", headers=admin.headers)
    assert saved.json()["steps"] == answer["steps"] and saved.json()["name"] == "Sales"

    # Ids that name nothing are a plain 404.
    assert client.get(f"/admin/bots/{bot['id']}/answers/999999").status_code == 404
    assert client.get("/admin/bots/999999").status_code == 404


def test_what_admins_type_is_escaped(client, admin, csrf, brand):
    bot = new_bot(client, admin, brand, name=XSS)
    steps = [{"id": "menu", "type": "options", "text": XSS, "options": [
        {"label": XSS, "next": "bye"}]}, {"id": "bye", "type": "end", "text": "</script>"}]
    answer = new_answer(client, admin, bot, steps, name=XSS)
    channel = client.post("/api/v1/channels", headers=admin.headers, json={
        "brand_id": brand["id"], "name": "Shop", "bot_id": bot["id"]}).json()
    for url in ("/admin/bots", f"/admin/bots/{bot['id']}",
                f"/admin/bots/{bot['id']}/answers/{answer['id']}",
                f"/admin/bots/{bot['id']}/delete", f"/admin/channels/{channel['id']}"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert XSS not in r.text, url
        assert "</script>\"" not in r.text
        assert ESCAPED in r.text or "\\u003cscript\\u003e" in r.text, url
    editor = client.get(f"/admin/bots/{bot['id']}/answers/{answer['id']}").text
    # The JSON for the editor's script still holds the text as typed.
    assert editor_data(editor)["steps"][0]["options"][0]["label"] == XSS
    assert editor_data(editor)["bot"]["name"] == XSS


def test_the_channel_page_offers_the_brands_bots(client, admin, csrf, brand):
    other = client.post("/api/v1/brands", json={"name": "Globex"}, headers=admin.headers).json()
    draft = new_bot(client, admin, brand, name="Draft helper")
    published = new_bot(client, admin, brand, name="Live helper")
    new_answer(client, admin, published, SOUND)
    assert client.post(f"{BOTS}/{published['id']}/publish", headers=admin.headers).is_success
    foreign = new_bot(client, admin, other, name="Globex bot")
    channel = client.post("/api/v1/channels", headers=admin.headers, json={
        "brand_id": brand["id"], "name": "Shop"}).json()
    url = f"/admin/channels/{channel['id']}"

    page = client.get(url).text
    select = re.search(r'<select name="bot_id".*?</select>', page, re.S).group(0)
    assert "Draft helper (draft)" in select
    assert "Live helper</option>" in select
    assert "Globex bot" not in select

    def post(bot_id: str):
        return client.post(url, data={
            "csrf_token": csrf, "brand_id": str(brand["id"]), "name": "Shop",
            "kind": "web_widget", "allowed_origins": "", "color": "#1f73b7",
            "bot_id": bot_id}, follow_redirects=False)

    assert post(str(published["id"])).status_code == 303
    current = client.get(f"/api/v1/channels/{channel['id']}", headers=admin.headers).json()
    assert current["bot_id"] == published["id"]
    assert f'<option value="{published["id"]}" selected>' in client.get(url).text

    # A bot of another brand is refused, by name; the channel keeps its bot.
    r = post(str(foreign["id"]))
    assert r.status_code == 422 and "belongs to another brand" in r.text
    current = client.get(f"/api/v1/channels/{channel['id']}", headers=admin.headers).json()
    assert current["bot_id"] == published["id"]

    assert post("").status_code == 303
    current = client.get(f"/api/v1/channels/{channel['id']}", headers=admin.headers).json()
    assert current["bot_id"] is None
    assert draft["id"] != foreign["id"]


def test_the_proactive_editor_offers_the_channels_bot(client, admin, csrf, brand):
    channel = client.post("/api/v1/channels", headers=admin.headers, json={
        "brand_id": brand["id"], "name": "Shop"}).json()
    page = client.get("/admin/proactive-messages/new").text
    assert "bots are not available" not in page

    bot = new_bot(client, admin, brand, name="Helper")
    answer = new_answer(client, admin, bot, SOUND, name="Sales")
    client.post(f"{BOTS}/{bot['id']}/publish", headers=admin.headers)
    client.patch(f"/api/v1/channels/{channel['id']}", json={"bot_id": bot["id"]},
                 headers=admin.headers)
    page = client.get("/admin/proactive-messages/new").text
    m = re.search(r'<script type="application/json" id="pe-context">(.*?)</script>', page, re.S)
    context = json.loads(m.group(1))
    [shown] = [c for c in context["channels"] if c["id"] == channel["id"]]
    assert shown["bot_id"] == bot["id"]
    [offered] = context["bots"]
    assert offered["name"] == "Helper" and offered["published"] is True
    assert offered["answers"] == [{"id": answer["id"], "name": "Sales"}]

    # A message saved with a bot response keeps it.
    payload = {"name": "Bot hello", "brand_id": brand["id"], "channel_id": channel["id"],
               "message": "Hi!", "response": {"type": "bot", "bot_id": bot["id"],
                                              "answer_id": answer["id"]}}
    r = client.post("/admin/proactive-messages/new", data={
        "csrf_token": csrf, "payload": json.dumps(payload)}, follow_redirects=False)
    assert r.status_code == 303
    saved = client.get("/api/v1/proactive-messages", headers=admin.headers).json()
    [m] = [x for x in saved if x["name"] == "Bot hello"]
    assert m["response"] == {"type": "bot", "bot_id": bot["id"], "answer_id": answer["id"]}
