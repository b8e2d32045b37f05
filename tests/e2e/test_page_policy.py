"""The admin and agent pages work under their Content Security Policy — no inline script, no
other site — and nothing on them is refused by it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

PAGES = ["/admin", "/admin/proactive-messages", "/admin/proactive-messages/new",
         "/admin/brands", "/admin/channels", "/admin/channels/new", "/admin/schedules",
         "/admin/schedules/new", "/admin/users", "/admin/settings", "/agent"]


def _refusals(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text)
            if "Content Security Policy" in m.text else None)
    return seen


def test_every_page_runs_under_its_policy(admin_page, live_server):
    refused = _refusals(admin_page)
    for path in PAGES:
        response = admin_page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        admin_page.wait_for_load_state("networkidle")
    assert refused == []


def test_scripted_controls_still_work(admin_page, live_server):
    refused = _refusals(admin_page)
    admin_page.goto(f"{live_server}/admin/schedules/new")
    rows = admin_page.locator("#interval-rows > *")
    expect(rows).to_have_count(0)  # the spare rows are gone once the script runs
    admin_page.get_by_role("button", name="Add hours").click()
    expect(rows).to_have_count(1)

    admin_page.goto(f"{live_server}/admin/channels")
    admin_page.get_by_role("link", name="Acme website").click()
    admin_page.get_by_role("button", name="Reveal").click()  # fetched by the page's script
    expect(admin_page.locator("code.secret")).to_have_text(re.compile(r"\S{20,}"))
    secret = admin_page.locator("code.secret").inner_text()
    admin_page.once("dialog", lambda d: d.dismiss())  # "Make a new secret?" — no
    admin_page.get_by_role("button", name="Rotate secret").click()
    expect(admin_page.locator("code.secret")).to_have_text(secret)
    admin_page.once("dialog", lambda d: d.accept())
    admin_page.get_by_role("button", name="Rotate secret").click()
    admin_page.get_by_role("button", name="Reveal").click()
    expect(admin_page.locator("code.secret")).to_have_text(re.compile(r"\S{20,}"))
    expect(admin_page.locator("code.secret")).not_to_have_text(secret)
    assert refused == []


def test_another_site_cannot_frame_the_admin(page, live_server, demo):
    sign_in(page, live_server)
    page.route("https://evil.example/", lambda route: route.fulfill(
        content_type="text/html",
        body=f'<iframe id="f" src="{live_server}/admin"></iframe>'))
    page.goto("https://evil.example/")
    frame = page.frame_locator("#f")
    expect(frame.locator("body")).not_to_contain_text("Proactive messages", timeout=3000)
