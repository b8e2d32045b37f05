"""The launcher always leads somewhere: without a proactive message on screen it opens the
messenger with a composer, and the customer's first message starts a conversation and a ticket.

The customer is the widget on the demo site in headless Chromium; the agent's side is driven
over the REST API with the admin token of the `site` fixture (and, once, the agent workspace).
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import Browser, Page, expect

from overture.demo.service import DEMO_ADMIN_PASSWORD, DEMO_AGENT_EMAIL
from tests.e2e import widget_helpers
from tests.e2e.conftest import sign_in
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
    set_channel,
)
from tests.e2e.widget_helpers import wait_for_totals as wait_for_stats

site = widget_helpers.site
page = widget_helpers.page

WRITE = "Write a message…"


# -- helpers ---------------------------------------------------------------------------------


def tickets(site: DemoSite) -> list[dict]:
    listed = site.api.get("/api/v1/tickets")
    assert listed.status_code == 200, listed.text
    return listed.json()


def only_ticket(site: DemoSite) -> dict:
    """The one ticket there is, once there is one, with its messages and page views."""
    found = eventually(lambda: tickets(site))
    assert len(found) == 1, found
    detail = site.api.get(f"/api/v1/tickets/{found[0]['id']}")
    assert detail.status_code == 200, detail.text
    return detail.json()


def write(page: Page, text: str) -> None:
    box = messenger(page).get_by_role("textbox", name=WRITE)
    box.fill(text)
    messenger(page).get_by_role("button", name="Send").click()
    expect(messenger(page).locator(".msg.visitor").last).to_contain_text(text)


def start_from_launcher(page: Page, site: DemoSite, first: str) -> dict:
    """On the home page, open the messenger with the launcher and write `first`; the ticket it
    started."""
    assert goto(page, site.url("/demo"))["show"] is None
    launcher(page).click()
    expect(messenger(page)).to_be_visible()
    write(page, first)
    ticket = only_ticket(site)
    expect(messenger(page).locator(".msg[data-id]")).to_have_count(len(ticket["messages"]))
    return ticket


# -- without a proactive message -------------------------------------------------------------


def test_the_launcher_opens_a_composer_and_the_first_message_starts_a_ticket(
        browser: Browser, page: Page, site: DemoSite):
    page.add_init_script("""
        window.Overture = window.Overture || function () {
          (Overture.q = Overture.q || []).push(arguments) };
        window.started = [];
        Overture('on', 'conversationStarted', function (c) { started.push(c.conversationId); });
    """)
    assert goto(page, site.url("/demo"))["show"] is None
    expect(launcher(page)).to_be_visible()

    # Opening and closing without writing starts nothing.
    launcher(page).click()
    dialog = messenger(page)
    expect(dialog).to_be_visible()
    box = dialog.get_by_role("textbox", name=WRITE)
    expect(box).to_be_visible()
    expect(box).to_be_focused()
    expect(dialog.get_by_role("button", name="Send")).to_be_visible()
    # The channel does not ask for contact details: no form.
    expect(dialog.get_by_label("Your name")).to_have_count(0)
    expect(dialog.get_by_label("Your email")).to_have_count(0)
    launcher(page).click()
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(300)
    assert tickets(site) == []

    launcher(page).click()
    expect(box).to_be_focused()
    write(page, "Do you sell rockets?")
    ticket = only_ticket(site)
    assert ticket["proactive_message_id"] is None
    assert ticket["status"] == "new"
    assert ticket["channel_id"] == site.channel_id
    assert ("customer", "Do you sell rockets?") in bodies(site, ticket["id"])
    # The requester is this visitor: the ticket shows the pages they saw.
    assert [v["url"] for v in ticket["page_views"]] == [site.url("/demo")]
    # The host page hears of it, as of a conversation started from a proactive message.
    assert page.evaluate("started") == [ticket["conversation_id"]]

    # The conversation goes on: the next message joins it, and agent replies arrive live.
    box.fill("Two, please")
    box.press("Enter")
    expect(dialog.locator(".msg.visitor")).to_have_count(2)
    eventually(lambda: ("customer", "Two, please") in bodies(site, ticket["id"]))
    agent_says(site, ticket["id"], "We do! Which size?")
    reply = dialog.locator(".msg.agent").last
    expect(reply).to_contain_text("We do! Which size?")
    expect(reply).to_contain_text("Ada Admin")
    assert len(tickets(site)) == 1
    assert [b for a, b in bodies(site, ticket["id"]) if a == "customer"] == [
        "Do you sell rockets?", "Two, please"]

    # The agent has it in the workspace: an anonymous visitor, the pages they saw, and no
    # proactive message behind it.
    agent = browser.new_page()
    try:
        sign_in(agent, site.base, DEMO_AGENT_EMAIL, DEMO_ADMIN_PASSWORD)
        rows = agent.locator("#aw-queue-list a")
        expect(rows).to_have_count(1)
        rows.click()
        expect(agent.locator("#aw-chat-h")).to_have_text(re.compile(rf"^Ticket #{ticket['id']}"))
        panel = agent.get_by_role("complementary", name="Ticket")
        expect(panel).to_contain_text("did not start from a proactive message")
        expect(panel.locator("#aw-views > li")).to_have_count(1)
        expect(panel.locator("#aw-views > li")).to_contain_text(site.url("/demo"))
        expect(agent.locator("#aw-messages > li .aw-msg-body")).to_have_text(
            ["Do you sell rockets?", "Two, please", "We do! Which size?"])
    finally:
        agent.context.close()


def test_the_launcher_asks_for_name_and_email_when_the_channel_says_so(
        browser: Browser, page: Page, site: DemoSite):
    set_channel(site, launcher_asks_contact=True)
    goto(page, site.url("/demo"))
    launcher(page).click()
    dialog = messenger(page)
    name = dialog.get_by_label("Your name")
    email = dialog.get_by_label("Your email")
    expect(name).to_be_visible()
    expect(email).to_be_visible()
    expect(email).to_have_attribute("type", "email")
    # The first message may be asked with the contact details or right after them.
    box = dialog.get_by_role("textbox", name=WRITE)
    first = dialog.get_by_role("textbox", name=re.compile(r"message", re.I))
    together = first.is_visible()

    name.fill("Wile E. Coyote")
    email.fill("wile@acme")
    if together:
        first.fill("Do you sell rockets?")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_text("Please enter a valid email")).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    page.wait_for_timeout(300)
    assert tickets(site) == []

    email.fill("wile@example.com")
    dialog.get_by_role("button", name="Send").click()
    if not together:
        expect(email).to_have_count(0)
        expect(box).to_be_focused()
        write(page, "Do you sell rockets?")
    expect(dialog.locator(".msg.visitor").last).to_contain_text("Do you sell rockets?")

    ticket = eventually(lambda: (t := only_ticket(site)) and (
        ("customer", "Do you sell rockets?") in [(m["author"], m["body"]) for m in t["messages"]]
    ) and t)
    assert (ticket["requester_name"], ticket["requester_email"]) == (
        "Wile E. Coyote", "wile@example.com")
    assert ticket["proactive_message_id"] is None

    # The agent sees it in the workspace queue, under the customer's name.
    agent = browser.new_page()
    try:
        sign_in(agent, site.base, DEMO_AGENT_EMAIL, DEMO_ADMIN_PASSWORD)
        expect(agent).to_have_url(f"{site.base}/agent")
        row = agent.locator("#aw-queue-list a", has_text="Wile E. Coyote")
        expect(row).to_be_visible()
        expect(row).to_contain_text("wile@example.com")
    finally:
        agent.context.close()

    agent_says(site, ticket["id"], "Hello Wile, yes we do.")
    expect(dialog.locator(".msg.agent").last).to_contain_text("Hello Wile, yes we do.")

    # Once given, the details are not asked again.
    launcher(page).click()
    expect(dialog).to_be_hidden()
    launcher(page).click()
    expect(dialog.get_by_label("Your email")).to_have_count(0)
    expect(dialog.get_by_role("textbox", name=WRITE)).to_be_visible()


def test_the_server_has_the_last_word_on_the_launcher_contact_form(page: Page, site: DemoSite):
    set_channel(site, launcher_asks_contact=True)
    goto(page, site.url("/demo"))
    launcher(page).click()
    dialog = messenger(page)
    dialog.get_by_label("Your name").fill("Road Runner")
    # Well-formed, but the server refuses reserved domains (.test, .local, …).
    dialog.get_by_label("Your email").fill("beep@desert.test")
    first = dialog.get_by_role("textbox", name=re.compile(r"message", re.I))
    if first.is_visible():
        first.fill("Beep beep")
    with page.expect_response(lambda r: r.url.endswith("/conversations")) as refused:
        dialog.get_by_role("button", name="Send").click()
    assert refused.value.status == 422
    expect(dialog.get_by_text("Please enter a valid email")).to_be_visible()
    expect(dialog.get_by_label("Your email")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("Your email")).to_be_focused()
    assert tickets(site) == []

    dialog.get_by_label("Your email").fill("beep@example.com")
    dialog.get_by_role("button", name="Send").click()
    ticket = only_ticket(site)
    assert (ticket["requester_name"], ticket["requester_email"]) == (
        "Road Runner", "beep@example.com")


def test_the_contact_setting_is_off_by_default_and_takes_only_a_boolean(site: DemoSite):
    # The setting exists on the channel, off unless an admin turns it on.
    got = site.api.get(f"/api/v1/channels/{site.channel_id}")
    assert got.status_code == 200, got.text
    assert got.json()["launcher_asks_contact"] is False
    set_channel(site, launcher_asks_contact=True)
    set_channel(site, launcher_asks_contact=False)
    refused = site.api.patch(f"/api/v1/channels/{site.channel_id}",
                             json={"launcher_asks_contact": "sometimes"})
    assert refused.status_code == 422, refused.text


# -- after a proactive message ---------------------------------------------------------------


def test_after_dismissing_a_message_the_launcher_opens_a_composer(page: Page, site: DemoSite):
    message = site.live_message("Can we help?", frequency="every_time")
    goto(page, site.url("/demo"))
    expect(bubble(page)).to_contain_text("Can we help?")
    bubble(page).locator(".x").click()
    expect(bubble(page)).to_have_count(0)

    launcher(page).click()
    dialog = messenger(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("textbox", name=WRITE)).to_be_focused()
    # The dismissed message does not come back inside the messenger.
    expect(dialog.locator(".msg")).to_have_count(0)

    write(page, "Actually, where is my anvil?")
    ticket = only_ticket(site)
    assert ticket["proactive_message_id"] is None
    assert ("customer", "Actually, where is my anvil?") in bodies(site, ticket["id"])
    assert "Can we help?" not in [b for _, b in bodies(site, ticket["id"])]
    # A conversation started from the launcher is not a reply to the dismissed message.
    wait_for_stats(site, message["id"], {"sent": 1, "opened": 0, "replied": 0, "showings": 1,
                                        "opens": 0, "dismissals": 1, "replies": 0})


def test_a_launcher_conversation_comes_back_with_its_history_after_a_reload_and_elsewhere(
        page: Page, site: DemoSite):
    ticket = start_from_launcher(page, site, "Is the anvil heavy?")
    agent_says(site, ticket["id"], "About 50 kg.")
    expect(messenger(page).locator(".msg.agent").last).to_contain_text("About 50 kg.")
    history = log_texts(page)
    assert any("Is the anvil heavy?" in t for t in history)
    assert any("About 50 kg." in t for t in history)

    # A proactive message is held back while the conversation is open.
    site.live_message("Have you seen our magnets?")

    page.reload()
    expect(messenger(page)).to_be_hidden()
    launcher(page).click()
    expect(messenger(page).locator(".log > li")).to_have_count(len(history))
    assert log_texts(page) == history
    expect(messenger(page).get_by_role("textbox", name=WRITE)).to_be_focused()

    launcher(page).click()
    decision = goto(page, site.url("/demo/pricing"))
    assert decision["show"] is None
    page.wait_for_timeout(250)
    assert bubble(page).count() == 0
    launcher(page).click()
    expect(messenger(page).locator(".log > li")).to_have_count(len(history))
    assert log_texts(page) == history

    # Live on the new page, both ways.
    agent_says(site, ticket["id"], "Shall I reserve one?")
    expect(messenger(page).locator(".msg.agent").last).to_contain_text("Shall I reserve one?")
    write(page, "Yes please")
    eventually(lambda: ("customer", "Yes please") in bodies(site, ticket["id"]))
    assert len(tickets(site)) == 1
    expect(messenger(page).locator(".msg.visitor").last).to_have_text(
        re.compile(r"Yes please$"))


# -- retries, tabs and the end -----------------------------------------------------------------


def test_a_first_message_that_fails_on_the_network_is_stored_once(page: Page, site: DemoSite):
    assert goto(page, site.url("/demo"))["show"] is None
    tries: list[dict] = []

    def flaky(route):
        tries.append(json.loads(route.request.post_data or "{}"))
        if len(tries) == 1:
            route.abort()
        else:
            route.continue_()

    page.context.route("**/widget/v1/*/conversations", flaky)
    launcher(page).click()
    box = messenger(page).get_by_role("textbox", name=WRITE)
    box.fill("Is anybody there?")
    box.press("Enter")
    expect(messenger(page).locator(".msg.visitor[data-id]")).to_have_count(1)
    ticket = only_ticket(site)
    assert [b for a, b in bodies(site, ticket["id"]) if a == "customer"] == ["Is anybody there?"]
    assert len(tries) >= 2
    assert len({t["client_id"] for t in tries}) == 1  # the retry is the same message
    assert all("delivery_id" not in t or t["delivery_id"] is None for t in tries)
    page.wait_for_timeout(300)
    assert len(tickets(site)) == 1


def test_two_tabs_writing_from_the_launcher_share_one_conversation(page: Page, site: DemoSite):
    other = page.context.new_page()
    goto(page, site.url("/demo"))
    goto(other, site.url("/demo/pricing"))
    launcher(page).click()
    launcher(other).click()
    expect(messenger(other).get_by_role("textbox", name=WRITE)).to_be_visible()

    write(page, "Written in the first tab")
    ticket = only_ticket(site)
    # The second tab opened its composer before the conversation existed: its first message
    # joins the conversation in progress, and it shows the whole of it.
    write(other, "Written in the second tab")
    eventually(lambda: ("customer", "Written in the second tab") in bodies(site, ticket["id"]))
    assert len(tickets(site)) == 1
    assert [b for a, b in bodies(site, ticket["id"]) if a == "customer"] == [
        "Written in the first tab", "Written in the second tab"]
    expect(messenger(other).locator(".msg.visitor")).to_have_count(2)
    expect(messenger(other).locator(".msg.visitor").first).to_contain_text(
        "Written in the first tab")
    # The first tab hears it live; both hear the agent.
    expect(messenger(page).locator(".msg.visitor").last).to_contain_text(
        "Written in the second tab")
    agent_says(site, ticket["id"], "Hello to both tabs")
    for tab in (page, other):
        expect(messenger(tab).locator(".msg.agent").last).to_contain_text("Hello to both tabs")


def test_a_solved_launcher_conversation_ends_and_the_launcher_starts_a_new_one(
        page: Page, site: DemoSite):
    first = start_from_launcher(page, site, "My rocket is late")
    solved = site.api.patch(f"/api/v1/tickets/{first['id']}", json={"status": "solved"})
    assert solved.status_code == 200, solved.text
    expect(messenger(page).locator(".note").last).to_have_text("This conversation has ended")

    launcher(page).click()
    expect(messenger(page)).to_be_hidden()
    launcher(page).click()
    dialog = messenger(page)
    expect(dialog.get_by_role("textbox", name=WRITE)).to_be_focused()
    expect(dialog.locator(".msg")).to_have_count(0)
    write(page, "Now my anvil is late")
    both = eventually(lambda: len(tickets(site)) == 2 and tickets(site))
    second = next(t for t in both if t["id"] != first["id"])
    assert second["conversation_id"] != first["conversation_id"]
    assert [b for a, b in bodies(site, second["id"]) if a == "customer"] == [
        "Now my anvil is late"]
    assert [b for a, b in bodies(site, first["id"]) if a == "customer"] == ["My rocket is late"]


def test_from_the_bubble_to_a_conversation_with_the_keyboard_alone(page: Page, site: DemoSite):
    message = site.live_message("Tab, Enter, type", frequency="every_time")
    goto(page, site.url("/demo"))
    expect(bubble(page)).to_contain_text("Tab, Enter, type")
    bubble(page).locator(".x").focus()
    page.keyboard.press("Enter")  # the X: dismissed, and the launcher has the focus
    expect(bubble(page)).to_have_count(0)
    expect(launcher(page)).to_be_focused()
    page.keyboard.press("Enter")
    box = messenger(page).get_by_role("textbox", name=WRITE)
    expect(box).to_be_focused()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Enter")
    expect(messenger(page).locator(".msg.visitor[data-id]")).to_have_count(1)
    ticket = only_ticket(site)
    assert [b for a, b in bodies(site, ticket["id"]) if a == "customer"] == [
        "Typed without a mouse"]
    page.keyboard.press("Escape")  # closes the messenger; the conversation goes on
    expect(messenger(page)).to_be_hidden()
    expect(launcher(page)).to_be_focused()
    wait_for_stats(site, message["id"], {"sent": 1, "opened": 0, "replied": 0, "showings": 1,
                                         "opens": 0, "dismissals": 1, "replies": 0})


def test_a_first_message_typed_offline_is_sent_when_the_browser_is_back_online(
        page: Page, site: DemoSite):
    assert goto(page, site.url("/demo"))["show"] is None
    launcher(page).click()
    page.context.set_offline(True)
    box = messenger(page).get_by_role("textbox", name=WRITE)
    box.fill("Typed in a tunnel")
    box.press("Enter")
    expect(messenger(page).locator(".msg.visitor")).to_contain_text("Typed in a tunnel")
    page.wait_for_timeout(5000)  # a long tunnel: longer than the widget's quick retries
    assert tickets(site) == []

    page.context.set_offline(False)
    expect(messenger(page).locator(".msg.visitor[data-id]")).to_have_count(1)
    ticket = only_ticket(site)
    assert [b for a, b in bodies(site, ticket["id"]) if a == "customer"] == ["Typed in a tunnel"]


def test_a_reply_to_a_bubble_left_in_another_tab_joins_the_open_conversation(
        page: Page, site: DemoSite):
    site.live_message("Need help?", response={"type": "agent", "collect": [],
                                              "follow_up": "Thanks!"})
    other = page.context.new_page()
    goto(other, site.url("/demo"))
    expect(bubble(other)).to_contain_text("Need help?")
    goto(page, site.url("/demo/pricing"))  # the same message, still on screen
    bubble(page).locator(".x").click()
    launcher(page).click()
    write(page, "Asked from the launcher")
    ticket = only_ticket(site)

    # The other tab still shows the bubble it had; the customer answers it there.
    bubble(other).get_by_role("button", name="Need help?").click()
    box = messenger(other).get_by_role("textbox", name=WRITE)
    box.fill("Answered in the other tab")
    box.press("Enter")
    expect(messenger(other).locator(".msg.visitor[data-id]")).not_to_have_count(0)
    eventually(lambda: any(("customer", "Answered in the other tab") in bodies(site, t["id"])
                           for t in tickets(site)))
    # One customer, one channel: one open conversation, holding all they wrote.
    assert [t["id"] for t in tickets(site) if t["status"] != "solved"] == [ticket["id"]]
    assert [b for a, b in bodies(site, ticket["id"]) if a == "customer"] == [
        "Asked from the launcher", "Answered in the other tab"]
