"""The agent workspace (/agent) in a real browser, against the real server.

The customer is played over the widget's HTTP API (the same calls the widget makes), from the
server's own origin; the agent is the demo agent in headless Chromium.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from overture.demo.service import DEMO_ADMIN_PASSWORD, DEMO_AGENT_EMAIL, DEMO_CHANNEL_KEY
from tests.e2e import widget_helpers
from tests.e2e.conftest import sign_in
from tests.e2e.widget_helpers import DemoSite
from tests.widget.helpers import Browser, new_id

site = widget_helpers.site

HOSTILE = '<b>bold</b><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


class Customer(Browser):
    """The widget, scripted over HTTP. It calls from the server's own origin, which every
    channel allows (the demo channel does not list the helpers' shop origin)."""

    def _post(self, path: str, body: dict, **kw):
        return self.client.post(f"/widget/v1/{self.key}/{path}", json=body,
                                headers={"Origin": self.origin})

    @property
    def origin(self) -> str:
        return str(self.client.base_url).rstrip("/")

    def say(self, conversation_id: int, body: str) -> dict:
        r = self._post(f"conversations/{conversation_id}/messages", {
            "visitor_id": self.visitor_id, "client_id": new_id("c"), "body": body})
        assert r.status_code == 201, r.text
        return r.json()

    def conversation(self, conversation_id: int) -> dict:
        r = self.client.get(f"/widget/v1/{self.key}/conversations/{conversation_id}",
                            params={"visitor_id": self.visitor_id},
                            headers={"Origin": self.origin})
        assert r.status_code == 200, r.text
        return r.json()


@dataclass
class Started:
    conversation_id: int
    ticket_id: int
    message: dict


@pytest.fixture
def customer(live_server: str, site: DemoSite) -> Iterator[Customer]:
    with httpx.Client(base_url=live_server, timeout=10) as client:
        yield Customer(client, DEMO_CHANNEL_KEY)


def start_conversation(site: DemoSite, customer: Customer, name: str = "Maria Silva",
                       email: str = "maria@example.com") -> Started:
    """A live message; the customer browses two pages, opens it and fills in the form."""
    message = site.live_message(
        "Need help choosing a plan?", name="Pricing help", tags=["pricing", "vip"],
        response={"type": "agent", "collect": ["name", "email"],
                  "follow_up": "Thanks! An agent will answer you here."})
    shown = customer.view(url=site.url("/demo"), title="Acme home")["show"]
    assert shown is not None and shown["message_id"] == message["id"], shown
    customer.view(url=site.url("/demo/pricing"), title="Pricing")
    assert customer.event("opened", delivery_id=shown["delivery_id"]).status_code in (200, 201,
                                                                                      202, 204)
    r = customer._post("conversations", {
        "visitor_id": customer.visitor_id, "delivery_id": shown["delivery_id"],
        "client_id": new_id("c"), "name": name, "email": email})
    assert r.status_code == 201, r.text
    conversation_id = r.json()["conversation_id"]
    tickets = site.api.get("/api/v1/tickets").json()
    ticket = next(t for t in tickets if t["conversation_id"] == conversation_id)
    return Started(conversation_id, ticket["id"], message)


def sign_in_agent(page: Page, base: str) -> None:
    sign_in(page, base, DEMO_AGENT_EMAIL, DEMO_ADMIN_PASSWORD)
    expect(page).to_have_url(f"{base}/agent")
    expect(page.locator("#aw-feed-state")).to_have_text("Updates live")


def queue_row(page: Page, text: str):
    return page.locator("#aw-queue-list a", has_text=text)


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def open_live(page: Page, base: str, ticket_id: int) -> None:
    page.goto(f"{base}/agent#ticket-{ticket_id}")
    expect(page.locator("#aw-chat-state")).to_have_text("Connected")


# -- the queue and the ticket ----------------------------------------------------------------


def test_a_new_conversation_reaches_the_queue_live_and_opens_with_its_context(
        page: Page, site: DemoSite, customer: Customer):
    sign_in_agent(page, site.base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Agent workspace")
    expect(page.locator("#aw-queue-empty")).to_be_visible()

    started = start_conversation(site, customer)

    # Without a reload: the queue feed tells the page, the page refetches.
    row = queue_row(page, "Maria Silva")
    expect(row).to_be_visible()
    for text in ("maria@example.com", "Pricing help", "pricing", "vip", "New", "Unassigned"):
        expect(row).to_contain_text(text)
    expect(page.locator("#aw-queue-count")).to_have_text("1 unsolved ticket")

    row.click()
    expect(page).to_have_url(re.compile(rf"/agent#ticket-{started.ticket_id}$"))
    expect(row).to_have_attribute("aria-current", "true")
    expect(page.locator("#aw-chat-h")).to_have_text(f"Ticket #{started.ticket_id}: Maria Silva")

    # The conversation, in order, with who said what.
    items = page.locator("#aw-messages > li")
    expect(items).to_have_count(3)
    expect(items.nth(0).locator(".aw-msg-author")).to_have_text("Proactive message")
    expect(items.nth(0).locator(".aw-msg-name")).to_have_text("Acme Support")
    expect(items.nth(0).locator(".aw-msg-body")).to_have_text("Need help choosing a plan?")
    expect(items.nth(1).locator(".aw-msg-author")).to_have_text("Customer")
    expect(items.nth(1).locator(".aw-msg-body")).to_have_text("Maria Silva, maria@example.com")
    expect(items.nth(2).locator(".aw-msg-body")).to_have_text(
        "Thanks! An agent will answer you here.")

    # The ticket: requester, status, tags, assignee, the message that started it, page views.
    panel = page.get_by_role("complementary", name="Ticket")
    expect(panel.locator("#aw-req-name")).to_have_text("Maria Silva")
    expect(panel.locator("#aw-req-email")).to_have_text("maria@example.com")
    expect(panel.get_by_label("Status")).to_have_value("new")
    expect(panel.get_by_label("Tags", exact=True)).to_have_value("pricing, vip")
    expect(panel.locator("#aw-tag-chips li")).to_have_text(["pricing", "vip"])
    expect(panel.locator("#aw-assignee")).to_have_text("Unassigned")
    expect(panel.get_by_role("button", name="Take it")).to_be_visible()
    expect(panel.locator("#aw-pm-name")).to_have_text("Pricing help")
    expect(panel.locator("#aw-pm-text")).to_have_text("Need help choosing a plan?")
    views = panel.locator("#aw-views > li")
    expect(views).to_have_count(2)
    expect(views.nth(0)).to_contain_text("Pricing")
    expect(views.nth(0)).to_contain_text(site.url("/demo/pricing"))
    expect(views.nth(1)).to_contain_text("Acme home")
    expect(views.nth(0).locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))

    # A reload keeps the ticket open (the URL hash).
    page.reload()
    expect(page.locator("#aw-req-name")).to_have_text("Maria Silva")
    expect(page.locator("#aw-messages > li")).to_have_count(3)


def test_the_queue_works_from_the_keyboard(page: Page, site: DemoSite, customer: Customer):
    first = start_conversation(site, customer, name="First Customer", email="one@example.com")
    second_customer = Customer(customer.client, DEMO_CHANNEL_KEY)
    second_customer.view(url=site.url("/demo"), title="Acme home")
    delivery = second_customer.last["show"]["delivery_id"]
    r = second_customer._post("conversations", {
        "visitor_id": second_customer.visitor_id, "delivery_id": delivery,
        "client_id": new_id("c"), "name": "Second Customer", "email": "two@example.com"})
    assert r.status_code == 201, r.text
    sign_in_agent(page, site.base)

    rows = page.locator("#aw-queue-list a")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Second Customer")  # newest activity first
    rows.nth(0).focus()
    page.keyboard.press("ArrowDown")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"#ticket-{first.ticket_id}$"))
    expect(page.locator("#aw-chat-h")).to_be_focused()
    expect(page.locator("#aw-req-name")).to_have_text("First Customer")


def test_the_queue_holds_every_unsolved_ticket_over_several_pages(app, page: Page,
                                                                   site: DemoSite):
    """The tickets API pages (200 at most); the workspace follows the cursors to the end."""
    from tests import rows

    ids = rows.tickets(app.state.db.unit_of_work, 202,
                       status=lambda i: "solved" if i == 7 else "open")
    sign_in_agent(page, site.base)
    expect(page.locator("#aw-queue-count")).to_have_text("201 unsolved tickets")
    expect(page.locator("#aw-queue-list a")).to_have_count(201)
    # Newest activity first, the oldest last: page two came after page one.
    expect(page.locator("#aw-queue-list a").first).to_have_attribute(
        "data-ticket", str(ids[201]))
    expect(page.locator("#aw-queue-list a").last).to_have_attribute("data-ticket", str(ids[0]))


def test_the_queue_feed_reconnects_and_catches_up(page: Page, site: DemoSite,
                                                  customer: Customer):
    feed_up = False
    attempts = []

    def feed(ws):
        attempts.append(ws.url)
        ws.connect_to_server() if feed_up else ws.close()

    page.route_web_socket(re.compile(r"/agent/ws$"), feed)
    sign_in(page, site.base, DEMO_AGENT_EMAIL, DEMO_ADMIN_PASSWORD)
    expect(page.locator("#aw-feed-state")).to_have_text("Live updates lost. Reconnecting…")
    for _ in range(50):  # it keeps trying, with a growing delay
        if len(attempts) >= 3:
            break
        page.wait_for_timeout(100)  # (lets Playwright run the route handler meanwhile)
    assert len(attempts) >= 3
    start_conversation(site, customer)
    feed_up = True
    expect(page.locator("#aw-feed-state")).to_have_text("Updates live", timeout=20_000)
    expect(queue_row(page, "Maria Silva")).to_be_visible()  # caught up on reconnecting


def test_names_typed_by_customers_are_shown_as_text(page: Page, site: DemoSite,
                                                   customer: Customer):
    name = '<img src=x onerror="window.__pwned = 3"><i>Eve</i>'
    started = start_conversation(site, customer, name=name)
    sign_in_agent(page, site.base)
    row = queue_row(page, "Eve")
    expect(row.locator(".aw-row-name")).to_have_text(name)
    row.click()
    expect(page.locator("#aw-req-name")).to_have_text(name)
    expect(page.locator("#aw-chat-h")).to_have_text(f"Ticket #{started.ticket_id}: {name}")
    expect(page.locator("#aw-messages > li").nth(1).locator(".aw-msg-name")).to_have_text(name)
    expect(page.locator("main img, main i")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None


# -- live chat -------------------------------------------------------------------------------


def test_live_chat_both_ways_and_customer_text_stays_text(
        page: Page, site: DemoSite, customer: Customer):
    started = start_conversation(site, customer)
    sign_in_agent(page, site.base)
    frames: list[str] = []  # what the conversation's socket delivers

    def watch(ws):
        if "/agent/conversations/" in ws.url:
            ws.on("framereceived", lambda payload: frames.append(str(payload)))

    page.on("websocket", watch)
    open_live(page, site.base, started.ticket_id)

    # The agent replies with Enter; it is stored, and the customer can read it.
    draft = page.get_by_label("Reply")
    draft.fill("Hello Maria, which plan are you looking at?")
    draft.press("Enter")
    expect(draft).to_have_value("")
    mine = page.locator("#aw-messages .aw-msg-agent:not(.aw-msg-pending)")
    expect(mine).to_have_count(1)
    expect(mine.locator(".aw-msg-body")).to_have_text("Hello Maria, which plan are you looking at?")
    expect(mine.locator(".aw-msg-name")).to_have_text("Alex Agent")
    stored = wait_for(lambda: [m for m in customer.conversation(started.conversation_id)["messages"]
                               if m["author"] == "agent"])
    assert [m["body"] for m in stored] == ["Hello Maria, which plan are you looking at?"]
    assert stored[0]["author_name"] == "Alex Agent"
    # Answering a new ticket opens it; the panel and the queue follow without a reload.
    expect(page.get_by_label("Status")).to_have_value("open")
    expect(queue_row(page, "Maria Silva").locator(".aw-status")).to_have_text("Open")

    # The customer writes: it appears live, and is announced to screen readers.
    customer.say(started.conversation_id, "The Pro plan. Is there a discount?")
    last = page.locator("#aw-messages > li").last
    expect(last.locator(".aw-msg-author")).to_have_text("Customer")
    expect(last.locator(".aw-msg-body")).to_have_text("The Pro plan. Is there a discount?")
    expect(page.locator("#aw-announce")).to_have_text(
        "New message from Maria Silva: The Pro plan. Is there a discount?")
    assert any("The Pro plan. Is there a discount?" in f for f in frames)  # live, not refetched

    # HTML and script typed by a customer is shown as the text it is.
    customer.say(started.conversation_id, HOSTILE)
    expect(page.locator("#aw-messages > li").last.locator(".aw-msg-body")).to_have_text(HOSTILE)
    expect(page.locator("#aw-messages b, #aw-messages script, #aw-messages img")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None

    # Shift+Enter is a new line, not a send.
    draft.fill("")
    draft.type("Line one")
    draft.press("Shift+Enter")
    draft.type("line two")
    expect(draft).to_have_value("Line one\nline two")
    expect(mine).to_have_count(1)

    # The draft survives a reload, and nothing is shown twice.
    page.reload()
    expect(page.locator("#aw-chat-state")).to_have_text("Connected")
    expect(page.get_by_label("Reply")).to_have_value("Line one\nline two")
    expect(page.locator("#aw-messages > li")).to_have_count(6)
    expect(page.locator("#aw-messages .aw-msg-agent")).to_have_count(1)

    # A message sent after the reload arrives live again (the socket resumed after the last id).
    customer.say(started.conversation_id, "Still there?")
    expect(page.locator("#aw-messages > li").last.locator(".aw-msg-body")).to_have_text(
        "Still there?")
    expect(page.locator("#aw-messages > li")).to_have_count(7)
    assert any("Still there?" in f for f in frames)


def test_the_chat_socket_reconnects_and_resumes_after_the_last_message(
        page: Page, site: DemoSite, customer: Customer):
    started = start_conversation(site, customer)
    # Only the conversation's socket may deliver: the queue feed (which would refetch) is off.
    page.route_web_socket(re.compile(r"/agent/ws$"), lambda ws: ws.close())
    sockets = []

    def chat(ws):
        sockets.append(ws)
        ws.connect_to_server()

    page.route_web_socket(re.compile(r"/agent/conversations/\d+/ws"), chat)
    sign_in(page, site.base, DEMO_AGENT_EMAIL, DEMO_ADMIN_PASSWORD)
    open_live(page, site.base, started.ticket_id)
    expect(page.locator("#aw-messages > li")).to_have_count(3)
    last_id = max(m["id"] for m in customer.conversation(started.conversation_id)["messages"])
    assert sockets[-1].url.endswith(f"?after={last_id}")

    sockets[-1].close()  # the connection drops
    customer.say(started.conversation_id, "Sent while the agent was away")
    expect(page.locator("#aw-messages > li").last.locator(".aw-msg-body")).to_have_text(
        "Sent while the agent was away")
    assert len(sockets) == 2 and sockets[1].url.endswith(f"?after={last_id}")
    expect(page.locator("#aw-chat-state")).to_have_text("Connected")
    expect(page.locator("#aw-messages > li")).to_have_count(4)

    customer.say(started.conversation_id, "And now?")
    expect(page.locator("#aw-messages > li")).to_have_count(5)


def test_replies_go_over_http_when_the_socket_is_down(
        page: Page, site: DemoSite, customer: Customer):
    started = start_conversation(site, customer)
    sign_in_agent(page, site.base)
    # The conversation's socket never gets through; the queue feed does.
    page.route_web_socket(re.compile(r"/agent/conversations/\d+/ws"), lambda ws: ws.close())
    page.goto(f"{site.base}/agent#ticket-{started.ticket_id}")
    expect(page.locator("#aw-messages > li")).to_have_count(3)
    expect(page.locator("#aw-chat-state")).to_contain_text("Reconnecting")

    with page.expect_response(re.compile(rf"/api/v1/tickets/{started.ticket_id}/messages$")) as r:
        page.get_by_label("Reply").fill("Sent without the socket")
        page.get_by_role("button", name="Send").click()
    assert r.value.status == 201
    mine = page.locator("#aw-messages .aw-msg-agent:not(.aw-msg-pending)")
    expect(mine.locator(".aw-msg-body")).to_have_text("Sent without the socket")
    bodies = [m["body"] for m in customer.conversation(started.conversation_id)["messages"]]
    assert bodies.count("Sent without the socket") == 1


def test_a_reply_that_could_not_be_sent_is_kept_and_delivered_once(
        page: Page, site: DemoSite, customer: Customer):
    started = start_conversation(site, customer)
    sign_in_agent(page, site.base)
    # Offline: no socket, and the HTTP fallback fails too.
    offline = True

    def socket(ws):
        ws.close() if offline else ws.connect_to_server()

    def post(route):
        route.abort() if offline else route.continue_()

    page.route_web_socket(re.compile(r"/agent/conversations/\d+/ws"), socket)
    page.route(re.compile(r"/api/v1/tickets/\d+/messages$"), post)
    page.goto(f"{site.base}/agent#ticket-{started.ticket_id}")
    expect(page.locator("#aw-messages > li")).to_have_count(3)
    page.get_by_label("Reply").fill("Written while offline")
    page.get_by_label("Reply").press("Enter")
    pending = page.locator("#aw-messages .aw-msg-pending")
    expect(pending.locator(".aw-msg-body")).to_have_text("Written while offline")
    expect(pending).to_contain_text("Waiting for the connection")
    page.get_by_label("Reply").fill("and a draft")

    # Back online, after a reload: the reply goes out once, the draft is still there.
    offline = False
    page.reload()
    expect(page.locator("#aw-chat-state")).to_have_text("Connected")
    mine = page.locator("#aw-messages .aw-msg-agent:not(.aw-msg-pending)")
    expect(mine.locator(".aw-msg-body")).to_have_text("Written while offline")
    expect(page.locator("#aw-messages .aw-msg-pending")).to_have_count(0)
    expect(page.get_by_label("Reply")).to_have_value("and a draft")
    bodies = [m["body"] for m in customer.conversation(started.conversation_id)["messages"]]
    assert bodies.count("Written while offline") == 1


# -- working the ticket ----------------------------------------------------------------------


def test_take_tag_and_solve_and_the_ticket_leaves_the_queue(
        page: Page, site: DemoSite, customer: Customer):
    started = start_conversation(site, customer)
    sign_in_agent(page, site.base)
    open_live(page, site.base, started.ticket_id)
    row = queue_row(page, "Maria Silva")
    panel = page.get_by_role("complementary", name="Ticket")

    panel.get_by_role("button", name="Take it").click()
    expect(panel.locator("#aw-assignee")).to_have_text("Alex Agent (you)")
    expect(panel.get_by_role("button", name="Take it")).to_be_hidden()
    expect(row).not_to_contain_text("Unassigned")

    tags = panel.get_by_label("Tags", exact=True)
    tags.fill("pricing, VIP, Urgent")
    panel.get_by_role("button", name="Save tags").click()
    expect(panel.locator("#aw-tag-chips li")).to_have_text(["pricing", "vip", "urgent"])
    expect(tags).to_have_value("pricing, vip, urgent")
    expect(row).to_contain_text("urgent")

    panel.get_by_label("Status").select_option("pending")
    expect(row).to_contain_text("Pending")

    ticket = site.api.get(f"/api/v1/tickets/{started.ticket_id}").json()
    assert ticket["tags"] == ["pricing", "vip", "urgent"]
    assert ticket["status"] == "pending"
    assert ticket["assignee_name"] == "Alex Agent"

    panel.get_by_label("Status").select_option("solved")
    expect(row).to_have_count(0)
    expect(page.locator("#aw-queue-empty")).to_be_visible()
    expect(page.locator("#aw-solved")).to_contain_text("This ticket is solved. Reopen it to reply.")
    expect(page.get_by_label("Reply")).to_be_disabled()
    assert site.api.get(f"/api/v1/tickets/{started.ticket_id}").json()["status"] == "solved"

    # The customer writes again: the ticket reopens and comes back to the queue, live.
    customer.say(started.conversation_id, "One more question")
    expect(row).to_be_visible()
    expect(panel.get_by_label("Status")).to_have_value("open")
    expect(page.get_by_label("Reply")).to_be_enabled()
    expect(page.locator("#aw-solved")).to_be_hidden()


def test_bad_tags_are_refused_with_the_reason(page: Page, site: DemoSite, customer: Customer):
    started = start_conversation(site, customer)
    sign_in_agent(page, site.base)
    open_live(page, site.base, started.ticket_id)
    tags = page.get_by_label("Tags", exact=True)
    tags.fill("fine, not/okay")
    tags.press("Enter")
    expect(page.locator("#aw-ticket-state")).to_contain_text("Not saved")
    expect(tags).to_have_value("fine, not/okay")  # what was typed stays, to be fixed
    assert site.api.get(f"/api/v1/tickets/{started.ticket_id}").json()["tags"] == ["pricing",
                                                                                    "vip"]


def test_an_admin_can_assign_to_anyone(page: Page, site: DemoSite, customer: Customer):
    started = start_conversation(site, customer)
    sign_in(page, site.base)  # the demo admin
    page.goto(f"{site.base}/agent#ticket-{started.ticket_id}")
    expect(page.get_by_role("link", name="Admin center")).to_be_visible()
    picker = page.get_by_label("Assign to")
    expect(picker.locator("option", has_text="Alex Agent")).to_have_count(1)
    picker.select_option(label="Alex Agent (agent@example.com)")
    expect(page.locator("#aw-assignee")).to_have_text("Alex Agent")
    assert site.api.get(f"/api/v1/tickets/{started.ticket_id}").json()["assignee_name"] == \
        "Alex Agent"
