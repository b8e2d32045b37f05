"""Sessions that end, as people meet them in a browser: signing out, an admin signing an agent
out, API tokens made and revoked on the account page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from overture.demo.service import DEMO_ADMIN_PASSWORD, DEMO_AGENT_EMAIL
from tests.e2e.conftest import sign_in


def test_signing_out_ends_the_session_for_a_copied_cookie(admin_page, live_server, browser):
    page = admin_page
    copy = browser.new_context()
    try:
        copy.add_cookies(page.context.cookies())
        other = copy.new_page()
        other.goto(f"{live_server}/admin/users")
        expect(other.get_by_role("heading", name="Users")).to_be_visible()

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/login$"))

        other.goto(f"{live_server}/admin/users")
        expect(other).to_have_url(re.compile(r"/login\?next=/admin/users$"))
    finally:
        copy.close()


def test_an_agent_signed_out_by_an_admin_is_told_at_once(admin_page, live_server, browser):
    agent_context = browser.new_context()
    try:
        agent = agent_context.new_page()
        sign_in(agent, live_server, email=DEMO_AGENT_EMAIL, password=DEMO_ADMIN_PASSWORD)
        expect(agent).to_have_url(f"{live_server}/agent")
        expect(agent.locator("#aw-session")).to_be_hidden()

        admin = admin_page
        admin.goto(f"{live_server}/admin/users")
        admin.once("dialog", lambda dialog: dialog.accept())
        admin.get_by_role("button", name="Sign Alex Agent out everywhere").click()
        expect(admin.get_by_role("status")).to_contain_text("agent@example.com is signed out")

        # The open workspace hears it from its socket, without a reload.
        expect(agent.locator("#aw-session")).to_be_visible()
        expect(agent.locator("#aw-session").get_by_role("link")).to_have_attribute(
            "href", "/login?next=/agent")
        agent.reload()
        expect(agent).to_have_url(re.compile(r"/login\?next=/agent$"))
    finally:
        agent_context.close()


def test_the_account_page_makes_shows_once_and_revokes_a_token(admin_page, live_server):
    page = admin_page
    page.get_by_role("link", name="Ada Admin").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    page.get_by_label("Token name").fill("Nightly <export>")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("[data-new-token]").inner_text()
    assert secret.startswith("ovt_")

    # The token works, until it is revoked.
    me = page.request.get(f"{live_server}/api/v1/me",
                          headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200 and me.json()["email"] == "admin@example.com"

    page.goto(f"{live_server}/account")
    expect(page.locator("[data-new-token]")).to_have_count(0)  # shown once
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke token Nightly <export>").click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.get_by_role("row", name=re.compile("Nightly <export>"))).to_contain_text(
        "revoked")
    gone = page.request.get(f"{live_server}/api/v1/me",
                            headers={"Authorization": f"Bearer {secret}"})
    assert gone.status == 401
