"""Signing in, roles and CSRF, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from overture.demo.service import DEMO_ADMIN_PASSWORD, DEMO_AGENT_EMAIL
from tests.e2e.conftest import sign_in


def test_wrong_password_shows_an_error(page, live_server, demo):
    sign_in(page, live_server, password="not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Password")).to_be_visible()
    response = page.goto(f"{live_server}/admin")
    assert response is not None
    expect(page).to_have_url(re.compile(r"/login\?next=/admin$"))


def test_right_password_lands_on_admin(page, live_server, demo):
    sign_in(page, live_server)
    expect(page).to_have_url(f"{live_server}/admin")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_an_agent_gets_403_on_admin_pages(page, live_server, demo):
    sign_in(page, live_server, email=DEMO_AGENT_EMAIL, password=DEMO_ADMIN_PASSWORD)
    response = page.goto(f"{live_server}/admin/channels")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("This page is for admins")
    expect(page.get_by_role("alert")).to_contain_text("You are signed in as an agent.")


def test_a_forged_cross_site_form_post_is_refused(admin_page, live_server):
    page = admin_page
    page.goto("about:blank")
    page.set_content(
        f'<form method="post" action="{live_server}/admin/brands/new">'
        '<input name="name" value="Forged brand"><button type="submit">Win a prize</button>'
        "</form>"
    )
    assert page.evaluate("location.origin") != live_server
    with page.expect_response(f"{live_server}/admin/brands/new") as info:
        page.get_by_role("button", name="Win a prize").click()
    assert info.value.status == 403
    assert info.value.request.method == "POST"

    # No brand was made, and the admin is still signed in.
    response = page.goto(f"{live_server}/admin/brands")
    assert response is not None and response.status == 200
    expect(page.get_by_role("cell", name="Acme")).to_be_visible()
    expect(page.get_by_text("Forged brand")).to_have_count(0)
