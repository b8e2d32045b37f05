"""The messages overview in a real browser, after real widget visits on the demo site: the
row of the message shows the API's figures for the range, the name opens its report for the
same range, the columns sort, the CSV downloads, and axe-core finds nothing serious — in
English and in Brazilian Portuguese."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import widget_helpers
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import choose_language
from tests.e2e.test_message_report import NAME, visits
from tests.e2e.widget_helpers import DemoSite

site = widget_helpers.site

BASE = "/admin/proactive-messages"
COUNTS = ("sent", "opened", "replied", "showings", "dismissals")


@pytest.fixture
def browser_context_args(browser_context_args):
    """axe-core is injected as a script: the admin's page lets it in (its CSP is bypassed)."""
    return {**browser_context_args, "bypass_csp": True}


def cell(page: Page, mid: int | str, name: str) -> str:
    return page.locator(f'tr[data-id="{mid}"] [data-figure="{name}"]').inner_text().strip()


@pytest.mark.parametrize("locale", ["en", "pt_BR"])
def test_the_overview_after_widget_visits(browser: Browser, admin_page: Page, live_server: str,
                                          site: DemoSite, locale: str):
    message = visits(browser, site)  # three customers: one replies, one dismisses
    mid = message["id"]
    page = admin_page
    choose_language(page, locale)
    page.goto(f"{live_server}{BASE}")
    page.locator("#overview-link").click()
    expect(page).to_have_url(f"{live_server}{BASE}/overview")
    row = page.locator(f'tr[data-id="{mid}"]')
    expect(row.locator("td.name a")).to_have_text(NAME)
    first = page.locator('input[name="from"]').input_value()
    last = page.locator('input[name="to"]').input_value()

    api = site.api.get(f"{BASE.replace('/admin', '/api/v1')}/{mid}/stats",
                       params={"from": first, "to": last}).json()
    sums = {k: sum(d[k] for d in api["days"]) for k in COUNTS}
    assert (sums["sent"], sums["opened"], sums["replied"], sums["dismissals"]) == (3, 1, 1, 1)
    for name, value in sums.items():
        assert cell(page, mid, name) == str(value), name
    rate = {"en": "33.3%", "pt_BR": "33,3%"}[locale]
    assert cell(page, mid, "open-rate") == rate and cell(page, mid, "reply-rate") == rate
    assert cell(page, "totals", "sent") == str(sum(
        int(t) for t in page.locator('tbody [data-figure="sent"]').all_inner_texts()))
    expect(row.locator("svg.ov-bar rect.sent")).to_have_count(1)

    assert_accessible(page, f"the messages overview ({locale})")

    # The columns sort: by sent, most first, then fewest first.
    header = page.locator('th[data-column="sent"]')
    header.locator("a").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    header.locator("a").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.locator('input[name="from"]')).to_have_value(first)
    sent = [int(t) for t in page.locator('tbody [data-figure="sent"]').all_inner_texts()]
    assert sent == sorted(sent)

    # The CSV of the overview: the message named and neutralised, with the same figures.
    with page.expect_download() as got:
        page.locator("#ov-csv").click()
    rows = list(csv.reader(io.StringIO(got.value.path().read_text(encoding="utf-8"),
                                       newline="")))
    mine = [r for r in rows[1:] if r[0] == str(mid)]
    assert mine and mine[0][1] == "'" + NAME
    header_row = rows[0]
    assert {k: int(mine[0][header_row.index(k)]) for k in COUNTS} == sums

    # The name opens the message's report for the same range, with the same figures.
    page.locator(f'tr[data-id="{mid}"] td.name a').click()
    expect(page.locator("h1")).to_contain_text(NAME)
    expect(page.locator('input[name="from"]')).to_have_value(first)
    expect(page.locator('input[name="to"]')).to_have_value(last)
    expect(page.locator('[data-figure="sent"] dd')).to_have_text(str(sums["sent"]))


def test_a_reversed_range_is_said_on_the_overview(admin_page: Page, live_server: str,
                                                  site: DemoSite):
    page = admin_page
    page.goto(f"{live_server}{BASE}/overview")
    page.locator('input[name="from"]').fill("2026-11-25")
    page.locator('input[name="to"]').fill("2026-11-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_contain_text("The start of the range is after its end")
    expect(page.locator("table.ov-table")).to_have_count(0)
    assert_accessible(page, "the overview's refused range")
