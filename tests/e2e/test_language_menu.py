"""The language menu of the top bar brings the admin back to where they were: the same list
filters, the same place in the page (an open ticket, a step of a flow)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from overture.bots.models import BotAnswer


def test_switching_language_keeps_the_filters_and_the_place_in_the_page(
        admin_page: Page, live_server: str, app):
    page = admin_page
    page.goto(f"{live_server}/admin/proactive-messages?q=demo&status=live")
    with page.expect_navigation():
        page.locator("#locale-select").select_option("pt_BR")
    expect(page).to_have_url(re.compile(r"/admin/proactive-messages\?q=demo&status=live$"))
    expect(page.get_by_role("searchbox").or_(page.locator("input[name=q]"))).to_have_value("demo")
    expect(page.locator("h1")).to_have_text("Mensagens proativas")

    with app.state.db.unit_of_work() as db:
        answer = db.scalar(select(BotAnswer).where(BotAnswer.name == "App help"))
        url = f"{live_server}/admin/bots/{answer.bot_id}/answers/{answer.id}#step-email"
    page.goto(url)
    with page.expect_navigation():
        page.locator("#locale-select").select_option("en")
    expect(page).to_have_url(re.compile(r"/answers/\d+#step-email$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
