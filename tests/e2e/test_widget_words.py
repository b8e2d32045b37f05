"""The widget's words, in the visitor's language (the browser's: `en-US` or `pt-BR`).

The channel's own texts (launcher text, sender name) come from the channel and its
translations, set here through the REST API so that the tests do not depend on the demo data;
the widget's own words (Close, Write a message…) come with the widget. Also: the bubble's
accessible name, Escape on the bubble, the messenger's close button, and a placeholder with no
value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import widget_helpers
from tests.e2e.widget_helpers import (
    DemoSite,
    bubble,
    goto,
    launcher,
    messenger,
    open_shadow,
    set_channel,
)
from tests.e2e.widget_helpers import wait_for_totals as wait_for_stats

site = widget_helpers.site


@dataclass(frozen=True)
class Words:
    locale: str
    launcher_text: str
    sender_name: str
    close: str
    write: str
    send: str
    name: str
    email: str
    bad_email: str
    chat: re.Pattern


EN = Words("en-US", "Questions? Talk to us", "Acme Help Desk", "Close", "Write a message…",
           "Send", "Your name", "Your email", "Please enter a valid email",
           re.compile(r"\bchat\b", re.I))
PT = Words("pt-BR", "Dúvidas? Fale com a gente", "Suporte da Acme", "Fechar",
           "Escreva uma mensagem…", "Enviar", "Seu nome", "Seu e-mail",
           "Informe um e-mail válido", re.compile(r"\bchat\b|\bconversa", re.I))
BOTH = pytest.mark.parametrize("words", [EN, PT], ids=["en", "pt-BR"])


@pytest.fixture
def texts(site: DemoSite) -> DemoSite:
    """The demo channel with the tests' own texts, in English and Brazilian Portuguese."""
    set_channel(site, launcher_text=EN.launcher_text, sender_name=EN.sender_name,
                translations={"pt-BR": {"launcher_text": PT.launcher_text,
                                        "sender_name": PT.sender_name}})
    return site


@pytest.fixture
def visitor(browser: Browser, words: Words) -> Iterator[Page]:
    """A page of the demo site in a browser that speaks `words.locale`."""
    context = browser.new_context(locale=words.locale)
    open_shadow(context)
    page = context.new_page()
    assert page.evaluate("navigator.language") == words.locale
    yield page
    context.close()


def other(words: Words) -> Words:
    return EN if words.locale.startswith("pt") else PT


# -- the channel's texts -----------------------------------------------------------------------


@pytest.mark.parametrize("words", [EN, PT, replace(PT, locale="pt-PT")],
                         ids=["en", "pt-BR", "pt-PT"])
def test_the_launcher_and_the_sender_follow_the_visitor_language(
        visitor: Page, texts: DemoSite, words: Words):
    texts.live_message("Need a hand?", frequency="every_time")
    decision = goto(visitor, texts.url("/demo"))
    assert decision["show"]["sender"]["name"] == words.sender_name
    # Screen readers read the widget in its language, whatever the host page's.
    expect(visitor.locator("overture-widget .ov")).to_have_attribute(
        "lang", re.compile("^pt" if words.locale.startswith("pt") else "^en"))
    card = bubble(visitor)
    expect(card.locator(".who")).to_have_text(words.sender_name)
    expect(card).not_to_contain_text(other(words).sender_name)

    card.locator(".x").click()
    expect(card).to_have_count(0)
    label = launcher(visitor).get_by_text(words.launcher_text)
    expect(label).to_be_visible()
    expect(launcher(visitor)).not_to_contain_text(other(words).launcher_text)
    expect(launcher(visitor)).to_have_accessible_name(re.compile(re.escape(words.launcher_text)))

    # The messenger opened from the launcher is headed by the sender, in the same language.
    launcher(visitor).click()
    dialog = messenger(visitor)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(words.sender_name)
    expect(dialog).not_to_contain_text(other(words).sender_name)
    # Its close button closes it; nothing was on screen, so nothing is dismissed.
    events: list[str] = []
    visitor.on("request", lambda r: r.url.endswith("/events") and events.append(r.url))
    dialog.get_by_role("button", name=words.close, exact=True).click()
    expect(dialog).to_be_hidden()
    visitor.wait_for_timeout(250)
    assert events == []


def test_translations_are_set_and_refused_through_the_api(site: DemoSite):
    set_channel(site, translations={"pt-BR": {"launcher_text": PT.launcher_text,
                                              "sender_name": PT.sender_name}})
    got = site.api.get(f"/api/v1/channels/{site.channel_id}").json()
    assert got["translations"] == {"pt-BR": {"launcher_text": PT.launcher_text,
                                             "sender_name": PT.sender_name}}
    refused = site.api.patch(f"/api/v1/channels/{site.channel_id}",
                             json={"translations": {"pt-BR": {"launcher_text": 3}}})
    assert refused.status_code == 422, refused.text
    assert site.api.get(f"/api/v1/channels/{site.channel_id}").json()["translations"] == (
        got["translations"])


# -- the bubble ----------------------------------------------------------------------------------


@BOTH
def test_the_bubble_says_who_it_is_from_and_that_it_opens_a_chat(
        visitor: Page, texts: DemoSite, words: Words):
    texts.live_message("Looking for **rockets**?")
    goto(visitor, texts.url("/demo"))
    opener = bubble(visitor).get_by_role("button", name="Looking for rockets?")
    expect(opener).to_have_count(1)
    expect(opener).to_have_accessible_name(re.compile(re.escape(words.sender_name)))
    expect(opener).to_have_accessible_name(words.chat)
    expect(opener).to_have_accessible_name(re.compile(r"Looking for rockets\?"))


@BOTH
def test_escape_on_the_bubble_dismisses_it(visitor: Page, texts: DemoSite, words: Words):
    message = texts.live_message("Press Escape to hide me, or [read on](https://acme.test/on)",
                                 frequency="every_time")
    goto(visitor, texts.url("/demo"))
    opener = bubble(visitor).get_by_role("button", name="Press Escape to hide me")
    expect(opener).to_be_visible()
    # Escape elsewhere on the host page is the host page's business.
    events: list[str] = []
    visitor.on("request", lambda r: r.url.endswith("/events") and events.append(r.url))
    visitor.locator("#cta").focus()
    visitor.keyboard.press("Escape")
    visitor.wait_for_timeout(250)
    expect(opener).to_be_visible()
    assert events == []

    opener.focus()
    expect(opener).to_be_focused()
    with visitor.expect_response(lambda r: r.url.endswith("/events")):
        visitor.keyboard.press("Escape")
    expect(bubble(visitor)).to_have_count(0)
    expect(messenger(visitor)).to_be_hidden()
    wait_for_stats(texts, message["id"], {"sent": 1, "opened": 0, "replied": 0, "showings": 1,
                                         "opens": 0, "dismissals": 1, "replies": 0})

    # From the bubble's X as well, by keyboard.
    goto(visitor, texts.url("/demo/pricing"))
    expect(bubble(visitor)).to_contain_text("Press Escape to hide me")
    bubble(visitor).locator(".x").focus()
    with visitor.expect_response(lambda r: r.url.endswith("/events")):
        visitor.keyboard.press("Escape")
    expect(bubble(visitor)).to_have_count(0)
    wait_for_stats(texts, message["id"], {"sent": 1, "opened": 0, "replied": 0, "showings": 2,
                                         "opens": 0, "dismissals": 2, "replies": 0})

    # And from a link in its text.
    goto(visitor, texts.url("/demo"))
    link = bubble(visitor).get_by_role("link", name="read on")
    link.focus()
    expect(link).to_be_focused()
    with visitor.expect_response(lambda r: r.url.endswith("/events")):
        visitor.keyboard.press("Escape")
    expect(bubble(visitor)).to_have_count(0)
    wait_for_stats(texts, message["id"], {"sent": 1, "opened": 0, "replied": 0, "showings": 3,
                                          "opens": 0, "dismissals": 3, "replies": 0})


def test_a_placeholder_without_a_value_goes_with_its_emphasis(page: Page, site: DemoSite):
    site.live_message("Hello **{{first_name}}**!")
    open_shadow(page.context)
    decision = goto(page, site.url("/demo"))
    assert decision["show"]["plain_text"] == "Hello!"
    expect(bubble(page).locator(".text")).to_have_text("Hello!")
    expect(bubble(page).locator("strong")).to_have_count(0)


# -- the messenger -----------------------------------------------------------------------------


@BOTH
def test_the_messenger_close_button_closes_it_and_counts_a_dismissal(
        visitor: Page, texts: DemoSite, words: Words):
    message = texts.live_message("Shall we talk?", response={
        "type": "agent", "collect": [], "follow_up": "Thanks!"})
    goto(visitor, texts.url("/demo"))
    bubble(visitor).get_by_role("button", name="Shall we talk?").click()
    dialog = messenger(visitor)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("textbox", name=words.write)).to_be_focused()
    expect(dialog.get_by_role("button", name=words.send, exact=True)).to_be_visible()

    close = dialog.get_by_role("button", name=words.close, exact=True)
    expect(close).to_be_visible()
    close.click()
    expect(dialog).to_be_hidden()
    expect(launcher(visitor)).to_be_focused()
    wait_for_stats(texts, message["id"], {"sent": 1, "opened": 1, "replied": 0, "showings": 1,
                                         "opens": 1, "dismissals": 1, "replies": 0})


@BOTH
def test_the_launcher_contact_form_speaks_the_visitor_language(
        visitor: Page, texts: DemoSite, words: Words):
    set_channel(texts, launcher_asks_contact=True)
    goto(visitor, texts.url("/demo"))
    launcher(visitor).click()
    dialog = messenger(visitor)
    name = dialog.get_by_label(words.name, exact=True)
    email = dialog.get_by_label(words.email, exact=True)
    expect(name).to_be_visible()
    expect(email).to_be_visible()
    name.fill("Maria Silva")
    email.fill("maria@")
    first = dialog.get_by_role("textbox", name=re.compile(r"message|mensagem", re.I))
    if first.is_visible():
        first.fill("Oi")
    dialog.get_by_role("button", name=words.send, exact=True).click()
    expect(dialog.get_by_text(words.bad_email)).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")


@BOTH
def test_changed_texts_show_on_the_next_page(visitor: Page, texts: DemoSite, words: Words):
    goto(visitor, texts.url("/demo"))
    expect(launcher(visitor).get_by_text(words.launcher_text)).to_be_visible()
    set_channel(texts, launcher_text="Ask us anything", sender_name="Acme Crew",
                translations={"pt-BR": {"launcher_text": "Pergunte o que quiser",
                                        "sender_name": "Equipe Acme"}})
    texts.live_message("Fresh words?")
    goto(visitor, texts.url("/demo/pricing"))
    sender = "Equipe Acme" if words.locale.startswith("pt") else "Acme Crew"
    expect(bubble(visitor).locator(".who")).to_have_text(sender)
    bubble(visitor).locator(".x").click()
    new = "Pergunte o que quiser" if words.locale.startswith("pt") else "Ask us anything"
    expect(launcher(visitor).get_by_text(new)).to_be_visible()

    # Without a translation, Portuguese visitors get the channel's own texts.
    set_channel(texts, translations={})
    goto(visitor, texts.url("/demo"))
    expect(bubble(visitor).locator(".who")).to_have_text("Acme Crew")
    bubble(visitor).locator(".x").click()
    expect(launcher(visitor).get_by_text("Ask us anything")).to_be_visible()
