"""A channel's launcher settings: asking for name and email, and its texts per language —
through the API and the admin form."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from, login


@pytest.fixture
def brand(client, admin):
    return client.post("/api/v1/brands", json={"name": "Acme"}, headers=admin.headers).json()


def _create(client, admin, brand, **fields):
    return client.post("/api/v1/channels", headers=admin.headers, json={
        "brand_id": brand["id"], "name": "Website", **fields})


def test_defaults_and_round_trip(client, admin, brand):
    ch = _create(client, admin, brand).json()
    assert ch["launcher_asks_contact"] is False and ch["translations"] == {}
    texts = {"pt-BR": {"launcher_text": "Dúvidas? Fale conosco", "sender_name": "Suporte"},
             "en": {"launcher_text": "Questions? Talk to us"}}
    r = client.patch(f"/api/v1/channels/{ch['id']}", headers=admin.headers,
                     json={"launcher_asks_contact": True, "translations": texts})
    assert r.status_code == 200, r.text
    got = client.get(f"/api/v1/channels/{ch['id']}", headers=admin.headers).json()
    assert got["launcher_asks_contact"] is True and got["translations"] == texts
    # Empty texts are dropped; a PATCH without translations keeps them; {} drops them all.
    r = client.patch(f"/api/v1/channels/{ch['id']}", headers=admin.headers,
                     json={"translations": {"en": {"launcher_text": "", "sender_name": "  "}}})
    assert r.json()["translations"] == {}
    r = client.patch(f"/api/v1/channels/{ch['id']}", headers=admin.headers,
                     json={"translations": texts})
    r = client.patch(f"/api/v1/channels/{ch['id']}", headers=admin.headers, json={"name": "W"})
    assert r.json()["translations"] == texts
    r = client.patch(f"/api/v1/channels/{ch['id']}", headers=admin.headers,
                     json={"translations": {}})
    assert r.json()["translations"] == {}


@pytest.mark.parametrize(("translations", "loc"), [
    ({"fr": {"launcher_text": "Salut"}}, ["translations", "fr"]),
    ({"pt_BR": {"launcher_text": "Oi"}}, ["translations", "pt_BR"]),
    ({"en": {"greeting": "Hi"}}, ["translations", "en", "greeting"]),
    ({"en": {"launcher_text": "x" * 81}}, ["translations", "en", "launcher_text"]),
    ({"en": {"sender_name": "a\x00b"}}, ["translations", "en", "sender_name"]),
    ({"en": {"sender_name": 5}}, ["translations", "en", "sender_name"]),
    ({"en": "Hi"}, ["translations", "en"]),
    (["en"], ["translations"]),
])
def test_bad_translations_are_named(client, admin, brand, translations, loc):
    r = _create(client, admin, brand, translations=translations)
    assert r.status_code == 422, r.text
    locs = [d["loc"] for d in r.json()["error"]["details"]]
    assert any(got[:len(loc)] == loc for got in locs), locs
    assert client.get("/api/v1/channels", headers=admin.headers).json() == []


def test_launcher_asks_contact_must_be_a_boolean(client, admin, brand):
    r = _create(client, admin, brand, launcher_asks_contact="yes")
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"] == ["launcher_asks_contact"]


def test_script_in_a_translation_is_stored_as_typed_and_escaped_on_the_page(client, admin,
                                                                             brand):
    xss = "<script>alert(1)</script>"
    ch = _create(client, admin, brand, translations={"pt-BR": {"launcher_text": xss}}).json()
    assert ch["translations"] == {"pt-BR": {"launcher_text": xss}}
    assert login(client, admin.email).status_code == 303
    page = client.get(f"/admin/channels/{ch['id']}").text
    assert xss not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _form(csrf: str, brand_id: int, **fields) -> dict:
    return {"csrf_token": csrf, "brand_id": str(brand_id), "name": "Website",
            "kind": "web_widget", "allowed_origins": "https://www.example.com\n",
            "sender_name": "Support", "sender_avatar_url": "", "launcher_text": "Chat",
            "color": "#112233", "schedule_id": "", **fields}


def test_the_admin_form_sets_both(client, admin, brand):
    assert login(client, admin.email).status_code == 303
    page = client.get("/admin/channels/new").text
    csrf = csrf_from(page)
    assert "Ask for name and email before a conversation starts from the launcher" in page
    for name in ("launcher_asks_contact", "translations.pt-BR.launcher_text",
                 "translations.pt-BR.sender_name", "translations.en.launcher_text",
                 "translations.en.sender_name"):
        assert f'name="{name}"' in page
    r = client.post("/admin/channels/new", follow_redirects=False, data=_form(
        csrf, brand["id"], launcher_asks_contact="on",
        **{"translations.pt-BR.launcher_text": "Dúvidas? Fale conosco",
           "translations.pt-BR.sender_name": "Suporte",
           "translations.en.launcher_text": "", "translations.en.sender_name": ""}))
    assert r.status_code == 303, r.text
    ch = client.get("/api/v1/channels", headers=admin.headers).json()[0]
    assert ch["launcher_asks_contact"] is True
    assert ch["translations"] == {"pt-BR": {"launcher_text": "Dúvidas? Fale conosco",
                                            "sender_name": "Suporte"}}
    page = client.get(f"/admin/channels/{ch['id']}").text
    assert 'value="Dúvidas? Fale conosco"' in page and "checked" in page.split(
        'name="launcher_asks_contact"')[1].split(">")[0]
    # Saving with the box unticked and the texts emptied clears both.
    r = client.post(f"/admin/channels/{ch['id']}", follow_redirects=False, data=_form(
        csrf, brand["id"], **{"translations.pt-BR.launcher_text": "",
                              "translations.pt-BR.sender_name": ""}))
    assert r.status_code == 303, r.text
    ch = client.get(f"/api/v1/channels/{ch['id']}", headers=admin.headers).json()
    assert ch["launcher_asks_contact"] is False and ch["translations"] == {}


def test_a_too_long_translation_is_shown_beside_the_form(client, admin, brand):
    assert login(client, admin.email).status_code == 303
    csrf = csrf_from(client.get("/admin/channels/new").text)
    r = client.post("/admin/channels/new", data=_form(
        csrf, brand["id"], **{"translations.pt-BR.launcher_text": "x" * 81}))
    assert r.status_code == 422
    assert "Launcher text (Português (Brasil))" in r.text
    assert client.get("/api/v1/channels", headers=admin.headers).json() == []
