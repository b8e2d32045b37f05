"""Bots in a real browser: an admin builds an answer's flow with the editor, tries it, publishes
the bot, connects it to a channel and answers a proactive message with it; problems link to
the step they are about."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

XSS = "<script>alert(1)</script>"


def card(page: Page, step_id: str):
    return page.locator(f'.be-step[data-step="{step_id}"]')


def add_step(page: Page, kind: str, step_id: str):
    page.locator("#be-new-type").select_option(kind)
    page.get_by_role("button", name="Add step", exact=True).click()
    step = card(page, step_id)
    expect(step.locator(".be-text")).to_be_focused()  # ready to type
    return step


def test_an_admin_builds_tries_publishes_and_uses_a_bot(admin_page: Page, live_server: str):
    page = admin_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # -- a new bot, and an answer ---------------------------------------------------------------
    page.goto(f"{live_server}/admin/bots")
    page.get_by_role("link", name="New bot").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Sales helper")
    page.get_by_role("combobox", name="Brand").select_option(label="Acme")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Bot created. Add its answers below.")
    expect(page.locator("h1")).to_contain_text("Sales helper")
    expect(page.locator("h1 .badge")).to_have_text("Draft")
    bot_url = page.url

    page.get_by_label("New answer").fill("Sales")
    page.get_by_role("button", name="Add answer").click()
    expect(page.locator(".flash")).to_have_text("Answer added. Build its flow below.")
    answer_id = re.search(r"/answers/(\d+)$", page.url).group(1)
    expect(page.locator(".be-empty")).to_be_visible()

    # -- the flow, built with the editor ----------------------------------------------------------
    menu = add_step(page, "options", "step-1")
    menu.locator(".be-text").fill("How can we help?")
    menu.locator(".be-option-label").nth(0).fill("Talk to sales")
    menu.get_by_role("button", name="Add a button").click()
    expect(menu.locator(".be-option-label").nth(1)).to_be_focused()
    menu.locator(".be-option-label").nth(1).fill(XSS)

    email = add_step(page, "collect", "step-2")
    email.locator(".be-text").fill("Your email, please?")
    expect(email.locator(".be-field")).to_have_value("email")

    agent = add_step(page, "handoff", "step-3")
    agent.locator(".be-text").fill("Passing you to sales.")
    agent.locator(".be-tags").fill("sales, VIP")
    # The question was leading nowhere: the new step follows it.
    expect(email.get_by_role("combobox", name="Next step")).to_have_value("step-3")

    bye = add_step(page, "end", "step-4")
    bye.locator(".be-text").fill("Bye!")

    menu.get_by_role("combobox", name="Step after button 1").select_option("step-2")
    menu.get_by_role("combobox", name="Step after button 2").select_option("step-4")
    expect(menu.locator(".be-out li")).to_have_text(["Talk to sales → step-2", f"{XSS} → step-4"])
    expect(email.locator(".be-in")).to_have_text("Reached from: step-1")
    expect(bye.locator(".be-in")).to_have_text("Reached from: step-1")

    # A greeting added last, then moved up to start the answer.
    hello = add_step(page, "message", "step-5")
    hello.locator(".be-text").fill("Hello!")
    hello.get_by_role("combobox", name="Next step").select_option("step-1")
    expect(hello.locator(".be-step-n")).to_have_text("Step 5")
    for _ in range(4):
        hello.get_by_role("button", name="Move step step-5 up").click()
    expect(page.locator(".be-step")).to_have_count(5)
    expect(page.locator(".be-step .be-step-id")).to_have_text(
        ["step-5", "step-1", "step-2", "step-3", "step-4"])
    expect(hello.locator(".be-start")).to_have_text("Starts the answer")
    expect(hello.get_by_role("button", name="Move step step-5 up")).to_be_disabled()
    expect(menu.locator(".be-in")).to_have_text("Reached from: step-5")
    expect(page.locator("#be-dirty")).to_have_text("Unsaved changes.")

    # -- Try it: the steps on the screen, as the customer sees them -------------------------------
    chat, prompt = page.locator("#be-chat"), page.locator("#be-prompt")
    expect(page.locator("#be-stale")).to_be_visible()  # the flow changed since the first try
    page.get_by_role("button", name="Restart").click()
    expect(page.locator("#be-stale")).to_be_hidden()
    expect(chat.locator(".be-msg")).to_have_text(["Hello!", "How can we help?"])
    expect(prompt.locator(".be-choice")).to_have_text(["Talk to sales", XSS])
    prompt.get_by_role("button", name="Talk to sales").click()
    expect(chat.locator(".be-customer")).to_have_text("You: Talk to sales")
    expect(chat.locator(".be-bot").last).to_have_text("Your email, please?")
    reply = prompt.get_by_role("textbox", name="Email")
    reply.fill("not an email")
    prompt.get_by_role("button", name="Send").click()
    expect(prompt.get_by_role("alert")).to_have_text("Enter a valid email address.")
    expect(reply).to_have_attribute("aria-invalid", "true")
    reply.fill("ana@example.com")
    prompt.get_by_role("button", name="Send").click()
    expect(chat.locator(".be-customer").last).to_have_text("You: ana@example.com")
    expect(chat.locator(".be-bot").last).to_have_text("Passing you to sales.")
    expect(chat.locator(".be-note")).to_have_text("Handed to an agent (tags: sales, vip)")
    expect(prompt.locator("input, button")).to_have_count(0)

    page.get_by_role("button", name="Restart").click()
    prompt.get_by_role("button", name=XSS).click()  # the label is text, never markup
    expect(chat.locator(".be-customer")).to_have_text(f"You: {XSS}")
    expect(chat.locator(".be-note")).to_have_text("Conversation ended")

    # -- saved, then published ------------------------------------------------------------------
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_have_text("Answer saved.")
    expect(page.locator(".be-problems")).to_have_count(0)
    expect(page.locator(".be-step .be-step-id")).to_have_text(
        ["step-5", "step-1", "step-2", "step-3", "step-4"])
    expect(card(page, "step-3").locator(".be-tags")).to_have_value("sales, vip")
    expect(card(page, "step-1").locator(".be-option-label").nth(1)).to_have_value(XSS)

    page.get_by_role("link", name="Back to the bot").click()
    expect(page).to_have_url(bot_url)
    expect(page.locator(".bot-problems")).to_have_count(0)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash")).to_have_text(
        "Published: channels connected to this bot run it now.")
    expect(page.locator("h1 .badge")).to_have_text("Published")

    # -- connected to the demo channel ----------------------------------------------------------
    page.goto(f"{live_server}/admin/channels")
    page.get_by_role("link", name="Acme website").first.click()
    page.get_by_role("combobox", name="Bot").select_option(label="Sales helper")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Channel saved.")
    page.goto(f"{live_server}/admin/bots")
    row = page.locator("table.bot-list tbody tr").filter(has_text="Sales helper")
    expect(row.locator(".badge")).to_have_text("Published")
    expect(row.locator("td.channels")).to_have_text("Acme website")

    # -- a proactive message answered by the bot ------------------------------------------------
    page.goto(f"{live_server}/admin/proactive-messages/new")
    page.locator("#pe-name").fill("Sales by bot")
    expect(page.locator("#pe-channel option:checked")).to_have_text("Acme website")
    page.locator("#pe-text").fill("Questions about our plans?")
    expect(page.locator(".pe-bubble .pe-sender")).to_have_text("Acme Support")
    page.get_by_label("Bot response").check()
    expect(page.locator("#pe-bot-id option:checked")).to_have_text("Sales helper")
    expect(page.locator("#pe-answer-id")).to_have_value(answer_id)
    expect(page.locator("#pe-answer-id option:checked")).to_have_text("Sales")
    expect(page.locator("#pe-bot-hint")).to_have_text("")
    expect(page.locator(".pe-bubble .pe-sender")).to_have_text("Sales helper")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_have_text("Proactive message created.")
    expect(page.locator(".pe-problems")).to_have_count(0)
    expect(page.get_by_label("Bot response")).to_be_checked()
    expect(page.locator("#pe-answer-id")).to_have_value(answer_id)
    page.locator('.pe-actions [data-action="publish"]').click()
    expect(page.locator("h1 .badge")).to_have_text("Live")

    # Agent responses work as before.
    page.get_by_label("Agent response").check()
    expect(page.locator("#pe-follow-up")).to_be_visible()
    expect(page.locator("#pe-bot")).to_be_hidden()
    expect(page.locator(".pe-bubble .pe-sender")).to_have_text("Acme Support")
    assert dialogs == []


def test_a_channel_without_a_published_bot_is_said_in_words(admin_page: Page, live_server: str,
                                                            app):
    from sqlalchemy import select

    from overture.bots.schemas import BotIn
    from overture.bots.service import create_bot
    from overture.brands.models import Brand
    from overture.channels.schemas import ChannelIn
    from overture.channels.service import create_channel

    with app.state.db.unit_of_work() as db:
        brand = db.scalar(select(Brand).where(Brand.name == "Acme"))
        draft = create_bot(db, BotIn(brand_id=brand.id, name="Drafty"))
        bare = create_channel(db, ChannelIn(brand_id=brand.id, name="Side site"))
        create_channel(db, ChannelIn(brand_id=brand.id, name="Draft site", bot_id=draft.id))
        bare_id, draft_id = bare.id, draft.id

    page = admin_page
    page.goto(f"{live_server}/admin/proactive-messages/new")
    page.get_by_label("Bot response").check()
    hint, bots = page.locator("#pe-bot-hint"), page.locator("#pe-bot-id")

    page.locator("#pe-channel").select_option(label="Side site")
    expect(hint).to_contain_text("The channel “Side site” has no connected published bot.")
    expect(hint.get_by_role("link", name="Connect a bot on the channel's page")).to_have_attribute(
        "href", f"/admin/channels/{bare_id}")
    expect(bots).to_be_disabled()
    expect(page.locator("#pe-answer-id")).to_be_disabled()

    page.locator("#pe-channel").select_option(label="Draft site")
    expect(hint).to_contain_text("The bot “Drafty” connected to the channel “Draft site” is a "
                                 "draft: publish it first.")
    expect(hint.get_by_role("link", name="Open the bot")).to_have_attribute(
        "href", f"/admin/bots/{draft_id}")
    expect(bots.locator("option:checked")).to_have_text("Drafty (draft)")

    # The demo channel's bot is published: nothing to say, and the bubble comes from the bot.
    page.locator("#pe-channel").select_option(label="Acme website")
    expect(hint).to_have_text("")
    expect(bots).to_be_enabled()
    expect(page.locator(".pe-bubble .pe-sender")).to_have_text(
        bots.locator("option:checked").inner_text())
    page.get_by_label("Agent response").check()
    expect(page.locator(".pe-bubble .pe-sender")).to_have_text("Acme Support")


def test_problems_link_to_the_step_they_are_about(admin_page: Page, live_server: str, app):
    from sqlalchemy import select

    from overture.bots.schemas import AnswerIn, BotIn
    from overture.bots.service import create_answer, create_bot
    from overture.brands.models import Brand

    # A loop with no way out (start → ask → start or again → ask), and a step never reached.
    steps = [
        {"id": "start", "type": "message", "text": "Hi", "next": "ask"},
        {"id": "ask", "type": "options", "text": "Again?", "options": [
            {"label": "Yes", "next": "start"}, {"label": "Maybe", "next": "again"}]},
        {"id": "again", "type": "message", "text": "Once more", "next": "ask"},
        {"id": "orphan", "type": "end", "text": "Never seen"},
    ]
    with app.state.db.unit_of_work() as db:
        brand = db.scalar(select(Brand).where(Brand.name == "Acme"))
        bot = create_bot(db, BotIn(brand_id=brand.id, name="Looper"))
        answer = create_answer(db, bot, AnswerIn.model_validate({"name": "Loop",
                                                                 "steps": steps}))
        bot_id, answer_id = bot.id, answer.id

    page = admin_page
    page.set_viewport_size({"width": 1100, "height": 520})
    page.goto(f"{live_server}/admin/bots/{bot_id}")
    problems = page.locator(".bot-problems")
    expect(problems).to_contain_text("Answer “Loop”: Step “orphan” can never be reached")
    expect(problems).to_contain_text("From step “again” the customer can never reach a handoff")

    page.get_by_role("button", name="Publish").click()
    refused = page.get_by_role("alert")
    expect(refused).to_contain_text("Not published. Fix these problems first:")
    expect(page.locator(".flash")).to_have_count(0)
    expect(page.locator("h1 .badge")).to_have_text("Draft")

    refused.get_by_role("link", name=re.compile("Step “orphan” can never be reached")).click()
    expect(page).to_have_url(f"{live_server}/admin/bots/{bot_id}/answers/{answer_id}#step-orphan")
    orphan = card(page, "orphan")
    expect(orphan).to_have_class(re.compile(r"\btargeted\b"))
    expect(orphan).to_be_in_viewport()
    expect(orphan).to_have_class(re.compile(r"\bhas-problem\b"))
    expect(orphan.locator(".be-problem")).to_contain_text("can never be reached")
    expect(orphan.locator(".be-in")).to_have_text("No step leads here.")

    # From the editor's own list, the link jumps to the card of the loop's step.
    page.evaluate("window.scrollTo(0, 0)")
    again = card(page, "again")
    expect(again).not_to_be_in_viewport()
    page.locator(".be-problems").get_by_role(
        "link", name=re.compile("From step “again”")).click()
    expect(page).to_have_url(re.compile(r"#step-again$"))
    expect(again).to_be_in_viewport()
    expect(again).to_have_class(re.compile(r"\btargeted\b"))
    expect(again).to_be_focused()
    expect(orphan).not_to_have_class(re.compile(r"\btargeted\b"))
    expect(again.locator(".be-problem")).to_contain_text("a loop with no way out")

    # Trying it shows the loop: the buttons keep coming back, with no end.
    page.get_by_role("button", name="Maybe").click()
    expect(page.locator("#be-chat .be-bot").last).to_have_text("Again?")
