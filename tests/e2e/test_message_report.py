"""A message's report page in a real browser, after real widget visits on the demo site: the
figures are the API's, the chart has its axes and legend, the CSV downloads with the range's
rows, and axe-core finds nothing serious — in English and in Brazilian Portuguese."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import widget_helpers
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import choose_language
from tests.e2e.widget_helpers import DemoSite, bubble, eventually, goto, messenger, new_page

site = widget_helpers.site

NAME = "=cmd|' /C calc'!A0, pricing, \"big\" sale"
TEXT = "Questions about our plans?"
WORDS = {"en": ("Sent", "Opened", "Replied", "Show as a table"),
         "pt_BR": ("Enviada", "Aberta", "Respondida", None)}


@pytest.fixture
def browser_context_args(browser_context_args):
    """axe-core is injected as a script: the admin's page lets it in (its CSP is bypassed)."""
    return {**browser_context_args, "bypass_csp": True}


def visits(browser: Browser, site: DemoSite) -> dict:
    """Three customers: one replies (a ticket, tagged), one dismisses, one only sees it."""
    message = site.live_message(TEXT, name=NAME, tags=["pricing", "vip"],
                                response={"type": "agent", "collect": [],
                                          "follow_up": "Thanks!"})
    replier, dismisser, looker = (new_page(browser) for _ in range(3))
    goto(replier, site.url("/demo"))
    bubble(replier).get_by_role("button", name=TEXT).click()
    box = messenger(replier).get_by_role("textbox", name="Write a message…")
    box.fill("Which plan has SSO?")
    box.press("Enter")
    expect(messenger(replier).locator(".msg.visitor")).to_have_count(1)
    goto(dismisser, site.url("/demo"))
    bubble(dismisser).locator(".x").click()
    expect(bubble(dismisser)).to_have_count(0)
    goto(looker, site.url("/demo"))
    expect(bubble(looker)).to_contain_text(TEXT)

    def counted():
        got = site.api.get(f"/api/v1/proactive-messages/{message['id']}/stats").json()
        t = got["totals"]
        return (t["sent"], t["opened"], t["replied"], t["dismissals"]) == (3, 1, 1, 1)
    eventually(counted)
    eventually(lambda: [t for t in site.api.get("/api/v1/tickets").json()
                        if t["proactive_message_id"] == message["id"]])
    for p in (replier, dismisser, looker):
        p.context.close()
    return message


def shown(page: Page, name: str) -> str:
    return page.locator(f'[data-figure="{name}"]').locator("dd, strong").inner_text().strip()


@pytest.mark.parametrize("locale", ["en", "pt_BR"])
def test_the_report_after_widget_visits(browser: Browser, admin_page: Page, live_server: str,
                                        site: DemoSite, locale: str):
    message = visits(browser, site)
    page = admin_page
    choose_language(page, locale)
    sent, opened, replied, table = WORDS[locale]
    page.goto(f"{live_server}/admin/proactive-messages/{message['id']}")
    page.locator(f'a[href="/admin/proactive-messages/{message["id"]}/report"]').click()
    expect(page.locator("h1")).to_contain_text(NAME)
    first = page.locator('input[name="from"]').input_value()
    last = page.locator('input[name="to"]').input_value()

    api = site.api.get(f"/api/v1/proactive-messages/{message['id']}/stats",
                       params={"from": first, "to": last}).json()
    sums = {k: sum(d[k] for d in api["days"]) for k in
            ("sent", "opened", "replied", "showings", "opens", "dismissals", "replies")}
    assert (sums["sent"], sums["opened"], sums["replied"]) == (3, 1, 1)
    for name, value in sums.items():
        assert shown(page, name) == str(value), name
    percent = {"en": ("33.3%", "100.0%"), "pt_BR": ("33,3%", "100,0%")}[locale]
    assert shown(page, "open-rate") == percent[0]
    assert shown(page, "reply-rate-opened") == percent[1]

    # The chart: a legend, y ticks with numbers, dates on the x axis, a value on each bar.
    expect(page.locator(".rp-legend li")).to_have_text([sent, opened, replied])
    chart = page.locator("svg.rp-chart")
    expect(chart.locator(".rp-y-axis text").first).to_have_text("0")
    expect(chart.locator(".rp-x-axis text").first).to_have_text(first)
    today = api["days"][-1]["day"]
    assert chart.locator(f'rect.sent title:text-is("{today} — {sent} 3")').count() == 1
    if table:
        page.get_by_text(table).click()
    row = page.locator(".rp-table tbody tr").last
    expect(row).to_have_text(re.compile(rf"{today}\s*3\s*1\s*1"))

    # The tickets it started, by tag, linked to the agent workspace.
    expect(page.locator('[data-figure="tickets"]')).to_contain_text("1")
    expect(page.locator(".rp-tags tbody tr")).to_have_count(2)
    expect(page.locator('tr[data-tag="pricing"] a')).to_have_attribute(
        "href", "/agent?view=open&q=pricing")

    assert_accessible(page, f"the message's report ({locale})")

    # The CSV of the range: the API's rows, with the message named and neutralised.
    with page.expect_download() as got:
        page.locator("#rp-csv").click()
    rows = list(csv.reader(io.StringIO(got.value.path().read_text(encoding="utf-8"))))
    api_csv = site.api.get(f"/api/v1/proactive-messages/{message['id']}/stats",
                           params={"from": first, "to": last, "format": "csv"}).text
    assert [r[1:] for r in rows] == list(csv.reader(io.StringIO(api_csv)))
    assert rows[0][0] == "message"
    assert {r[0] for r in rows[1:]} == {"'" + NAME}
    assert rows[-1][1:4] == [today, "3", "1"]

    # A tag opens the queue on the open tickets that carry it: the reply's ticket.
    page.locator('tr[data-tag="pricing"] a').click()
    expect(page.locator("#aw-q")).to_have_value("pricing")
    expect(page.locator("#aw-queue-list a")).to_have_count(1)


def test_a_reversed_range_is_said_on_the_page(admin_page: Page, live_server: str,
                                              site: DemoSite):
    message = site.live_message("Hello there", name="Hello")
    page = admin_page
    page.goto(f"{live_server}/admin/proactive-messages/{message['id']}/report")
    page.locator('input[name="from"]').fill("2026-11-25")
    page.locator('input[name="to"]').fill("2026-11-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_contain_text("The start of the range is after its end")
    expect(page.locator("svg.rp-chart")).to_have_count(0)
    assert_accessible(page, "the report's refused range")
