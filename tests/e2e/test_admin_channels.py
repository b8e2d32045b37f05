"""An admin adds a web widget channel in a real browser and copies its embed snippet."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_admin_creates_a_channel_and_sees_its_snippet(admin_page, live_server):
    page = admin_page
    page.goto(f"{live_server}/admin/channels")
    page.get_by_role("link", name="New channel").click()
    expect(page).to_have_url(f"{live_server}/admin/channels/new")

    page.get_by_role("combobox", name="Brand").select_option(label="Acme")
    page.get_by_role("textbox", name="Name", exact=True).fill("Shop <widget>")
    page.get_by_label("Kind").select_option("web_widget")
    page.get_by_label("Allowed origins").fill("https://shop.example.com")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{live_server}/admin/channels")
    expect(page.get_by_role("status")).to_contain_text("Channel created.")
    row = page.get_by_role("row").filter(has_text="Shop <widget>")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Acme")
    expect(row).to_contain_text("Web widget")
    key = row.locator("code").inner_text()
    assert re.fullmatch(r"[\w-]{12,40}", key), key

    row.get_by_role("link", name="Shop <widget>").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shop <widget>")
    snippet = page.locator("pre.snippet")
    expect(snippet).to_have_text(
        f'<script src="{live_server}/widget.js" data-channel="{key}" async></script>')
    expect(page.locator("code.channel-key")).to_have_text(key)
    expect(page.get_by_label("Allowed origins")).to_have_value("https://shop.example.com")
