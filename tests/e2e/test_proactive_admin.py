"""The proactive messages admin in a real browser: list, editor, lifecycle, dependencies."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

READY_MADE = ("Greet first-time visitors", "Offer help on the pricing page",
              "Welcome back returning customers")
COLUMNS = ("name", "status", "channel", "sent", "opened", "replied", "updated_at")
FIRST_ORDER = {"name": "ascending", "status": "ascending", "channel": "ascending",
               "sent": "descending", "opened": "descending", "replied": "descending",
               "updated_at": "descending"}
FLIP = {"ascending": "descending", "descending": "ascending"}


def rows(page: Page):
    return page.locator("table.proactive-list tbody tr")


def row(page: Page, name: str):
    return page.locator("table.proactive-list tbody tr", has=page.get_by_role(
        "link", name=name, exact=True))


def status_badge(page: Page):
    return page.locator("h1 .badge")


def editor_action(page: Page, action: str):
    return page.locator(f'.pe-actions [data-action="{action}"]')


def top_rows(page: Page):
    return page.locator(".cb-root > .cb-list > .cb-row")


def nested_rows(page: Page):
    return page.locator(".cb-nested .cb-row")


def describe_a_visit(page: Page, seconds: str = "30") -> None:
    page.locator("#pe-test-url").fill("https://acme.test/pricing")
    page.locator("#pe-test-language").fill("en-GB")
    page.locator("#pe-test-history").select_option("new")
    page.locator("#pe-test-device").select_option("desktop")
    page.locator("#pe-test-seconds").fill(seconds)
    page.get_by_role("button", name="Test", exact=True).click()


def test_an_admin_manages_proactive_messages_end_to_end(admin_page: Page, live_server: str):
    page = admin_page
    base = f"{live_server}/admin/proactive-messages"

    # -- the three ready-made drafts, on the first visit ------------------------------------
    # (The demo data may hold live messages of its own; the drafts are the three below.)
    page.goto(base)
    drafts = page.locator('table.proactive-list tbody tr:has([data-status="draft"])')
    expect(drafts).to_have_count(3)
    for name in READY_MADE:
        expect(row(page, name).locator(".badge")).to_have_text("Draft")
        expect(row(page, name).locator("td.channel")).to_have_text("Acme website")
    total = rows(page).count()
    page.reload()
    expect(drafts).to_have_count(3)
    expect(rows(page)).to_have_count(total)

    # The options menu opens from the keyboard and offers exactly the Draft actions.
    menu = row(page, "Offer help on the pricing page").locator("details.menu")
    menu.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(menu.locator(".menu-items")).to_be_visible()
    expect(menu.locator("[data-action]")).to_have_text(["Edit", "Clone", "Publish", "Delete"])
    page.keyboard.press("Escape")
    expect(menu.locator(".menu-items")).to_be_hidden()
    menu.locator("summary").click()
    menu.get_by_role("link", name="Edit").click()

    # -- the editor -------------------------------------------------------------------------
    expect(page.locator("h1")).to_contain_text("Offer help on the pricing page")
    expect(status_badge(page)).to_have_text("Draft")
    page.locator("#pe-name").fill("Pricing help")

    # Start the rule from scratch: remove the ready-made condition.
    expect(top_rows(page)).to_have_count(1)
    top_rows(page).first.locator(".cb-remove").click()
    expect(top_rows(page)).to_have_count(0)
    add = page.locator(".cb-root > .cb-actions .cb-add")
    nested = page.get_by_role("button", name="Add nested condition")
    expect(add).to_have_text("Add condition")
    expect(nested).to_be_hidden()

    add.click()
    first = top_rows(page).nth(0)
    expect(first.locator(".cb-field")).to_be_focused()
    expect(first.locator(".cb-field")).to_have_value("page_url")
    first.locator(".cb-operator").select_option("contains")
    first.locator(".cb-value").first.fill("/pricing")
    first.locator(".cb-value-add").click()  # "+ value": a second URL
    first.locator(".cb-value").nth(1).fill("/plans")
    expect(nested).to_be_hidden()

    add.click()
    second = top_rows(page).nth(1)
    second.locator(".cb-field").select_option("device_type")
    expect(second.locator(".cb-operator")).to_have_value("is")
    second.locator(".cb-value").select_option("desktop")
    expect(nested).to_be_hidden()  # two conditions may not nest

    add.click()
    third = top_rows(page).nth(2)
    third.locator(".cb-field").select_option("visit_count")
    third.locator(".cb-operator").select_option("gte")
    third.locator(".cb-value").fill("1")
    expect(nested).to_be_visible()  # from three conditions on

    nested.click()
    group = page.locator(".cb-nested")
    expect(group).to_have_count(1)
    inner = nested_rows(page).nth(0)
    expect(inner.locator(".cb-field")).to_be_focused()
    group.locator(".cb-op").select_option("all")
    expect(group.locator(".cb-op")).to_be_focused()
    group.locator(".cb-op").select_option("any")
    inner.locator(".cb-field").select_option("language")
    inner.locator(".cb-value").fill("en")
    group.get_by_role("button", name="Add condition").click()
    inner2 = nested_rows(page).nth(1)
    inner2.locator(".cb-field").select_option("visit_history")
    inner2.locator(".cb-value").select_option("returning")
    expect(nested_rows(page)).to_have_count(2)

    # The live preview follows the text, as the customer will see it.
    text = page.locator("#pe-text")
    text.fill("Comparing plans, ")
    page.get_by_role("button", name="+ {{first_name}}").click()
    text.press("End")
    text.type("? We can **help** — [see plans](https://acme.test/plans).")
    bubble = page.locator(".pe-bubble")
    expect(bubble.locator(".pe-sender")).to_have_text("Acme Support")
    expect(bubble.locator(".pe-bubble-text")).to_have_text(
        "Comparing plans, Maria? We can help — see plans.")
    expect(bubble.locator(".pe-bubble-text strong")).to_have_text("help")
    expect(bubble.locator(".pe-bubble-text a")).to_have_attribute(
        "href", "https://acme.test/plans")
    expect(page.locator("#pe-counter")).to_contain_text("of 1000 characters")
    page.locator("#pe-emoji-toggle").click()
    page.locator("#pe-emoji-palette button").first.click()
    expect(bubble.locator(".pe-bubble-text")).to_contain_text("👋")

    # Collect chips: remove Name, add it back.
    page.locator('[data-collect="name"] button').click()
    expect(page.locator("[data-collect]")).to_have_count(1)
    page.get_by_role("button", name="+ Name").click()
    expect(page.locator("[data-collect]")).to_have_count(2)

    page.get_by_label("Visitor is on the page").check()
    page.locator("#pe-minutes").fill("0")
    page.locator("#pe-seconds").fill("20")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".flash")).to_have_text("Proactive message saved.")
    expect(page.locator("h1")).to_contain_text("Pricing help")
    expect(top_rows(page)).to_have_count(3)
    expect(nested_rows(page)).to_have_count(2)
    expect(top_rows(page).nth(0).locator(".cb-value")).to_have_count(2)
    expect(page.locator(".cb-nested .cb-op")).to_have_value("any")
    expect(page.locator("#pe-seconds")).to_have_value("20")

    # -- test a visit -----------------------------------------------------------------------
    describe_a_visit(page)
    result = page.locator("#pe-test-result")
    expect(result.locator(".tree-verdict")).to_contain_text("The conditions match this visit.")
    expect(result.locator(".verdict")).to_contain_text("It would not be shown now:")
    expect(result.locator(".reasons")).to_contain_text("The message is Draft")
    expect(result).to_contain_text("✓ Page URL contains /pricing, /plans")
    expect(result).to_contain_text("✗ Visit history is Returning visitor")

    # -- publish, pause, resume, clone ------------------------------------------------------
    editor_action(page, "publish").click()
    expect(status_badge(page)).to_have_text("Live")
    describe_a_visit(page)
    expect(result.locator(".verdict")).to_contain_text("It would be shown now.")
    expect(result.locator(".reasons")).to_have_count(0)
    describe_a_visit(page, seconds="5")
    expect(result.locator(".reasons")).to_have_text("It appears after 20 seconds on the page.")

    editor_action(page, "pause").click()
    expect(status_badge(page)).to_have_text("Paused")
    editor_action(page, "resume").click()
    expect(status_badge(page)).to_have_text("Live")
    editor_url = page.url

    editor_action(page, "clone").click()
    expect(page.locator("h1")).to_contain_text("Copy of Pricing help")
    expect(status_badge(page)).to_have_text("Draft")
    assert page.url != editor_url

    # -- sorting by every column ------------------------------------------------------------
    page.goto(base)
    expect(rows(page)).to_have_count(total + 1)
    for column in COLUMNS:
        header = page.locator(f'th[data-column="{column}"]')
        header.locator("a").click()
        expect(header).to_have_attribute("aria-sort", FIRST_ORDER[column])
        expect(page.locator("th[aria-sort]")).to_have_count(1)
        header.locator("a").click()
        expect(header).to_have_attribute("aria-sort", FLIP[FIRST_ORDER[column]])
        expect(page).to_have_url(re.compile(rf"sort={column}&order="))
    page.locator('th[data-column="name"] a').click()
    expect(page.locator('th[data-column="name"]')).to_have_attribute("aria-sort", "ascending")
    names = rows(page).locator("td.name").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    page.locator('th[data-column="status"] a').click()
    expect(page.locator('th[data-column="status"]')).to_have_attribute("aria-sort", "ascending")
    statuses = [b.get_attribute("data-status") for b in rows(page).locator(".badge").all()]
    assert statuses == sorted(statuses) and statuses.count("draft") == 3
    page.locator('th[data-column="updated_at"] a').click()  # newest first
    expect(rows(page).first.locator("td.name")).to_have_text("Copy of Pricing help")

    # -- delete with confirmation -----------------------------------------------------------
    menu = row(page, "Greet first-time visitors").locator("details.menu")
    menu.locator("summary").click()
    menu.get_by_role("link", name="Delete").click()
    expect(page.locator("h1")).to_have_text("Delete Greet first-time visitors?")
    page.get_by_role("button", name="Delete").click()
    expect(page.locator(".flash")).to_have_text("Proactive message deleted.")
    expect(rows(page)).to_have_count(total)
    expect(row(page, "Greet first-time visitors")).to_have_count(0)

    # -- the channel goes away: the live message Contains errors ------------------------------
    page.goto(f"{live_server}/admin/channels")
    page.locator("tr", has_text="Acme website").get_by_role("link", name="Delete").click()
    expect(page.locator("h1")).to_have_text("Delete Acme website?")
    page.get_by_role("button", name="Delete").click()
    expect(page.locator(".flash")).to_have_text("Channel deleted.")

    page.goto(base)
    live = row(page, "Pricing help")
    expect(live.locator(".badge")).to_have_text("Contains errors")
    expect(live.locator("td.channel")).to_have_text("—")
    live.locator("summary").click()
    expect(live.locator("[data-action]")).to_have_text(["Edit", "Delete"])
    live.get_by_role("link", name="Edit").click()
    expect(status_badge(page)).to_have_text("Contains errors")
    problems = page.locator(".pe-problems")
    expect(problems).to_contain_text("This message contains errors")
    expect(problems).to_contain_text("Choose a channel (the message has none, or it was deleted).")
    expect(page.locator("#pe-channel-hint")).to_contain_text("cannot carry proactive messages")
    message_url = page.url

    # -- a new channel, and the message re-pointed to it: Live again ------------------------
    page.goto(f"{live_server}/admin/channels/new")
    page.get_by_role("combobox", name="Brand").select_option(label="Acme")
    page.get_by_label("Name", exact=True).fill("Acme new site")
    page.get_by_label("Kind").select_option("web_widget")
    page.get_by_label("Sender name", exact=True).fill("Acme Team")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Channel created.")

    page.goto(message_url)
    page.locator("#pe-channel").select_option(label="Acme new site")
    expect(page.locator(".pe-bubble .pe-sender")).to_have_text("Acme Team")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Proactive message saved.")
    expect(page.locator(".pe-problems")).to_have_count(0)
    expect(status_badge(page)).to_have_text("Contains errors")
    editor_action(page, "publish").click()
    expect(status_badge(page)).to_have_text("Live")

    page.goto(base)
    expect(row(page, "Pricing help").locator(".badge")).to_have_text("Live")
    expect(row(page, "Pricing help").locator("td.channel")).to_have_text("Acme new site")


def test_the_editor_refuses_a_bad_rule_and_keeps_what_was_typed(admin_page: Page,
                                                                 live_server: str):
    page = admin_page
    page.goto(f"{live_server}/admin/proactive-messages/new")
    expect(page.locator("h1")).to_have_text("New proactive message")
    expect(page.locator("#pe-brand")).to_have_value(re.compile(r"\d+"))  # the only brand
    expect(page.locator("#pe-channel option:checked")).to_have_text("Acme website")
    expect(page.locator(".cb-empty")).to_be_visible()
    page.locator("#pe-name").fill("Count visits")
    add = page.locator(".cb-root > .cb-actions .cb-add")
    add.click()
    page.locator(".cb-row .cb-field").select_option("visit_count")
    page.locator(".cb-row .cb-value").fill("")
    page.locator("#pe-priority").fill("")
    page.get_by_role("button", name="Save").click()

    errors = page.locator("#pe-errors")
    expect(errors).to_contain_text("Nothing was saved.")
    expect(errors).to_contain_text("Condition 1 (Visit count), Value")
    expect(errors).not_to_contain_text("conditions.all.0.value")
    expect(errors).to_contain_text("Priority")
    expect(page.locator(".cb-row .cb-errors")).to_contain_text("whole number")
    expect(page.locator(".cb-row .cb-value")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#pe-name")).to_have_value("Count visits")
    expect(page.locator(".cb-row .cb-field")).to_have_value("visit_count")

    page.locator(".cb-row .cb-value").fill("3")
    page.locator("#pe-priority").fill("2")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Proactive message created.")
    expect(status_badge(page)).to_have_text("Draft")
    expect(page.locator(".pe-problems")).to_contain_text("Write the message.")
    expect(page.locator(".cb-row .cb-value")).to_have_value("3")
