"""Bots in the widget, in a real browser, against the real server (docs/widget-protocol.md,
"Bots"): a bot-response bubble runs its answer, the launcher runs the greeting, a handoff turns
into the usual conversation, an end closes the run, a reload picks the run up where it was.

The bot and the proactive message are set up over the REST API as the admin; the customer is
the widget on the demo site; the agent's side is read over the API and on /agent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from overture.demo.service import DEMO_ADMIN_PASSWORD, DEMO_AGENT_EMAIL
from tests.e2e import widget_helpers
from tests.e2e.conftest import sign_in
from tests.e2e.widget_helpers import (
    DemoSite,
    agent_says,
    bubble,
    eventually,
    goto,
    launcher,
    messenger,
    new_page,
    set_channel,
    totals,
)

site = widget_helpers.site

AVATAR = "https://cdn.example.com/ada.png"
RUN = "overture:run:demo-widget"
STORE = "overture:conversation:demo-widget"
HOSTILE = '<img src=x onerror="window.__pwned = 1">Pricing'

# message → options [Pricing → collect email → handoff (sales)], [Support → end]
SALES = [
    {"id": "hello", "type": "message", "text": "I am Ada, the Acme bot.", "next": "menu"},
    {"id": "menu", "type": "options", "text": "What brings you here?",
     "options": [{"label": "Pricing", "next": "email"}, {"label": "Support", "next": "bye"}]},
    {"id": "email", "type": "collect", "text": "What is your email?", "field": "email",
     "next": "handoff"},
    {"id": "handoff", "type": "handoff", "text": "Passing you to our sales team.",
     "tags": ["sales"]},
    {"id": "bye", "type": "end", "text": "Glad to help. Bye!"},
]
GREETING = [
    {"id": "hi", "type": "options", "text": "Hello! How can Ada help?",
     "options": [{"label": "Just looking", "next": "bye"}, {"label": "Talk to sales",
                                                          "next": "name"}]},
    {"id": "name", "type": "collect", "text": "Who are we talking to?", "field": "name",
     "next": "handoff"},
    {"id": "handoff", "type": "handoff", "text": "One moment, please.", "tags": ["greeted"]},
    {"id": "bye", "type": "end", "text": "Enjoy your visit!"},
]
TEXT = "Looking at our plans?"


# -- setup -----------------------------------------------------------------------------------


def make_bot(site: DemoSite, steps: list[dict] | None = None, *,
             greeting: list[dict] | None = None) -> dict:
    """A published bot named Ada with the answer `steps` (and a greeting), connected to the demo
    channel; returns {"bot": …, "answer": …}."""
    made = site.api.post("/api/v1/bots", json={"brand_id": site.brand_id, "name": "Ada",
                                               "avatar_url": AVATAR})
    assert made.status_code == 201, made.text
    bot = made.json()
    answer = site.api.post(f"/api/v1/bots/{bot['id']}/answers",
                           json={"name": "Sales", "steps": steps or SALES})
    assert answer.status_code == 201, answer.text
    if greeting:
        hello = site.api.post(f"/api/v1/bots/{bot['id']}/answers",
                              json={"name": "Greeting", "steps": greeting})
        assert hello.status_code == 201, hello.text
        patched = site.api.patch(f"/api/v1/bots/{bot['id']}",
                                 json={"greeting_answer_id": hello.json()["id"]})
        assert patched.status_code == 200, patched.text
    published = site.api.post(f"/api/v1/bots/{bot['id']}/publish")
    assert published.status_code == 200, published.text
    set_channel(site, bot_id=bot["id"])
    return {"bot": published.json(), "answer": answer.json()}


def bot_message(site: DemoSite, made: dict, text: str = TEXT) -> dict:
    """A live proactive message on page load, answered by the bot's answer, tagged promo."""
    return site.live_message(text, tags=["promo"], frequency="once_per_visit", response={
        "type": "bot", "bot_id": made["bot"]["id"], "answer_id": made["answer"]["id"]})


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = customer_page(browser)
    yield page
    page.context.close()


def customer_page(browser: Browser, **options: Any) -> Page:
    """A demo-site page (shadow root open) whose host listens to the widget's events; the bot's
    avatar is served without the network."""
    page = new_page(browser, **options)
    page.context.route(AVATAR, lambda route: route.fulfill(status=200, content_type="image/png",
                                                           body=b""))
    page.add_init_script("""
        window.Overture = window.Overture || function () {
          (Overture.q = Overture.q || []).push(arguments) };
        window.started = [];
        Overture('on', 'conversationStarted', function (m) { started.push(m); });
    """)
    return page


def events_sent(page: Page) -> list[str]:
    kinds: list[str] = []
    page.on("request", lambda r: kinds.append(r.post_data_json["kind"])
            if r.url.endswith("/events") else None)
    return kinds


def open_bubble(page: Page, site: DemoSite, text: str = TEXT) -> dict:
    """Load the demo page and click the bot's bubble; the page view's decision."""
    decision = goto(page, site.url("/demo"))
    bubble(page).get_by_role("button", name=text).click()
    return decision


def choices(page: Page):
    return messenger(page).get_by_role("group")


def ticket_of(site: DemoSite, message_id: int | None = None) -> dict:
    def find():
        return [t for t in site.api.get("/api/v1/tickets").json()
                if message_id is None or t["proactive_message_id"] == message_id]
    found = eventually(find)
    assert len(found) == 1
    detail = site.api.get(f"/api/v1/tickets/{found[0]['id']}")
    assert detail.status_code == 200, detail.text
    return detail.json()


def said(ticket: dict) -> list[tuple[str, str]]:
    return [(m["author"], m["body"]) for m in ticket["messages"]]



def lines(page: Page):
    """The messenger's messages as their text alone (no sender line)."""
    return messenger(page).locator(".msg > div:last-child")


def stored(page: Page, key: str) -> Any:
    return page.evaluate("k => JSON.parse(localStorage.getItem(k))", key)


def counted(site: DemoSite, message_id: int, **expected: int) -> None:
    """The message's totals reach `expected` (events and replies are counted in the
    background)."""
    eventually(lambda: {k: totals(site, message_id)[k] for k in expected} == expected)


# -- a bot response, from the bubble to an agent ---------------------------------------------


def test_a_bot_bubble_runs_its_answer_from_the_keyboard_to_an_agent(
        page: Page, site: DemoSite, browser: Browser):
    made = make_bot(site)
    message = bot_message(site, made)
    sent = events_sent(page)

    decision = goto(page, site.url("/demo"))
    assert decision["show"]["sender"] == {"name": "Ada", "avatar_url": AVATAR, "kind": "bot"}
    card = bubble(page)
    expect(card.locator(".who")).to_have_text("Ada")
    expect(card.locator(".who img")).to_have_attribute("src", AVATAR)
    card.get_by_role("button", name=TEXT).click()

    # The message is the bot's first line; the answer's lines follow, then its buttons.
    dialog = messenger(page)
    menu = dialog.get_by_role("group", name="What brings you here?")
    expect(menu.get_by_role("button")).to_have_text(["Pricing", "Support"])
    expect(menu.get_by_role("button", name="Pricing")).to_be_focused()
    expect(lines(page)).to_have_text([TEXT, "I am Ada, the Acme bot.", "What brings you here?"])
    expect(dialog.locator(".msg .who")).to_have_text(["Ada"] * 3)
    expect(dialog.locator(".msg .who img").first).to_have_attribute("src", AVATAR)

    # From the keyboard: along the buttons and back, Enter on the one chosen.
    page.keyboard.press("Tab")
    expect(menu.get_by_role("button", name="Support")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(menu).to_have_count(0)
    email = dialog.get_by_role("textbox", name="What is your email?")
    expect(email).to_be_focused()
    expect(email).to_have_attribute("type", "email")
    expect(email).to_have_attribute("autocomplete", "email")
    expect(lines(page)).to_have_text([TEXT, "I am Ada, the Acme bot.", "What brings you here?",
                                      "Pricing", "What is your email?"])
    expect(dialog.locator(".msg.visitor")).to_have_text("You: Pricing")

    # Not an email: said beside the field, which keeps the focus; then the server's own
    # check (a reserved domain), then a good one, each sent with Enter.
    page.keyboard.type("not-an-email")
    page.keyboard.press("Enter")
    expect(dialog.get_by_text("Please enter a valid email")).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    email.fill("ana@desert.test")
    page.keyboard.press("Enter")
    expect(dialog.get_by_text("Enter a valid email address, like name@example.com.")) \
        .to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    email.fill("ana@example.com")
    page.keyboard.press("Enter")

    # Handed off: the usual conversation, the bot's transcript first, the composer ready.
    composer = dialog.get_by_role("textbox", name="Write a message…")
    expect(composer).to_be_focused()
    ticket = ticket_of(site, message["id"])
    assert sorted(ticket["tags"]) == ["promo", "sales"]
    assert ticket["requester_email"] == "ana@example.com"
    transcript = [("bot", TEXT), ("bot", "I am Ada, the Acme bot."),
                  ("bot", "What brings you here?"), ("customer", "Pricing"),
                  ("bot", "What is your email?"), ("customer", "ana@example.com"),
                  ("bot", "Passing you to our sales team.")]
    assert [m for m in said(ticket) if m[0] != "system"] == transcript
    expect(lines(page)).to_have_text([body for _author, body in transcript])
    expect(dialog.locator(".msg.visitor")).to_have_text(["You: Pricing", "You: ana@example.com"])
    assert page.evaluate("started") == [{
        "messageId": message["id"], "deliveryId": decision["show"]["delivery_id"],
        "conversationId": ticket["conversation_id"]}]
    assert stored(page, RUN) is None
    assert stored(page, STORE)["id"] == ticket["conversation_id"]

    # The conversation is live both ways.
    agent_says(site, ticket["id"], "Hi Ana, here are our prices.")
    expect(lines(page).last).to_have_text("Hi Ana, here are our prices.")
    composer.fill("Thanks!")
    page.keyboard.press("Enter")
    eventually(lambda: said(ticket_of(site, message["id"]))[-1] == ("customer", "Thanks!"))

    # Replied once, counted by the server; the widget reported only the click.
    counted(site, message["id"], sent=1, opened=1, replied=1, dismissals=0)
    assert sent == ["opened"]

    # The agent sees the bot's lines, each labelled as the bot's.
    agent = browser.new_page()
    try:
        sign_in(agent, site.base, DEMO_AGENT_EMAIL, DEMO_ADMIN_PASSWORD)
        agent.goto(f"{site.base}/agent#ticket-{ticket['id']}")
        items = agent.locator("#aw-messages > li:not(.aw-msg-system)")
        expect(items.locator(".aw-msg-author")).to_have_text(
            ["Bot", "Bot", "Bot", "Customer", "Bot", "Customer", "Bot", "Agent", "Customer"])
        expect(items.first).to_have_class(re.compile(r"\baw-msg-bot\b"))
        expect(items.first.locator(".aw-msg-body")).to_have_text(TEXT)
        expect(agent.locator("#aw-tag-chips li")).to_have_text(["promo", "sales"])
    finally:
        agent.context.close()


def test_closing_before_the_first_answer_dismisses_the_message(page: Page, site: DemoSite):
    made = make_bot(site)
    message = bot_message(site, made)
    sent = events_sent(page)
    open_bubble(page, site)
    expect(choices(page)).to_be_visible()
    assert stored(page, RUN) > 0
    page.keyboard.press("Escape")
    expect(messenger(page)).to_be_hidden()
    counted(site, message["id"], opened=1, dismissals=1, replied=0)
    assert sent == ["opened", "dismissed"]
    assert stored(page, RUN) is None

    # The run is let go: the launcher (the bot has no greeting) offers to write, as always.
    launcher(page).click()
    expect(messenger(page).get_by_role("textbox", name="Write a message…")).to_be_focused()
    expect(messenger(page).locator(".msg")).to_have_count(0)


def test_the_support_path_ends_and_the_launcher_starts_afresh(page: Page, site: DemoSite):
    made = make_bot(site)
    message = bot_message(site, made)
    sent = events_sent(page)
    open_bubble(page, site)
    dialog = messenger(page)
    dialog.get_by_role("button", name="Support").click()

    expect(lines(page)).to_have_text([TEXT, "I am Ada, the Acme bot.", "What brings you here?",
                                      "Support", "Glad to help. Bye!"])
    expect(dialog.locator(".note")).to_have_text("The conversation has ended")
    expect(choices(page)).to_have_count(0)
    expect(dialog.get_by_role("textbox")).to_have_count(0)
    counted(site, message["id"], opened=1, replied=1, dismissals=0)
    assert stored(page, RUN) is None
    assert site.api.get("/api/v1/tickets").json() == []

    # Closed after an answer: no dismissal. The launcher then starts afresh (no greeting: the
    # composer), on this page and after a reload.
    dialog.get_by_role("button", name="Close").click()
    launcher(page).click()
    expect(dialog.get_by_role("textbox", name="Write a message…")).to_be_focused()
    expect(dialog.locator(".msg")).to_have_count(0)
    goto(page, site.url("/demo"))
    launcher(page).click()
    expect(dialog.get_by_role("textbox", name="Write a message…")).to_be_focused()
    expect(dialog.locator(".msg, .note")).to_have_count(1)  # the word of welcome alone
    assert sent == ["opened"]
    assert page.evaluate("started") == []


def test_the_launcher_runs_the_greeting(page: Page, site: DemoSite):
    make_bot(site, greeting=GREETING)
    sent = events_sent(page)
    goto(page, site.url("/demo"))
    launcher(page).click()

    dialog = messenger(page)
    hello = dialog.get_by_role("group", name="Hello! How can Ada help?")
    expect(hello.get_by_role("button", name="Just looking")).to_be_focused()
    expect(lines(page)).to_have_text(["Hello! How can Ada help?"])
    expect(dialog.locator(".msg .who")).to_have_text("Ada")
    expect(dialog.locator(".msg .who img")).to_have_attribute("src", AVATAR)
    expect(dialog.get_by_role("textbox")).to_have_count(0)

    # An ended greeting: the launcher later greets again, from the start.
    page.keyboard.press("Enter")
    expect(dialog.locator(".note")).to_have_text("The conversation has ended")
    expect(lines(page)).to_have_text(["Hello! How can Ada help?", "Just looking",
                                      "Enjoy your visit!"])
    launcher(page).click()
    expect(dialog).to_be_hidden()
    launcher(page).click()
    expect(hello.get_by_role("button", name="Just looking")).to_be_focused()
    expect(lines(page)).to_have_text(["Hello! How can Ada help?"])

    hello.get_by_role("button", name="Talk to sales").click()
    name = dialog.get_by_role("textbox", name="Who are we talking to?")
    expect(name).to_be_focused()
    expect(name).to_have_attribute("autocomplete", "name")
    name.fill("Ana Lima")
    page.keyboard.press("Enter")

    expect(dialog.get_by_role("textbox", name="Write a message…")).to_be_focused()
    ticket = ticket_of(site)
    assert ticket["tags"] == ["greeted"]
    assert ticket["requester_name"] == "Ana Lima"
    assert [m for m in said(ticket) if m[0] != "system"] == [
        ("bot", "Hello! How can Ada help?"), ("customer", "Talk to sales"),
        ("bot", "Who are we talking to?"), ("customer", "Ana Lima"),
        ("bot", "One moment, please.")]
    expect(lines(page)).to_have_count(5)
    assert [s["conversationId"] for s in page.evaluate("started")] == [ticket["conversation_id"]]
    assert sent == []


def test_without_a_greeting_the_launcher_opens_the_composer(page: Page, site: DemoSite):
    make_bot(site)
    goto(page, site.url("/demo"))
    launcher(page).click()
    expect(messenger(page).get_by_role("textbox", name="Write a message…")).to_be_focused()
    expect(messenger(page).locator(".msg")).to_have_count(0)


def test_another_page_resumes_the_run_at_the_same_prompt(page: Page, site: DemoSite):
    made = make_bot(site)
    message = bot_message(site, made)
    open_bubble(page, site)
    dialog = messenger(page)
    dialog.get_by_role("button", name="Pricing").click()
    expect(dialog.get_by_role("textbox", name="What is your email?")).to_be_focused()
    run_id = stored(page, RUN)
    assert run_id > 0

    goto(page, site.url("/demo/pricing"))
    expect(bubble(page)).to_have_count(0)
    launcher(page).click()
    email = dialog.get_by_role("textbox", name="What is your email?")
    expect(email).to_be_focused()
    expect(lines(page)).to_have_text([TEXT, "I am Ada, the Acme bot.", "What brings you here?",
                                      "Pricing", "What is your email?"])
    assert stored(page, RUN) == run_id
    email.fill("ana@example.com")
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("textbox", name="Write a message…")).to_be_focused()
    ticket = ticket_of(site, message["id"])
    assert sorted(ticket["tags"]) == ["promo", "sales"]
    counted(site, message["id"], opened=1, replied=1, dismissals=0)

    # The conversation, not the run, is what the next page opens.
    goto(page, site.url("/demo"))
    launcher(page).click()
    expect(dialog.get_by_role("textbox", name="Write a message…")).to_be_focused()
    expect(lines(page)).to_have_count(len([m for m in said(ticket) if m[0] != "system"]))


def test_a_step_answered_in_another_tab_brings_the_run_as_it_stands(page: Page,
                                                                    site: DemoSite):
    made = make_bot(site)
    message = bot_message(site, made)
    open_bubble(page, site)
    expect(choices(page)).to_be_visible()
    other = page.context.new_page()
    goto(other, site.url("/demo/pricing"))
    launcher(other).click()
    expect(choices(other).get_by_role("button", name="Pricing")).to_be_focused()

    # Pricing here; Support, still on screen there, comes too late: the other tab shows the
    # run as the server has it (Pricing, then the email it asks for), not its own choice.
    choices(page).get_by_role("button", name="Pricing").click()
    expect(messenger(page).get_by_role("textbox", name="What is your email?")).to_be_focused()
    with other.expect_response(lambda r: "/answers" in r.url) as refused:
        choices(other).get_by_role("button", name="Support").click()
    assert refused.value.status == 409
    expect(messenger(other).get_by_role("textbox", name="What is your email?")).to_be_focused()
    expect(lines(other)).to_have_text([TEXT, "I am Ada, the Acme bot.", "What brings you here?",
                                       "Pricing", "What is your email?"])
    counted(site, message["id"], opened=1, replied=1, replies=1)


def test_in_portuguese_a_custom_answer_then_the_end(browser: Browser, site: DemoSite):
    made = make_bot(site, [
        {"id": "company", "type": "collect", "text": "Qual é a sua empresa?", "field": "custom",
         "attribute": "company", "next": "bye"},
        {"id": "bye", "type": "end", "text": "Obrigado!"},
    ])
    bot_message(site, made)
    page = customer_page(browser, locale="pt-BR")
    try:
        open_bubble(page, site)
        dialog = messenger(page)
        company = dialog.get_by_role("textbox", name="Qual é a sua empresa?")
        expect(company).to_be_focused()
        expect(company).to_have_attribute("type", "text")
        expect(company).to_have_attribute("autocomplete", "off")
        dialog.get_by_role("button", name="Enviar").click()
        expect(dialog.get_by_text("Escreva sua resposta")).to_be_visible()
        expect(company).to_have_attribute("aria-invalid", "true")
        expect(company).to_be_focused()
        company.fill("Acme Ltda")
        page.keyboard.press("Enter")
        expect(dialog.locator(".note")).to_have_text("A conversa foi encerrada")
        expect(lines(page)).to_have_text([TEXT, "Qual é a sua empresa?", "Acme Ltda", "Obrigado!"])
    finally:
        page.context.close()


def test_script_in_the_bot_s_words_shows_as_text(page: Page, site: DemoSite):
    made = make_bot(site, [
        {"id": "menu", "type": "options", "text": "<b>Pick</b> one",
         "options": [{"label": HOSTILE, "next": "bye"}, {"label": "Other", "next": "bye"}]},
        {"id": "bye", "type": "end", "text": "<script>window.__pwned = 2</script>Bye"},
    ])
    bot_message(site, made)
    open_bubble(page, site)
    dialog = messenger(page)
    button = dialog.get_by_role("group", name="<b>Pick</b> one").get_by_role("button").first
    expect(button).to_have_text(HOSTILE)
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(lines(page)).to_have_text([TEXT, "<b>Pick</b> one", HOSTILE,
                                      "<script>window.__pwned = 2</script>Bye"])
    expect(dialog.locator("b, script, img[src=x]")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None


def test_on_a_phone_the_choices_fill_the_screen_and_are_easy_to_tap(browser: Browser,
                                                                    site: DemoSite):
    made = make_bot(site)
    message = bot_message(site, made)
    page = customer_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True,
                         has_touch=True, device_scale_factor=3)
    try:
        open_bubble(page, site)
        dialog = messenger(page)
        expect(choices(page)).to_be_visible()
        assert dialog.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
        buttons = choices(page).get_by_role("button")
        expect(buttons).to_have_count(2)
        for i in range(2):
            box = buttons.nth(i).bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44, box
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        buttons.first.tap()
        email = dialog.get_by_role("textbox", name="What is your email?")
        expect(email).to_be_focused()
        assert email.evaluate("e => getComputedStyle(e).fontSize") == "16px"
        send = dialog.get_by_role("button", name="Send")
        assert send.bounding_box()["height"] >= 44
        email.fill("ana@example.com")
        send.tap()
        expect(dialog.get_by_role("textbox", name="Write a message…")).to_be_visible()
        assert sorted(ticket_of(site, message["id"])["tags"]) == ["promo", "sales"]
    finally:
        page.context.close()
