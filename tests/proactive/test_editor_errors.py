"""Refusals an admin can act on, through HTTP like a browser: each field named by the label
beside it (never an internal path), in the page's language; a refused action is an error, never
a success; and the test-a-visit panel judging the message as it is on the screen."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from tests.conftest import csrf_from, login

BASE = "/admin/proactive-messages"
# What an internal path looks like: `trigger.on_page.seconds`, `conditions.all.0.value`.
INTERNAL_PATH = re.compile(
    r"\b(conditions|trigger|response|timing|tags|brand_id|channel_id)(\.[\w]+)+\b|\ball\.\d")


@pytest.fixture
def csrf(client, admin) -> str:
    assert login(client, admin.email).status_code == 303
    return csrf_from(client.get(f"{BASE}/new").text)


def in_portuguese(client, csrf: str) -> None:
    r = client.post("/locale", data={"locale": "pt_BR", "csrf_token": csrf, "next": BASE},
                    follow_redirects=False)
    assert r.status_code == 303


def save(client, csrf: str, path: str, payload: dict):
    return client.post(path, data={"csrf_token": csrf, "payload": json.dumps(payload)},
                       follow_redirects=False)


def shown(html: str) -> str:
    """The words a person sees: no scripts (the editor's data), no tags, no attributes."""
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def summary(html: str) -> str:
    found = re.search(r'<div class="error" role="alert" id="pe-errors">(.*?)</div>', html, re.S)
    assert found, "no error summary"
    return " ".join(shown(found.group(1)).split()).replace(" :", ":")


def context(html: str) -> dict:
    return json.loads(re.search(r'id="pe-context">(.*?)</script>', html, re.S).group(1))


BAD = {
    "trigger": {"event": "on_page", "seconds": 0},
    "conditions": {"all": [
        {"field": "page_url", "operator": "contains", "value": ["/pricing"]},
        {"field": "visit_count", "operator": "gte", "value": "many"}]},
    "tags": ["vip customer"],
    "response": {"type": "agent", "collect": [], "follow_up": "Thanks 🎉"},
}


def test_a_refused_save_names_each_field_by_its_label(client, admin, complete, csrf):
    r = save(client, csrf, f"{BASE}/new", {**complete, **BAD})
    assert r.status_code == 422
    words = summary(r.text)
    assert words.startswith("Nothing was saved.")
    # The trigger speaks of minutes and seconds; the condition is the row the admin sees.
    assert ("Time on the page (minutes and seconds): Set the minutes and seconds to a time "
            "from 1 second to 60 minutes.") in words
    assert "Condition 2 (Visit count), Value: value must be a whole number, not text" in words
    assert ("Ticket tags: “vip customer” has a space: a tag is one word. Join words with - or _ "
            "(vip-customer), or separate tags with commas.") in words
    assert "Follow-up message: the follow-up message is plain text: no emojis" in words
    assert not INTERNAL_PATH.search(shown(r.text)), INTERNAL_PATH.search(shown(r.text))
    # The paths go to the editor's script, which marks each field.
    paths = {e["path"] for e in context(r.text)["errors"]}
    assert paths == {"trigger.seconds", "conditions.all.1.value", "tags",
                     "response.follow_up"}
    assert client.get("/api/v1/proactive-messages", headers=admin.headers).json() != []  # drafts
    assert not [m for m in client.get("/api/v1/proactive-messages", headers=admin.headers).json()
                if m["name"] == complete["name"]]


def test_a_refusal_in_portuguese_names_the_labels_in_portuguese(client, complete, csrf):
    in_portuguese(client, csrf)
    nested = {"all": [
        {"field": "page_url", "operator": "contains", "value": ["/a"]},
        {"field": "page_url", "operator": "contains", "value": ["/b"]},
        {"any": [{"field": "language", "operator": "is", "value": "pt"},
                 {"field": "visit_count", "operator": "gte", "value": ""}]}]}
    r = save(client, csrf, f"{BASE}/new", {**complete, **BAD, "conditions": nested})
    assert r.status_code == 422
    words = summary(r.text)
    assert words.startswith("Nada foi salvo.")
    assert ("Tempo na página (minutos e segundos): Ajuste os minutos e os segundos para um "
            "tempo de 1 segundo a 60 minutos.") in words
    assert ("Grupo aninhado 1, Condição 2 (Número de visitas), Valor: o valor precisa ser um "
            "número inteiro; está vazio") in words
    assert "“vip customer” tem um espaço: uma tag é uma palavra só." in words
    assert not INTERNAL_PATH.search(shown(r.text))
    assert "must be" not in words and "value" not in words


@pytest.mark.parametrize(("tree", "english", "portuguese"), [
    ({"all": [{"field": "page_url", "operator": "gt", "value": "x"}]},
     "operator 'gt' is not allowed for field 'page_url'",
     "o operador 'gt' não é permitido para o campo 'page_url'"),
    ({"all": [{"field": "language", "operator": "is", "value": "português"}]},
     "'português' is not a language tag",
     "'português' não é uma etiqueta de idioma"),
    ({"all": [{"field": "page_url", "operator": "is", "value": "/a"},
              {"any": [{"field": "page_url", "operator": "is", "value": "/b"}]}]},
     "groups can only be nested when the rule has at least 3 conditions",
     "grupos só podem ser aninhados quando a regra tem pelo menos 3 condições"),
])
def test_rule_refusals_are_in_the_page_language(client, complete, csrf, tree, english,
                                                portuguese):
    r = save(client, csrf, f"{BASE}/new", {**complete, "conditions": tree})
    assert r.status_code == 422 and english in summary(r.text)
    in_portuguese(client, csrf)
    r = save(client, csrf, f"{BASE}/new", {**complete, "conditions": tree})
    assert r.status_code == 422
    assert portuguese in summary(r.text) and english not in r.text


@pytest.mark.parametrize(("language", "words"), [
    ("en", "Monday 11:00-13:00: overlaps 09:00-12:00"),
    ("pt-BR", "Segunda-feira 11:00-13:00: sobrepõe 09:00-12:00"),
])
def test_schedule_refusals_are_in_the_callers_language(client, admin, language, words):
    r = client.post("/api/v1/schedules", headers={**admin.headers, "Accept-Language": language},
                    json={"name": "Office", "timezone": "America/Sao_Paulo", "intervals": [
                        {"weekday": 0, "start": "09:00", "end": "12:00"},
                        {"weekday": 0, "start": "11:00", "end": "13:00"}]})
    assert r.status_code == 422
    assert [d["msg"] for d in r.json()["error"]["details"]] == [words]


def test_rule_refusals_through_the_api_are_in_the_callers_language(client, admin, complete):
    body = {**complete, "conditions": {"all": [
        {"field": "visit_count", "operator": "gte", "value": -1}]}}
    r = client.post("/api/v1/proactive-messages", json=body,
                    headers={**admin.headers, "Accept-Language": "pt-BR"})
    assert r.status_code == 422
    [detail] = r.json()["error"]["details"]
    assert detail["loc"] == ["conditions", "all", 0, "value"]
    assert detail["msg"] == "o valor precisa estar entre 0 e 1.000.000"


def test_a_refused_publish_is_an_error_on_the_editor_not_a_success(client, admin, setup,
                                                                   csrf):
    m = client.post("/api/v1/proactive-messages", headers=admin.headers, json={
        "name": "Half done", "channel_id": setup["channel"]}).json()
    for back in ("list", "edit"):
        r = client.post(f"{BASE}/{m['id']}/publish", data={"csrf_token": csrf, "back": back},
                        follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, f"{BASE}/{m['id']}")
        page = client.get(r.headers["location"]).text
        refusal = re.search(r'<div class="error pe-refusal" role="alert" id="pe-refusal">(.*?)</div>',
                            page, re.S)
        assert refusal and "Not published." in refusal.group(1)
        assert "Write the message." in refusal.group(1)
        assert 'class="flash"' not in page
        # Said once: the next visit of the page no longer shows it.
        assert "pe-refusal" not in client.get(f"{BASE}/{m['id']}").text
    assert client.get(f"/api/v1/proactive-messages/{m['id']}",
                      headers=admin.headers).json()["status"] == "draft"


# -- test a visit, as the message is on the screen -------------------------------------------


def try_a_visit(client, csrf: str, body: dict):
    return client.post(f"{BASE}/test-visit", json=body,
                       headers={"X-CSRF-Token": csrf, "Accept": "application/json"})


PRICING = {"all": [{"field": "page_url", "operator": "contains", "value": ["/pricing"]},
                   {"field": "visit_history", "operator": "is", "value": "returning"}]}


def test_a_new_unsaved_message_is_tested_as_it_is_on_the_screen(client, admin, setup, csrf):
    before = client.get("/api/v1/proactive-messages", headers=admin.headers).json()
    screen = {"name": "", "channel_id": setup["channel"], "message": "Hi",
              "response": {"type": "agent", "collect": [], "follow_up": "Thanks"},
              "conditions": PRICING}
    r = try_a_visit(client, csrf, {"message_id": None, "message": screen, "visit": {
        "url": "https://acme.test/pricing", "visit_history": "returning", "visit_count": 3}})
    assert r.status_code == 200, r.text
    verdict = r.json()
    assert verdict["matches"] is True and verdict["would_show"] is False
    assert verdict["reasons"] == ["The message is Draft: visitors see it only while it is Live."]
    r = try_a_visit(client, csrf, {"message_id": None, "message": screen, "visit": {
        "url": "https://acme.test/about", "visit_history": "new"}})
    assert r.json()["matches"] is False
    assert "The conditions do not match this visit." in r.json()["reasons"]
    # Nothing was stored.
    assert client.get("/api/v1/proactive-messages", headers=admin.headers).json() == before


def test_unsaved_changes_of_a_saved_message_are_what_is_tested(client, admin, complete, csrf):
    m = client.post("/api/v1/proactive-messages", headers=admin.headers, json=complete).json()
    client.post(f"/api/v1/proactive-messages/{m['id']}/publish", headers=admin.headers)
    visit = {"url": "https://acme.test/plans", "seconds_on_page": 60}
    saved = try_a_visit(client, csrf, {"message_id": m["id"], "message": complete,
                                       "visit": visit}).json()
    assert saved["matches"] is False  # the saved rule wants /pricing
    on_screen = {**complete, "conditions": {"all": [
        {"field": "page_url", "operator": "contains", "value": ["/plans"]}]}}
    verdict = try_a_visit(client, csrf, {"message_id": m["id"], "message": on_screen,
                                         "visit": visit}).json()
    assert (verdict["matches"], verdict["would_show"], verdict["reasons"]) == (True, True, [])
    assert client.get(f"/api/v1/proactive-messages/{m['id']}",
                      headers=admin.headers).json()["conditions"] == complete["conditions"]


def test_a_test_that_cannot_run_says_why_by_label(client, complete, csrf):
    r = try_a_visit(client, csrf, {"message_id": None, "message": {
        **complete, "conditions": {"all": [
            {"field": "visit_count", "operator": "gte", "value": "x"}]}},
        "visit": {"visit_count": 0}})
    assert r.status_code == 422
    details = r.json()["error"]["details"]
    assert [(d["field"], d["path"]) for d in details] == [
        ("Condition 1 (Visit count), Value", "conditions.all.0.value"),
        ("Visit count", "visit.visit_count")]
    in_portuguese(client, csrf)
    r = try_a_visit(client, csrf, {"message_id": None, "message": complete,
                                   "visit": {"visit_count": 0}})
    assert r.json()["error"]["details"] == [
        {"field": "Número de visitas", "path": "visit.visit_count",
         "msg": "deve ser pelo menos 1"}]
    assert try_a_visit(client, csrf, {"message_id": 999999, "message": complete,
                                      "visit": {}}).status_code == 404
    assert try_a_visit(client, csrf, {"message_id": "1", "message": complete,
                                      "visit": {}}).status_code == 422
    assert try_a_visit(client, csrf, {"message": "nothing"}).status_code == 422


def test_the_language_condition_offers_languages_by_name(client, csrf):
    ctx = context(client.get(f"{BASE}/new").text)
    names = {lang["tag"]: lang["name"] for lang in ctx["languages"]}
    assert {"pt", "pt-BR", "pt-PT", "en", "en-US", "es", "fr", "de"} <= set(names)
    assert names["pt-BR"] == "Portuguese (Brazil)"
    in_portuguese(client, csrf)
    html = client.get(f"{BASE}/new").text
    names = {lang["tag"]: lang["name"] for lang in context(html)["languages"]}
    assert names["pt-BR"] == "Português (Brasil)" and names["en"] == "Inglês"
    assert '<option value="pt-BR" label="Português (Brasil)">' in html


def test_the_ready_made_drafts_follow_the_account_language_paths_included(client, admin,
                                                                           setup):
    h = admin.headers
    client.patch("/api/v1/settings", json={"default_locale": "pt_BR"}, headers=h)
    drafts = {m["name"]: m for m in client.get("/api/v1/proactive-messages", headers=h).json()}
    pricing = drafts["Oferecer ajuda na página de preços"]
    [condition] = pricing["conditions"]["all"]
    assert {"/precos", "/planos", "/pricing"} <= set(condition["value"])
    assert pricing["tags"] == ["proativa", "precos"]
    assert pricing["response"]["follow_up"].startswith("Obrigado")


# -- the other admin forms ---------------------------------------------------------------


def test_other_forms_name_their_fields_and_let_the_page_mark_them(client, admin, csrf):
    r = client.post("/admin/brands/new", data={"csrf_token": csrf, "name": ""})
    assert r.status_code == 422
    assert '<li data-path="name"><strong>Name</strong>: this field is required</li>' in r.text
    assert '<script src="/static/form-errors.js" defer></script>' in r.text
    brand = client.post("/api/v1/brands", json={"name": "Acme"}, headers=admin.headers).json()
    r = client.post("/admin/channels/new", data={
        "csrf_token": csrf, "brand_id": str(brand["id"]), "name": "Site", "kind": "web_widget",
        "color": "#1f73b7", "allowed_origins": "https://ok.example\n\nnot an origin"})
    assert r.status_code == 422
    # The line the admin sees (the third), for the script; the words name it, not the path.
    assert '<li data-path="allowed_origins.1" data-row="3"><strong>Allowed origins, line 3' \
        in r.text
    assert "allowed_origins.1" not in shown(r.text)
    assert client.get("/static/form-errors.js").status_code == 200
