"""A bot from the admin's first click to the agent's ticket, in real browsers: the admin builds
an answer with buttons, an email question and a handoff, publishes the bot, connects it to the
demo channel and publishes a proactive message answered by it; a customer on the demo site
clicks it, picks a button, gives an email and is handed to an agent; the ticket has both sets
of tags, the agent reads the bot's transcript, Replied counts 1; unpublishing the bot turns the
message into Contains errors, naming the bot."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from overture.demo.service import DEMO_ADMIN_PASSWORD, DEMO_AGENT_EMAIL
from tests.e2e import widget_helpers
from tests.e2e.conftest import sign_in
from tests.e2e.test_bot_editor import add_step
from tests.e2e.widget_helpers import DemoSite, bubble, eventually, goto, messenger, new_page

site = widget_helpers.site


def build_bot(page: Page, base: str) -> None:
    page.goto(f"{base}/admin/bots")
    page.get_by_role("link", name="New bot").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Concierge")
    page.get_by_role("combobox", name="Brand").select_option(label="Acme")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1 .badge")).to_have_text("Draft")
    bot_url = page.url
    page.get_by_label("New answer").fill("Plans")
    page.get_by_role("button", name="Add answer").click()

    menu = add_step(page, "options", "step-1")
    menu.locator(".be-text").fill("How can we help?")
    menu.locator(".be-option-label").nth(0).fill("Pricing")
    menu.get_by_role("button", name="Add a button").click()
    menu.locator(".be-option-label").nth(1).fill("Nothing, thanks")
    email = add_step(page, "collect", "step-2")
    email.locator(".be-text").fill("Your email?")
    agent = add_step(page, "handoff", "step-3")
    agent.locator(".be-text").fill("Connecting you to sales.")
    agent.locator(".be-tags").fill("sales")
    bye = add_step(page, "end", "step-4")
    bye.locator(".be-text").fill("Bye!")
    menu.get_by_role("combobox", name="Step after button 1").select_option("step-2")
    menu.get_by_role("combobox", name="Step after button 2").select_option("step-4")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_have_text("Answer saved.")
    expect(page.locator(".be-problems")).to_have_count(0)

    page.goto(bot_url)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1 .badge")).to_have_text("Published")

    page.goto(f"{base}/admin/channels")
    page.get_by_role("link", name="Acme website").first.click()
    page.get_by_role("combobox", name="Bot").select_option(label="Concierge")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Channel saved.")


def publish_message(page: Page, base: str) -> str:
    page.goto(f"{base}/admin/proactive-messages/new")
    page.locator("#pe-name").fill("Plans by bot")
    page.locator("#pe-text").fill("Questions about our plans?")
    page.get_by_label("Bot response").check()
    expect(page.locator("#pe-answer-id option:checked")).to_have_text("Plans")
    expect(page.locator(".pe-bubble .pe-sender")).to_have_text("Concierge")
    page.get_by_label("Visitor loads the page").check()
    page.locator("#pe-tags").fill("promo")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_have_text("Proactive message created.")
    page.locator('.pe-actions [data-action="publish"]').click()
    expect(page.locator("h1 .badge")).to_have_text("Live")
    return page.url


def test_a_bot_built_in_the_admin_answers_a_customer_and_hands_off(
        admin_page: Page, site: DemoSite, browser: Browser):
    admin = admin_page
    admin.on("dialog", lambda d: d.accept())  # "Unpublish this bot?"
    build_bot(admin, site.base)
    message_url = publish_message(admin, site.base)
    message_id = int(re.search(r"/(\d+)$", message_url).group(1))

    # -- the customer -------------------------------------------------------------------------
    customer = new_page(browser)
    decision = goto(customer, site.url("/demo"))
    assert decision["show"]["sender"]["name"] == "Concierge"
    card = bubble(customer)
    expect(card.locator(".who")).to_have_text("Concierge")
    card.get_by_role("button", name="Questions about our plans?").click()
    dialog = messenger(customer)
    dialog.get_by_role("group", name="How can we help?").get_by_role(
        "button", name="Pricing").click()
    email = dialog.get_by_role("textbox", name="Your email?")
    email.fill("not-an-email")
    email.press("Enter")
    expect(email).to_have_attribute("aria-invalid", "true")
    email.fill("ana@example.com")
    email.press("Enter")
    expect(dialog.get_by_text("Connecting you to sales.")).to_be_visible()
    expect(dialog.get_by_role("textbox", name="Write a message…")).to_be_focused()

    # -- the ticket: both sets of tags, the transcript ------------------------------------------
    tickets = eventually(lambda: [t for t in site.api.get("/api/v1/tickets").json()
                                  if t["proactive_message_id"] == message_id])
    [ticket] = tickets
    assert sorted(ticket["tags"]) == ["promo", "sales"]
    assert ticket["requester_email"] == "ana@example.com"

    agent = new_page(browser)
    sign_in(agent, site.base, DEMO_AGENT_EMAIL, DEMO_ADMIN_PASSWORD)
    agent.goto(f"{site.base}/agent#ticket-{ticket['id']}")
    items = agent.locator("#aw-messages > li:not(.aw-msg-system)")
    expect(items.locator(".aw-msg-body")).to_have_text([
        "Questions about our plans?", "How can we help?", "Pricing", "Your email?",
        "ana@example.com", "Connecting you to sales."])
    expect(items.locator(".aw-msg-author")).to_have_text(
        ["Bot", "Bot", "Customer", "Bot", "Customer", "Bot"])
    expect(agent.locator("#aw-tag-chips li")).to_have_text(["promo", "sales"])

    # -- Replied counts 1 in the list -----------------------------------------------------------
    def replied() -> str:
        admin.goto(f"{site.base}/admin/proactive-messages")
        return admin.locator(f'tr[data-id="{message_id}"] td.num').nth(2).inner_text()

    eventually(lambda: replied() == "1")

    # -- unpublishing the bot: Contains errors, naming the bot ---------------------------------
    admin.goto(f"{site.base}/admin/bots")
    admin.get_by_role("link", name="Concierge").click()
    admin.get_by_role("button", name="Unpublish").click()
    expect(admin.locator("h1 .badge")).to_have_text("Draft")
    admin.goto(f"{site.base}/admin/proactive-messages")
    expect(admin.locator(f'tr[data-id="{message_id}"] .badge')).to_have_text("Contains errors")
    admin.goto(message_url)
    expect(admin.locator(".pe-problems li")).to_contain_text(
        ["The bot “Concierge” is not published."])
    # A new visitor no longer gets it.
    other = new_page(browser)
    assert goto(other, site.url("/demo"))["show"] is None
    for p in (customer, agent, other):
        p.context.close()
