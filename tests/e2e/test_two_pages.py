"""The whole story in two browser pages: a customer on the demo site answers a proactive
message, an agent in the workspace answers back, live both ways, and solves the ticket.

On SQLite both pages talk to one server. On PostgreSQL + Redis the customer's page is served by
one `overture serve` process and the agent's by another (SPEC §8).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from overture.demo.service import DEMO_ADMIN_PASSWORD, DEMO_AGENT_EMAIL
from tests.e2e.conftest import sign_in
from tests.e2e.widget_helpers import DemoSite, bubble, goto, messenger, open_shadow
from tests.e2e.widget_helpers import site as site
from tests.scaleout.processes import ServerProcess

FORM = {"type": "agent", "collect": ["name", "email"],
        "follow_up": "Thanks! An agent will answer you here."}


@pytest.fixture
def servers(backend, live_server) -> Iterator[tuple[str, str]]:
    """(the customer's server, the agent's server)."""
    if backend.name == "sqlite":
        yield live_server, live_server
        return
    secret = secrets.token_urlsafe(32)
    procs = [ServerProcess(backend.database_url, backend.redis_url, backend.redis_prefix, secret)
             for _ in range(2)]
    try:
        for proc in procs:
            proc.wait_ready()
        yield procs[0].url, procs[1].url
    finally:
        for proc in procs:
            proc.stop()


def test_customer_and_agent_talk_live_and_solving_lifts_the_suppression(
        browser: Browser, site: DemoSite, servers: tuple[str, str]):
    customer_base, agent_base = servers
    message = site.live_message("Need a hand with **pricing**?", response=FORM,
                                tags=["pricing", "web"], frequency="every_time")
    agent_ctx, customer_ctx = browser.new_context(), browser.new_context()
    open_shadow(customer_ctx)
    agent: Page = agent_ctx.new_page()
    customer: Page = customer_ctx.new_page()

    sign_in(agent, agent_base, DEMO_AGENT_EMAIL, DEMO_ADMIN_PASSWORD)
    expect(agent).to_have_url(f"{agent_base}/agent")
    expect(agent.locator("#aw-queue-empty")).to_be_visible()

    # The customer answers the proactive message's form.
    decision = goto(customer, f"{customer_base}/demo/pricing")
    assert decision["show"]["message_id"] == message["id"]
    bubble(customer).get_by_role("button", name="Need a hand with pricing?").click()
    dialog = messenger(customer)
    dialog.get_by_label("Your name").fill("Maria Silva")
    dialog.get_by_label("Your email").fill("maria@example.com")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.locator(".msg").last).to_contain_text("Thanks! An agent will answer you here.")

    # The ticket reaches the agent's queue without a reload, with the message's tags.
    row = agent.locator("#aw-queue-list a", has_text="Maria Silva")
    expect(row).to_be_visible(timeout=10_000)
    expect(row).to_contain_text("pricing")
    expect(row).to_contain_text("web")
    row.click()
    expect(agent.locator("#aw-chat-state")).to_have_text("Connected")
    expect(agent.locator("#aw-messages > li")).to_have_count(3)

    # Agent → customer, live.
    draft = agent.get_by_label("Reply")
    draft.fill("Hi Maria! Which plan are you considering?")
    draft.press("Enter")
    expect(dialog.locator(".msg").last).to_contain_text("Hi Maria! Which plan are you considering?")

    # Customer → agent, live.
    box = dialog.get_by_role("textbox", name="Write a message…")
    box.fill("The Pro plan, for 12 people.")
    box.press("Enter")
    expect(agent.locator("#aw-messages > li").last.locator(".aw-msg-body")).to_have_text(
        "The Pro plan, for 12 people.")

    # While the conversation is open, no proactive message is shown to this customer.
    other = customer_ctx.new_page()
    assert goto(other, f"{customer_base}/demo/pricing")["show"] is None
    other.close()

    # The agent solves the ticket: the customer sees the end, and can be messaged again.
    agent.get_by_role("complementary", name="Ticket").get_by_label("Status").select_option(
        "solved")
    expect(row).to_have_count(0)
    expect(dialog.locator(".note")).to_have_text("This conversation has ended", timeout=10_000)
    dialog.press("Escape")
    again = goto(customer, f"{customer_base}/demo/pricing")
    assert again["show"] is not None and again["show"]["message_id"] == message["id"]
    expect(bubble(customer)).to_contain_text(re.compile("Need a hand with pricing"))

    ticket = site.api.get("/api/v1/tickets", params={"tag": "pricing"}).json()[0]
    assert ticket["status"] == "solved"
    assert (ticket["requester_name"], ticket["requester_email"]) == (
        "Maria Silva", "maria@example.com")
    agent_ctx.close()
    customer_ctx.close()
