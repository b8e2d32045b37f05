"""The launcher text and the sender's name in the visitor's language (en, pt-BR), the
channel's own texts when there is no translation, and `ask_contact` in the config."""

from __future__ import annotations

from datetime import timedelta

import pytest

from overture.kit.clock import clock, utcnow
from overture.widget.channel_state import match_language
from tests.widget.helpers import ORIGIN, Browser

TEXTS = {"pt-BR": {"launcher_text": "Dúvidas? Fale conosco", "sender_name": "Suporte da Loja"},
         "en": {"launcher_text": "Questions? Talk to us"}}


@pytest.fixture
def translated(client, admin, site):
    r = client.patch(f"/api/v1/channels/{site['channel']['id']}", headers=admin.headers,
                     json={"launcher_text": "Chat", "translations": TEXTS})
    assert r.status_code == 200, r.text
    return site


def config(client, key: str, lang: str | None = None):
    params = {"lang": lang} if lang is not None else {}
    return client.get(f"/widget/v1/{key}/config", params=params, headers={"Origin": ORIGIN})


@pytest.mark.parametrize(("tag", "locale"), [
    ("pt-BR", "pt_BR"), ("pt-br", "pt_BR"), ("pt_BR", "pt_BR"), ("pt", "pt_BR"),
    ("pt-PT", "pt_BR"), ("en", "en"), ("en-US", "en"), ("EN-gb", "en"), ("fr", None),
    ("", None), (None, None), ("ptx", None), ("e", None),
])
def test_matching_a_language_tag(tag, locale):
    assert match_language(tag) == locale


def test_config_answers_in_the_visitors_language(client, translated):
    key = translated["channel"]["key"]
    pt = config(client, key, "pt-BR").json()
    assert pt["launcher_text"] == "Dúvidas? Fale conosco"
    assert pt["sender"]["name"] == "Suporte da Loja" and pt["locale"] == "pt_BR"
    assert config(client, key, "pt").json()["launcher_text"] == "Dúvidas? Fale conosco"
    en = config(client, key, "en-US").json()
    # English has a launcher text but no sender name: the channel's own is used.
    assert en["launcher_text"] == "Questions? Talk to us"
    assert en["sender"]["name"] == "Shop Support" and en["locale"] == "en"
    # A language the widget doesn't speak, or none: the account's default language.
    for lang in ("fr", None):
        answer = config(client, key, lang).json()
        assert answer["locale"] == "en" and answer["launcher_text"] == "Questions? Talk to us"
    assert config(client, key, "pt-BR").headers["access-control-allow-origin"] == ORIGIN


def test_without_translations_the_channels_texts(client, site):
    key = site["channel"]["key"]
    for lang in ("pt-BR", "en", None):
        answer = config(client, key, lang).json()
        assert answer["launcher_text"] == "" and answer["sender"]["name"] == "Shop Support"
        assert answer["ask_contact"] is False


def test_the_default_language_follows_the_account(client, admin, translated):
    key = translated["channel"]["key"]
    r = client.patch("/api/v1/settings", headers=admin.headers, json={"default_locale": "pt_BR"})
    assert r.status_code == 200
    answer = config(client, key, "de").json()
    assert answer["locale"] == "pt_BR" and answer["launcher_text"] == "Dúvidas? Fale conosco"


def test_a_changed_translation_reaches_the_config_at_once(client, admin, translated):
    key = translated["channel"]["key"]
    assert config(client, key, "pt-BR").json()["launcher_text"] == "Dúvidas? Fale conosco"
    client.patch(f"/api/v1/channels/{translated['channel']['id']}", headers=admin.headers,
                 json={"translations": {"pt-BR": {"launcher_text": "Fale com a gente"}},
                       "launcher_asks_contact": True})
    answer = config(client, key, "pt-BR").json()
    assert answer["launcher_text"] == "Fale com a gente" and answer["ask_contact"] is True
    assert answer["sender"]["name"] == "Shop Support"


@pytest.mark.parametrize("lang", ["a" * 36, "pt BR", "<script>", "pt-BR\x00", "é", "-pt"])
def test_a_malformed_lang_is_422(client, site, lang):
    r = config(client, site["channel"]["key"], lang)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["loc"] == ["query", "lang"]


def test_the_decision_names_the_sender_in_the_visitors_language(client, live, translated):
    live(message="Hi")
    key = translated["channel"]["key"]
    pt = Browser(client, key, language="pt-BR")
    assert pt.view()["show"]["sender"]["name"] == "Suporte da Loja"
    # Shown again (still on screen), and at a re-check: the same language.
    assert pt.view("https://shop.example/2")["show"]["sender"]["name"] == "Suporte da Loja"
    en = Browser(client, key, language="en-GB")
    assert en.view()["show"]["sender"]["name"] == "Shop Support"
    other = Browser(client, key, language="")
    assert other.view()["show"]["sender"]["name"] == "Shop Support"


def test_a_re_check_uses_the_language_the_visitor_reported(client, live, translated):
    clock.freeze(utcnow())
    live(message="Later", trigger={"event": "on_page", "seconds": 5})
    key = translated["channel"]["key"]
    pt = Browser(client, key, language="pt")
    first = pt.view()
    assert first["show"] is None and first["pending"] == [5]
    clock.advance(timedelta(seconds=6))
    assert pt.check()["show"]["sender"]["name"] == "Suporte da Loja"
