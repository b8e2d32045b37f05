"""The widget's live conversation, in a real browser, against the real server.

The customer's side is the widget on the demo site; the agent's side is driven over the REST
API (`POST /api/v1/tickets/{id}/messages`, `PATCH /api/v1/tickets/{id}`) with the admin token
of the `site` fixture.

Pages come from this module's own Chromium, started with Local Network Access checks off:
`open_shadow` serves the demo page through `route.fulfill`, and Chromium then no longer
counts the page as loopback, so it blocks the widget's WebSocket to 127.0.0.1 (net::
ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS). Plain fetches are not affected, which is why the
other widget tests pass with the shared browser.

Socket drops are made with Playwright's WebSocket routing (`page.route_web_socket`): every
widget socket goes through a proxy the test controls, which can cut live sockets and refuse
new ones while the HTTP API keeps working. The widget needs no test hook for that, and the
production code path (close → backoff → reconnect with `after=<last id>`) is the one tested.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Dialog, Page, WebSocketRoute, expect

from tests.e2e import widget_helpers
from tests.e2e.widget_helpers import (
    DemoSite,
    agent_says,
    bodies,
    bubble,
    eventually,
    goto,
    launcher,
    log_texts,
    messenger,
    new_page,
    no_bubble,
)

site = widget_helpers.site
page = widget_helpers.page

STORE = "overture:conversation:demo-widget"
FORM = {"type": "agent", "collect": ["name", "email"],
        "follow_up": "Thanks! An engineer will write back here."}
FIRST_MESSAGE = {"type": "agent", "collect": [], "follow_up": "Thanks!"}


# -- browser and helpers ---------------------------------------------------------------------


def ticket_of(site: DemoSite, message_id: int) -> dict:
    """The ticket started by a proactive message, with its messages."""
    def find():
        tickets = site.api.get("/api/v1/tickets").json()
        return [t for t in tickets if t["proactive_message_id"] == message_id]
    found = eventually(find)
    assert len(found) == 1
    detail = site.api.get(f"/api/v1/tickets/{found[0]['id']}")
    assert detail.status_code == 200, detail.text
    return detail.json()


def no_dialogs(page: Page) -> list[str]:
    """Every dialog (alert, confirm…) the page opens is recorded and dismissed."""
    opened: list[str] = []

    def seen(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    return opened


def start_by_first_message(page: Page, site: DemoSite, text: str, first: str) -> dict:
    """Publish a message without data collection, open it and write `first`; the ticket."""
    message = site.live_message(text, response=FIRST_MESSAGE)
    goto(page, site.url("/demo"))
    bubble(page).get_by_role("button", name=text).click()
    box = messenger(page).get_by_role("textbox", name="Write a message…")
    box.fill(first)
    box.press("Enter")
    expect(messenger(page).locator(".msg.visitor")).to_have_text([re.compile(re.escape(first))])
    ticket = ticket_of(site, message["id"])
    expect(messenger(page).locator(".msg[data-id]")).to_have_count(len(ticket["messages"]))
    return ticket


# -- starting --------------------------------------------------------------------------------


def test_the_data_form_starts_a_conversation_and_a_ticket_with_the_tags(
        page: Page, site: DemoSite):
    message = site.live_message("Want a quote for **anvils**?", response=FORM,
                                tags=["pricing", "lead:web"], frequency="once_per_visit")
    page.add_init_script("""
        window.Overture = window.Overture || function () { (Overture.q = Overture.q || []).push(arguments) };
        window.started = [];
        Overture('on', 'conversationStarted', function (m) { started.push(m); });
    """)
    events: list[str] = []
    page.on("request", lambda r: events.append(r.post_data_json["kind"])
            if r.url.endswith("/events") else None)

    decision = goto(page, site.url("/demo/pricing"))
    bubble(page).get_by_role("button", name="Want a quote for anvils?").click()
    dialog = messenger(page)
    dialog.get_by_label("Your name").fill("Wile E. Coyote")
    dialog.get_by_label("Your email").fill("wile@example.com")
    dialog.get_by_role("button", name="Send").click()

    # The server's messages replace the optimistic ones: the message (with its formatting),
    # the customer's details, the follow-up.
    expect(dialog.locator(".msg")).to_have_count(3)
    items = dialog.locator(".msg")
    expect(items.nth(0)).to_contain_text("Want a quote for anvils?")
    expect(items.nth(0).locator("strong")).to_have_text("anvils")
    expect(items.nth(1)).to_have_class(re.compile(r"\bvisitor\b"))
    expect(items.nth(1)).to_contain_text("Wile E. Coyote, wile@example.com")
    expect(items.nth(2)).to_contain_text("Acme Support")
    expect(items.nth(2)).to_contain_text("Thanks! An engineer will write back here.")
    expect(dialog.get_by_label("Your email")).to_have_count(0)
    expect(dialog.get_by_role("textbox", name="Write a message…")).to_be_focused()

    ticket = ticket_of(site, message["id"])
    assert ticket["tags"] == ["pricing", "lead:web"]
    assert (ticket["requester_name"], ticket["requester_email"]) == (
        "Wile E. Coyote", "wile@example.com")
    assert ticket["status"] == "new"
    assert [m["author"] for m in ticket["messages"]] == ["sender", "customer", "sender"]
    assert dialog.locator(".msg").evaluate_all(
        "items => items.map(i => Number(i.dataset.id))") == [m["id"] for m in ticket["messages"]]

    # The server counted the reply; the widget sends no `replied` event of its own.
    site.wait_for_stats(message["id"], {"sent": 1, "opened": 1, "replied": 1})
    assert events == ["opened"]
    assert page.evaluate("started") == [{
        "messageId": message["id"], "deliveryId": decision["show"]["delivery_id"],
        "conversationId": ticket["conversation_id"]}]
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('{STORE}'))")
    assert stored["id"] == ticket["conversation_id"]
    assert stored["last"] == ticket["messages"][-1]["id"]


def test_the_server_has_the_last_word_on_the_form(page: Page, site: DemoSite):
    site.live_message("Quote?", response=FORM)
    goto(page, site.url("/demo"))
    bubble(page).get_by_role("button", name="Quote?").click()
    dialog = messenger(page)
    dialog.get_by_label("Your name").fill("Road Runner")
    # Well-formed, but the server refuses reserved domains (.test, .local, …).
    dialog.get_by_label("Your email").fill("beep@desert.test")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_text("Please enter a valid email")).to_be_visible()
    expect(dialog.get_by_label("Your email")).to_be_focused()
    expect(dialog.locator(".msg")).to_have_count(1)
    assert site.api.get("/api/v1/tickets").json() == []

    dialog.get_by_label("Your email").fill("beep@example.com")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.locator(".msg")).to_have_count(3)


# -- live ------------------------------------------------------------------------------------


def test_agent_replies_arrive_live_and_the_agent_reads_the_customer(page: Page, site: DemoSite):
    ticket = start_by_first_message(page, site, "Can we help?", "Do you ship to Mars?")
    assert bodies(site, ticket["id"]) == [("sender", "Can we help?"),
                                          ("customer", "Do you ship to Mars?"),
                                          ("sender", "Thanks!")]

    agent_says(site, ticket["id"], "We do, every Tuesday.")
    reply = messenger(page).locator(".msg.agent").last
    expect(reply).to_contain_text("We do, every Tuesday.")
    expect(reply).to_contain_text("Ada Admin")

    box = messenger(page).get_by_role("textbox", name="Write a message…")
    box.fill("Great, one rocket please")
    messenger(page).get_by_role("button", name="Send").click()
    expect(messenger(page).locator(".msg.visitor").last).to_have_text(
        re.compile(r"^You: Great, one rocket please$"))  # stored: no "Sending…" any more
    eventually(lambda: ("customer", "Great, one rocket please") in bodies(site, ticket["id"]))
    assert [b for _, b in bodies(site, ticket["id"])] == [
        "Can we help?", "Do you ship to Mars?", "Thanks!", "We do, every Tuesday.",
        "Great, one rocket please"]
    assert [t.removeprefix("You: ").removeprefix("Acme Support").removeprefix("Ada Admin")
            for t in log_texts(page)] == [b for _, b in bodies(site, ticket["id"])]


def test_the_conversation_follows_the_customer_to_other_pages_and_reloads(
        page: Page, site: DemoSite):
    ticket = start_by_first_message(page, site, "Questions?", "Is the anvil heavy?")
    agent_says(site, ticket["id"], "About 50 kg.")
    expect(messenger(page).locator(".msg.agent").last).to_contain_text("About 50 kg.")
    history = log_texts(page)

    # Another page: no proactive message while the conversation is open; the launcher opens it.
    decision = goto(page, site.url("/demo/pricing"))
    assert decision["show"] is None
    no_bubble(page)
    expect(messenger(page)).to_be_hidden()
    launcher(page).click()
    expect(messenger(page).locator(".log > li")).to_have_count(len(history))
    assert log_texts(page) == history
    expect(messenger(page).get_by_role("textbox", name="Write a message…")).to_be_focused()

    # A reply while the panel is closed: an unread dot, announced to screen readers.
    launcher(page).click()
    expect(messenger(page)).to_be_hidden()
    agent_says(site, ticket["id"], "Shall I reserve one?")
    expect(launcher(page).locator(".dot")).to_be_visible()
    expect(launcher(page)).to_have_accessible_name("Open chat: Questions? Chat with us (New message)")
    news = page.locator("overture-widget .ov > [aria-live]:not([role])")
    expect(news).to_have_text("Ada Admin: Shall I reserve one?")

    # A reload keeps it all, unread dot included; opening reads it.
    page.reload()
    expect(launcher(page).locator(".dot")).to_be_visible()
    launcher(page).click()
    expect(launcher(page).locator(".dot")).to_be_hidden()
    expect(messenger(page).locator(".log > li")).to_have_count(len(history) + 1)
    assert log_texts(page) == [*history, "Ada AdminShall I reserve one?"]
    page.reload()
    launcher(page).click()
    expect(messenger(page).locator(".log > li")).to_have_count(len(history) + 1)
    expect(launcher(page).locator(".dot")).to_be_hidden()

    # And the conversation goes on live on the new page.
    agent_says(site, ticket["id"], "Reserved.")
    expect(messenger(page).locator(".msg.agent").last).to_contain_text("Reserved.")
    expect(messenger(page).locator(".log > li")).to_have_count(len(history) + 2)


def test_html_typed_by_customers_and_agents_shows_as_text(page: Page, site: DemoSite):
    dialogs = no_dialogs(page)
    script = "<script>alert(1)</script>"
    image = "<img src=x onerror=alert(1)>"
    ticket = start_by_first_message(page, site, "Say anything", script)
    agent_says(site, ticket["id"], image)
    log = messenger(page).locator(".log")
    expect(log.locator(".msg.agent").last).to_contain_text(image)
    expect(log.locator(".msg.visitor")).to_contain_text(script)
    assert log.locator("img, script").count() == 0

    page.reload()  # the history, rendered from the server's copy
    launcher(page).click()
    expect(log.locator(".msg.agent").last).to_contain_text(image)
    expect(log.locator(".msg.visitor")).to_contain_text(script)
    assert log.locator("img, script").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


# -- a socket that drops -----------------------------------------------------------------------


class SocketProxy:
    """Every widget socket through the test: cut them, refuse new ones, let them through."""

    def __init__(self, page: Page) -> None:
        self.up = True
        self.urls: list[str] = []
        self.live: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        page.route_web_socket(re.compile(r"/widget/v1/[^/]+/conversations/\d+/ws"), self.route)

    def route(self, ws: WebSocketRoute) -> None:
        self.urls.append(ws.url)
        if not self.up:
            ws.close(code=4000, reason="down")
            return
        self.live.append((ws, ws.connect_to_server()))

    def cut(self) -> None:
        self.up = False
        for page_side, server_side in self.live:
            page_side.close(code=4000, reason="cut")
            server_side.close()
        self.live = []


def after_of(url: str) -> int:
    found = re.search(r"[?&]after=(\d+)", url)
    assert found, url
    return int(found.group(1))


def test_a_dropped_socket_resumes_without_losing_or_repeating_messages(
        page: Page, site: DemoSite):
    proxy = SocketProxy(page)
    ticket = start_by_first_message(page, site, "Need a hand?", "Yes please")
    # The socket opens after the messages the conversation started with.
    assert [after_of(url) for url in proxy.urls] == [ticket["messages"][-1]["id"]]
    last = agent_says(site, ticket["id"], "Hello!")["id"]
    agents = messenger(page).locator(".msg.agent")
    expect(agents.last).to_contain_text("Hello!")

    proxy.cut()
    for n in (1, 2, 3):
        agent_says(site, ticket["id"], f"Missed {n}")
    # The customer writes meanwhile: it goes over the HTTP fallback and is stored once.
    with page.expect_response(lambda r: r.url.endswith("/messages")
                              and r.request.method == "POST") as fallback:
        box = messenger(page).get_by_role("textbox", name="Write a message…")
        box.fill("Still there?")
        box.press("Enter")
    assert fallback.value.status == 201
    expect(messenger(page).locator(".msg.visitor").last).to_have_text("You: Still there?")
    page.wait_for_timeout(700)  # a reconnect try or two, refused
    expect(agents).to_have_count(3)  # nothing arrives while the socket is down

    proxy.up = True
    expect(agents).to_have_count(6, timeout=15000)
    assert after_of(proxy.urls[-1]) == last  # resumed from the last message received
    assert len(proxy.urls) >= 2
    page.wait_for_timeout(500)
    server = [b for _, b in bodies(site, ticket["id"])]
    assert server.count("Still there?") == 1
    assert [t.removeprefix("You: ").removeprefix("Acme Support").removeprefix("Ada Admin")
            for t in log_texts(page)] == server
    assert [t.removeprefix("Ada Admin") for t in agents.all_text_contents()] == [
        "Acme SupportNeed a hand?", "Acme SupportThanks!", "Hello!", "Missed 1", "Missed 2",
        "Missed 3"]

    # Live again: the next reply comes at once, once.
    agent_says(site, ticket["id"], "Back online")
    expect(agents).to_have_count(7)
    page.wait_for_timeout(300)
    expect(agents).to_have_count(7)


def test_a_ticket_solved_while_the_socket_is_down_shows_its_end_on_reconnect(
        page: Page, site: DemoSite):
    proxy = SocketProxy(page)
    ticket = start_by_first_message(page, site, "Shall we talk?", "Sure")
    proxy.cut()
    agent_says(site, ticket["id"], "Done, bye!")
    assert site.api.patch(f"/api/v1/tickets/{ticket['id']}",
                          json={"status": "solved"}).status_code == 200
    proxy.up = True
    # The socket replays the reply; the status comes from a read on reconnecting.
    expect(messenger(page).locator(".note")).to_have_text("This conversation has ended",
                                                          timeout=15000)
    expect(messenger(page).locator(".log > li").last).to_have_class("note")
    expect(messenger(page).locator(".msg.agent").last).to_contain_text("Done, bye!")


def test_a_message_typed_offline_is_kept_until_it_is_stored(page: Page, site: DemoSite):
    ticket = start_by_first_message(page, site, "Anything else?", "Hi")
    page.context.set_offline(True)
    box = messenger(page).get_by_role("textbox", name="Write a message…")
    box.fill("Typed in a tunnel")
    box.press("Enter")
    pending = messenger(page).locator(".msg.visitor").last
    expect(pending).to_contain_text("Typed in a tunnel")
    expect(pending).to_contain_text("Sending…")
    page.wait_for_timeout(1500)
    expect(pending).to_contain_text("Sending…")
    assert ("customer", "Typed in a tunnel") not in bodies(site, ticket["id"])
    # It survives in storage too.
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('{STORE}'))")
    assert [p[1] for p in stored["pending"]] == ["Typed in a tunnel"]

    page.context.set_offline(False)
    expect(pending).to_have_text("You: Typed in a tunnel", timeout=15000)
    eventually(lambda: ("customer", "Typed in a tunnel") in bodies(site, ticket["id"]))
    page.wait_for_timeout(500)
    assert [b for _, b in bodies(site, ticket["id"])].count("Typed in a tunnel") == 1
    expect(messenger(page).locator(".msg.visitor")).to_have_count(2)
    assert page.evaluate(f"JSON.parse(localStorage.getItem('{STORE}')).pending") == []


# -- the end ---------------------------------------------------------------------------------


def test_a_solved_conversation_ends_and_proactive_messages_come_back(
        browser: Browser, site: DemoSite):
    page = new_page(browser, locale="pt-BR")
    message = site.live_message("Posso ajudar?", response=FIRST_MESSAGE)
    goto(page, site.url("/demo"))
    bubble(page).get_by_role("button", name="Posso ajudar?").click()
    box = messenger(page).get_by_role("textbox", name="Escreva uma mensagem…")
    box.fill("Quero um foguete")
    box.press("Enter")
    ticket = ticket_of(site, message["id"])
    agent_says(site, ticket["id"], "Enviado!")
    expect(messenger(page).locator(".msg.agent").last).to_contain_text("Enviado!")
    assert goto(page, site.url("/demo/pricing"))["show"] is None  # open: nothing proactive

    launcher(page).click()
    expect(messenger(page).locator(".msg")).to_have_count(4)
    solved = site.api.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "solved"})
    assert solved.status_code == 200, solved.text
    note = messenger(page).locator(".note")
    expect(note).to_have_text("Esta conversa foi encerrada")
    assert messenger(page).locator(".log > li").last.get_attribute("class") == "note"

    # Closing the panel forgets the conversation; the next page view may show a message again.
    launcher(page).click()
    assert page.evaluate(f"localStorage.getItem('{STORE}')") is None
    decision = goto(page, site.url("/demo"))
    assert decision["show"]["message_id"] == message["id"]
    bubble(page).get_by_role("button", name="Posso ajudar?").click()
    expect(messenger(page).locator(".log > li")).to_have_count(1)  # a new start
    expect(messenger(page).get_by_role("textbox", name="Escreva uma mensagem…")).to_be_focused()
    page.context.close()


def test_a_conversation_solved_while_away_shows_its_end_on_the_next_page(
        page: Page, site: DemoSite):
    ticket = start_by_first_message(page, site, "Hi there", "Hello")
    launcher(page).click()
    page.goto("about:blank")
    assert site.api.patch(f"/api/v1/tickets/{ticket['id']}",
                          json={"status": "solved"}).status_code == 200

    decision = goto(page, site.url("/demo/pricing"))
    assert decision["show"] is not None  # no longer held back by an open conversation
    bubble(page).get_by_role("button", name="Dismiss").click()
    launcher(page).click()  # without a message on screen: the conversation, and its end
    expect(messenger(page).locator(".note")).to_have_text("This conversation has ended")
    expect(messenger(page).locator(".msg")).to_have_count(3)
    launcher(page).click()
    assert page.evaluate(f"localStorage.getItem('{STORE}')") is None
