"""Real-browser tests: the app served by uvicorn in a thread, driven by headless Chromium.

Playwright never downloads a browser here: it launches Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from overture.demo.service import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, create_demo

CHROMIUM = "/usr/bin/chromium"
# LocalNetworkAccessChecks: tests serve pages through route.fulfill, which Chromium would
# otherwise treat as public pages opening sockets to 127.0.0.1.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-features=LocalNetworkAccessChecks"]

# How long an expectation may wait for the page to get there: a bound, never a measurement.
# Two workers, each with a browser and a server, share two cores in CI; Playwright's 5 s
# default was reached there by a page that was right a moment later.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": FLAGS,
            "headless": True}


@pytest.fixture
def demo(app) -> None:
    """The demo data of `overture demo` (admin, agent, brand, schedule, widget channel)."""
    with app.state.db.unit_of_work() as session:
        create_demo(session)


def sign_in(page, base_url: str, email: str = DEMO_ADMIN_EMAIL,
            password: str = DEMO_ADMIN_PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def choose_language(page: Page, locale: str) -> None:
    """The admin's language, chosen with the select of the top bar."""
    if locale == "en":
        return
    with page.expect_navigation():
        page.locator("#locale-select").select_option(locale)
    expect(page.locator("html")).to_have_attribute("lang", locale.replace("_", "-"))


@pytest.fixture
def admin_page(page, live_server, demo):
    """A browser page signed in as the demo admin."""
    sign_in(page, live_server)
    return page
