"""The agents' queue in a real browser, in English and Brazilian Portuguese: what each row says
(who, the last message, how long the customer has waited, unread), the views and the search,
the proactive message as the customer saw it, a solved ticket reopened to reply, and a tag
typed with a space.

The customers are played over the widget's HTTP API (tests/e2e/test_agent_workspace.py); the
agent is the demo agent in headless Chromium, who picks the language in the top bar.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from overture.demo.service import DEMO_ADMIN_PASSWORD, DEMO_AGENT_EMAIL, DEMO_CHANNEL_KEY
from overture.kit.clock import clock, utcnow
from tests.e2e import widget_helpers
from tests.e2e.conftest import sign_in
from tests.e2e.test_agent_workspace import Customer
from tests.e2e.widget_helpers import DemoSite
from tests.widget.helpers import new_id

site = widget_helpers.site

WORDS = {
    "en": {
        "live": "Updates live", "unread": "Unread", "visitor": "Visitor {ref}",
        "waiting_now": "Waiting < 1 min", "waiting_5": "Waiting 5 min",
        "waiting_2h": "Waiting 2 h 5 min", "agent": "Agent",
        "mine": "Mine", "unassigned": "Unassigned", "open": "All open", "solved": "Solved",
        "views": "Views", "search": "Search the queue",
        "count_open": "2 unsolved tickets", "count_mine": "1 ticket assigned to you",
        "count_unassigned": "1 unassigned ticket", "count_solved": "1 solved ticket",
        "count_found": "1 ticket found", "empty_found": "No ticket in this view matches “nobody”.",
        "seen": "As the customer saw it:", "reply": "Reply", "send": "Send",
        "solved_text": "This ticket is solved. Reopen it to reply.", "reopen": "Reopen",
        "status": "Status", "tags": "Tags", "save_tags": "Save tags",
        "space": "“vip customer” has a space: one word per tag: use - or _",
        "not_saved": "Not saved", "server_tag": "must be one word of letters, digits, _, - or :",
        "more": "Show more", "count_60": "60 solved tickets",
    },
    "pt_BR": {
        "live": "Atualizações em tempo real", "unread": "Não lido", "visitor": "Visitante {ref}",
        "waiting_now": "Aguardando há < 1 min", "waiting_5": "Aguardando há 5 min",
        "waiting_2h": "Aguardando há 2 h 5 min", "agent": "Agente",
        "mine": "Meus", "unassigned": "Não atribuídos", "open": "Todos abertos",
        "solved": "Resolvidos", "views": "Visualizações", "search": "Pesquisar na fila",
        "count_open": "2 tickets não resolvidos", "count_mine": "1 ticket atribuído a você",
        "count_unassigned": "1 ticket não atribuído", "count_solved": "1 ticket resolvido",
        "count_found": "1 ticket encontrado",
        "empty_found": "Nenhum ticket desta visualização corresponde a “nobody”.",
        "seen": "Como o cliente viu:", "reply": "Resposta", "send": "Enviar",
        "solved_text": "Este ticket está resolvido. Reabra-o para responder.",
        "reopen": "Reabrir", "status": "Status", "tags": "Tags", "save_tags": "Salvar tags",
        "space": "“vip customer” tem um espaço: uma palavra por tag: use - ou _",
        "not_saved": "Não salvo",
        "server_tag": "deve ser uma única palavra de letras, dígitos, _, - ou :",
        "more": "Mostrar mais", "count_60": "60 tickets resolvidos",
    },
}

LOCALES = pytest.mark.parametrize("locale", ["en", "pt_BR"])


@pytest.fixture
def customers(live_server: str, site: DemoSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=10) as client:
        yield client


def reply_to(site: DemoSite, client: httpx.Client, message: dict, name: str,
             email: str) -> tuple[Customer, int, int]:
    """A new customer sees the live `message`, fills in its form: (customer, conversation,
    ticket)."""
    customer = Customer(client, DEMO_CHANNEL_KEY)
    shown = customer.view(url=site.url("/demo/pricing"), title="Pricing")["show"]
    assert shown is not None and shown["message_id"] == message["id"], shown
    r = customer._post("conversations", {
        "visitor_id": customer.visitor_id, "delivery_id": shown["delivery_id"],
        "client_id": new_id("c"), "name": name, "email": email})
    assert r.status_code == 201, r.text
    conversation_id = r.json()["conversation_id"]
    return customer, conversation_id, ticket_of(site, conversation_id)["id"]


def ticket_of(site: DemoSite, conversation_id: int) -> dict:
    tickets = site.api.get("/api/v1/tickets?limit=200").json()
    return next(t for t in tickets if t["conversation_id"] == conversation_id)


def pricing_message(site: DemoSite, text: str = "Need help choosing a plan?") -> dict:
    return site.live_message(
        text, name="Pricing help", tags=["pricing"],
        response={"type": "agent", "collect": ["name", "email"],
                  "follow_up": "Thanks! An agent will answer you here."})


def agent_in(page: Page, base: str, locale: str, path: str = "/agent") -> None:
    """The demo agent signed in, in `locale` (chosen in the top bar), on `path`."""
    sign_in(page, base, DEMO_AGENT_EMAIL, DEMO_ADMIN_PASSWORD)
    expect(page).to_have_url(f"{base}/agent")
    if locale != "en":
        page.locator("#locale-select").select_option(locale)
        expect(page.locator("html")).to_have_attribute("lang", locale.replace("_", "-"))
    if path != "/agent":
        page.goto(base + path)
    expect(page.locator("#aw-feed-state")).to_have_text(WORDS[locale]["live"])


def row(page: Page, text: str):
    return page.locator("#aw-queue-list a", has_text=text)


def tab(page: Page, w: dict, view: str):
    return page.get_by_role("tablist", name=w["views"]).get_by_role("tab", name=w[view])


# -- what a row says ------------------------------------------------------------------------


@LOCALES
def test_rows_say_who_the_last_message_how_long_and_unread(page: Page, site: DemoSite,
                                                           customers, locale):
    w = WORDS[locale]
    maria, conversation, ticket = reply_to(site, customers, pricing_message(site),
                                           "Maria Silva", "maria@example.com")
    maria.say(conversation, "Do you have a discount\nfor teams?")
    # A visitor who gives no name writes from the launcher.
    nameless = Customer(customers, DEMO_CHANNEL_KEY)
    r = nameless._post("conversations", {"visitor_id": nameless.visitor_id,
                                         "client_id": new_id("c"), "message": "Anyone there?"})
    assert r.status_code == 201, r.text
    ref = ticket_of(site, r.json()["conversation_id"])["visitor_ref"]

    page.clock.install()
    agent_in(page, site.base, locale)
    first = row(page, "Maria Silva")
    expect(first).to_contain_text("maria@example.com")
    expect(first.locator(".aw-row-preview")).to_have_text("Do you have a discount for teams?")
    expect(first.locator(".aw-unread")).to_have_text(w["unread"])  # words, not a colour only
    expect(first.locator(".aw-row-waiting")).to_have_text(w["waiting_now"])
    other = row(page, w["visitor"].format(ref=ref))
    expect(other.locator(".aw-row-name")).to_have_text(w["visitor"].format(ref=ref))
    expect(other.locator(".aw-row-preview")).to_have_text("Anyone there?")
    expect(other.locator(".aw-unread")).to_have_text(w["unread"])

    # The waiting time moves on by itself. The page counts on the server's clock (which it
    # knows to the second, from its answers): both move on together.
    def time_passes(delta: timedelta) -> None:
        clock.shift_to(utcnow() + delta)
        page.clock.fast_forward(int(delta.total_seconds() * 1000))

    time_passes(timedelta(minutes=5, seconds=1))
    expect(first.locator(".aw-row-waiting")).to_have_text(w["waiting_5"])
    time_passes(timedelta(hours=2))
    expect(first.locator(".aw-row-waiting")).to_have_text(w["waiting_2h"])

    # An agent answers: nobody waits, nothing is unread, and the preview says who wrote it.
    r = site.api.post(f"/api/v1/tickets/{ticket}/messages",
                      json={"client_id": new_id("r"), "body": "Yes: 20% off from 5 seats."})
    assert r.status_code == 201, r.text
    expect(first.locator(".aw-row-preview")).to_have_text(
        f"{w['agent']}: Yes: 20% off from 5 seats.")
    expect(first.locator(".aw-unread")).to_have_count(0)
    expect(first.locator(".aw-row-waiting")).to_have_count(0)
    expect(other.locator(".aw-unread")).to_have_count(1)

    # She writes again: unread and waiting once more, from that message on.
    maria.say(conversation, "Great, thanks!")
    expect(first.locator(".aw-unread")).to_have_text(w["unread"])
    expect(first.locator(".aw-row-waiting")).to_have_text(w["waiting_now"])


# -- views and search -----------------------------------------------------------------------


@pytest.fixture
def three(site: DemoSite, customers) -> dict[str, int]:
    """Maria (the demo agent's, tagged billing), João (nobody's, tagged vip), Ana (solved)."""
    message = pricing_message(site)
    tickets = {name: reply_to(site, customers, message, name, email)[2] for name, email in (
        ("Maria Silva", "maria@example.com"), ("João Souza", "joao@shop.example"),
        ("Ana Costa", "ana@example.org"))}
    agent_id = next(u["id"] for u in site.api.get("/api/v1/users").json()
                    if u["email"] == DEMO_AGENT_EMAIL)
    for name, patch in (("Maria Silva", {"assignee_id": agent_id, "tags": ["billing"]}),
                        ("João Souza", {"tags": ["vip"]}), ("Ana Costa", {"status": "solved"})):
        r = site.api.patch(f"/api/v1/tickets/{tickets[name]}", json=patch)
        assert r.status_code == 200, r.text
    return tickets


def names(page: Page):
    return page.locator("#aw-queue-list .aw-row-name")


@LOCALES
def test_views_switch_with_their_counts(page: Page, site: DemoSite, three, locale):
    w = WORDS[locale]
    agent_in(page, site.base, locale)
    expect(tab(page, w, "open")).to_have_attribute("aria-selected", "true")
    expect(names(page)).to_have_text(["João Souza", "Maria Silva"])
    expect(page.locator("#aw-queue-count")).to_have_text(w["count_open"])
    for view, count in (("mine", "1"), ("unassigned", "1"), ("open", "2"), ("solved", "1")):
        expect(tab(page, w, view).locator(".aw-view-count")).to_have_text(count)

    tab(page, w, "mine").click()
    expect(tab(page, w, "mine")).to_have_attribute("aria-selected", "true")
    expect(tab(page, w, "open")).to_have_attribute("aria-selected", "false")
    expect(names(page)).to_have_text(["Maria Silva"])
    expect(page.locator("#aw-queue-count")).to_have_text(w["count_mine"])

    # From the keyboard: the arrow keys move between the views and choose.
    tab(page, w, "mine").focus()
    page.keyboard.press("ArrowRight")
    expect(tab(page, w, "unassigned")).to_be_focused()
    expect(names(page)).to_have_text(["João Souza"])
    expect(page.locator("#aw-queue-count")).to_have_text(w["count_unassigned"])
    page.keyboard.press("End")
    expect(tab(page, w, "solved")).to_be_focused()
    expect(names(page)).to_have_text(["Ana Costa"])
    expect(page.locator("#aw-queue-count")).to_have_text(w["count_solved"])

    # The view chosen is the one shown after a reload.
    page.reload()
    expect(tab(page, w, "solved")).to_have_attribute("aria-selected", "true")
    expect(names(page)).to_have_text(["Ana Costa"])

    # A ticket that changes moves between the views live.
    r = site.api.patch(f"/api/v1/tickets/{three['João Souza']}", json={"status": "solved"})
    assert r.status_code == 200, r.text
    expect(names(page)).to_have_text(["Ana Costa", "João Souza"])  # latest activity first
    expect(tab(page, w, "solved").locator(".aw-view-count")).to_have_text("2")
    expect(tab(page, w, "unassigned").locator(".aw-view-count")).to_have_text("0")


@LOCALES
def test_search_by_name_and_by_tag(page: Page, site: DemoSite, three, locale):
    w = WORDS[locale]
    agent_in(page, site.base, locale)
    expect(names(page)).to_have_count(2)
    search = page.get_by_role("search").get_by_label(w["search"])

    search.fill("joão")
    expect(names(page)).to_have_text(["João Souza"])
    expect(page.locator("#aw-queue-count")).to_have_text(w["count_found"])
    expect(tab(page, w, "open").locator(".aw-view-count")).to_have_text("1")
    search.fill("SILVA")
    expect(names(page)).to_have_text(["Maria Silva"])
    search.fill("shop.example")  # an email
    expect(names(page)).to_have_text(["João Souza"])

    search.fill("billing")  # a tag
    search.press("Enter")
    expect(names(page)).to_have_text(["Maria Silva"])
    expect(tab(page, w, "mine").locator(".aw-view-count")).to_have_text("1")
    expect(tab(page, w, "unassigned").locator(".aw-view-count")).to_have_text("0")

    # The search holds in every view.
    search.fill("costa")
    expect(page.locator("#aw-queue-empty")).to_be_visible()
    tab(page, w, "solved").click()
    expect(names(page)).to_have_text(["Ana Costa"])

    search.fill("nobody")
    expect(names(page)).to_have_count(0)
    expect(page.locator("#aw-queue-empty")).to_have_text(w["empty_found"])

    # Escape clears the search.
    search.press("Escape")
    expect(search).to_have_value("")
    expect(names(page)).to_have_text(["Ana Costa"])
    tab(page, w, "open").click()
    expect(names(page)).to_have_count(2)


@LOCALES
def test_solved_grows_a_page_at_a_time(app, page: Page, site: DemoSite, locale):
    from tests import rows

    w = WORDS[locale]
    ids = rows.tickets(app.state.db.unit_of_work, 60, status=lambda i: "solved")
    agent_in(page, site.base, locale)
    tab(page, w, "solved").click()
    listed = page.locator("#aw-queue-list a")
    expect(listed).to_have_count(50)
    expect(page.locator("#aw-queue-count")).to_have_text(w["count_60"])
    expect(tab(page, w, "solved").locator(".aw-view-count")).to_have_text("60")
    more = page.get_by_role("button", name=w["more"])
    more.click()
    expect(listed).to_have_count(60)
    expect(more).to_be_hidden()
    expect(listed.nth(50)).to_be_focused()  # where the new page starts
    expect(listed.last).to_have_attribute("data-ticket", str(ids[0]))  # the oldest, last


# -- the ticket -----------------------------------------------------------------------------


@LOCALES
def test_the_proactive_message_is_shown_formatted_as_the_customer_saw_it(
        page: Page, site: DemoSite, customers, locale):
    w = WORDS[locale]
    message = pricing_message(
        site, "Need **help**, {{first_name}}? See [our plans](https://shop.example/pricing) "
              "*today*.")
    _customer, _conversation, ticket = reply_to(site, customers, message, "Maria Silva",
                                                "maria@example.com")
    agent_in(page, site.base, locale, f"/agent#ticket-{ticket}")
    shown = page.locator("#aw-pm-text")
    # Her name was not known when the bubble was shown: the placeholder went, with its comma.
    expect(shown).to_have_text("Need help? See our plans today.")
    expect(page.locator("#aw-pm-seen")).to_have_text(w["seen"])
    expect(shown.locator("strong")).to_have_text("help")
    expect(shown.locator("em")).to_have_text("today")
    link = shown.get_by_role("link", name="our plans")
    expect(link).to_have_attribute("href", "https://shop.example/pricing")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(shown.locator("*")).to_have_count(3)  # nothing else was made of the text
    # The conversation keeps it as the plain text it was.
    expect(page.locator("#aw-messages > li").first.locator(".aw-msg-body")).to_have_text(
        "Need help? See our plans today.")


@LOCALES
def test_a_solved_ticket_takes_no_reply_until_reopened(page: Page, site: DemoSite, customers,
                                                       locale):
    w = WORDS[locale]
    _customer, _conversation, ticket = reply_to(site, customers, pricing_message(site),
                                                "Maria Silva", "maria@example.com")
    agent_in(page, site.base, locale, f"/agent#ticket-{ticket}")
    draft = page.get_by_label(w["reply"], exact=True)
    expect(draft).to_be_enabled()
    draft.fill("Kept while solved")

    page.get_by_label(w["status"]).select_option("solved")
    solved = page.locator("#aw-solved")
    expect(solved).to_contain_text(w["solved_text"])
    expect(draft).to_be_disabled()
    expect(page.get_by_role("button", name=w["send"])).to_be_disabled()
    expect(draft).to_have_value("Kept while solved")
    expect(draft).to_have_attribute("aria-describedby", re.compile(r"\baw-solved-text\b"))

    solved.get_by_role("button", name=w["reopen"]).click()
    expect(draft).to_be_enabled()
    expect(draft).to_be_focused()
    expect(solved).to_be_hidden()
    expect(page.get_by_label(w["status"])).to_have_value("open")
    assert site.api.get(f"/api/v1/tickets/{ticket}").json()["status"] == "open"
    draft.press("Enter")
    mine = page.locator("#aw-messages .aw-msg-agent:not(.aw-msg-pending) .aw-msg-body")
    expect(mine).to_have_text("Kept while solved")


@LOCALES
def test_a_tag_with_a_space_is_refused_with_the_reason(page: Page, site: DemoSite, customers,
                                                       locale):
    w = WORDS[locale]
    _customer, _conversation, ticket = reply_to(site, customers, pricing_message(site),
                                                "Maria Silva", "maria@example.com")
    agent_in(page, site.base, locale, f"/agent#ticket-{ticket}")
    tags = page.get_by_label(w["tags"], exact=True)
    error = page.locator("#aw-tags-error")
    expect(tags).to_have_value("pricing")

    tags.fill("pricing, vip customer")
    tags.press("Enter")
    expect(error).to_have_text(w["space"])
    expect(tags).to_have_attribute("aria-invalid", "true")
    expect(tags).to_have_attribute("aria-describedby", re.compile(r"\baw-tags-error\b"))
    expect(tags).to_be_focused()
    expect(tags).to_have_value("pricing, vip customer")  # as typed, to be fixed
    expect(page.locator("#aw-tag-chips li")).to_have_text(["pricing"])  # nothing was split
    assert site.api.get(f"/api/v1/tickets/{ticket}").json()["tags"] == ["pricing"]

    # What the server refuses is said beside the field too, in its words.
    tags.fill("pricing, not/okay")
    page.get_by_role("button", name=w["save_tags"]).click()
    expect(error).to_contain_text(w["server_tag"])
    expect(page.locator("#aw-ticket-state")).to_contain_text(w["not_saved"])

    tags.fill("pricing, vip-customer")
    tags.press("Enter")
    expect(page.locator("#aw-tag-chips li")).to_have_text(["pricing", "vip-customer"])
    expect(error).to_be_hidden()
    expect(tags).not_to_have_attribute("aria-invalid", "true")
    assert site.api.get(f"/api/v1/tickets/{ticket}").json()["tags"] == ["pricing",
                                                                         "vip-customer"]
