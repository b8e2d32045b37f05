"""Shared pieces of the widget's browser tests: the demo site with only the test's own live
messages, the REST API as the admin, identity tokens, and locators inside the widget.

The widget's shadow root is closed in production. Tests open it the way a developer would, by
adding `data-shadow="open"` to the embed tag (`open_shadow`), so that Playwright can see inside.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response
from sqlalchemy import select

from overture.accounts.models import User
from overture.accounts.service import create_token
from overture.channels.service import channel_by_key
from overture.demo.service import DEMO_ADMIN_EMAIL, DEMO_CHANNEL_KEY
from overture.schedules.models import Schedule

EMBED = '<script src="/widget.js" data-channel="demo-widget" async></script>'
DEMO_PAGE = re.compile(r"/demo(/[\w/-]*)?(\?.*)?$")


@dataclass
class DemoSite:
    base: str
    api: httpx.Client
    brand_id: int
    channel_id: int
    schedule_id: int
    jwt_secret: str

    def url(self, path: str = "/demo") -> str:
        return self.base + path

    def live_message(self, text: str, *, name: str | None = None, **fields: Any) -> dict:
        """Create a message on the demo channel and publish it; returns the API's answer."""
        body: dict[str, Any] = {
            "name": name or f"Test: {text[:60]}",
            "brand_id": self.brand_id,
            "channel_id": self.channel_id,
            "message": text,
            "response": {"type": "agent", "collect": [], "follow_up": "Thanks, we will answer soon."},
            "frequency": "every_time",
        }
        body.update(fields)
        created = self.api.post("/api/v1/proactive-messages", json=body)
        assert created.status_code == 201, created.text
        published = self.api.post(f"/api/v1/proactive-messages/{created.json()['id']}/publish")
        assert published.status_code == 200, published.text
        assert published.json()["status"] == "live"
        return published.json()

    def stats(self, message_id: int) -> dict:
        got = self.api.get(f"/api/v1/proactive-messages/{message_id}")
        assert got.status_code == 200, got.text
        return got.json()["stats"]

    def wait_for_stats(self, message_id: int, expected: dict, timeout: float = 5.0) -> None:
        """Events are reported in the background; poll until the counters reach `expected`."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats(message_id)
            if stats == expected or time.monotonic() > deadline:
                assert stats == expected
                return
            time.sleep(0.1)

    def identity(self, external_id: str, name: str = "", email: str = "") -> str:
        claims: dict[str, Any] = {"external_id": external_id, "exp": int(time.time()) + 3600}
        if name:
            claims["name"] = name
        if email:
            claims["email"] = email
        return jwt.encode(claims, self.jwt_secret, algorithm="HS256")


@pytest.fixture
def site(app, live_server, demo):
    """The demo site, with every message of the demo data deleted: only the test's are live."""
    with app.state.db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.email == DEMO_ADMIN_EMAIL))
        _token, secret = create_token(session, user, "widget tests")
        channel = channel_by_key(session, DEMO_CHANNEL_KEY)
        schedule = session.scalar(select(Schedule).where(Schedule.name == "Support hours"))
        ids = (channel.brand_id, channel.id, schedule.id, channel.jwt_secret)
    api = httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {secret}"},
                       timeout=10)
    listed = api.get("/api/v1/proactive-messages")
    assert listed.status_code == 200, listed.text
    for message in listed.json():
        assert api.delete(f"/api/v1/proactive-messages/{message['id']}").status_code == 204
    # Nor does the demo bot greet from the launcher unless a test connects it.
    assert api.patch(f"/api/v1/channels/{ids[1]}", json={"bot_id": None}).status_code == 200
    yield DemoSite(live_server, api, *ids)
    api.close()


def open_shadow(context: BrowserContext) -> None:
    """Serve the demo pages with `data-shadow="open"` on the embed tag."""

    def rewrite(route):
        response = route.fetch()
        body = response.text()
        if EMBED in body:
            body = body.replace(EMBED, EMBED.replace("async>", 'data-shadow="open" async>'))
        route.fulfill(response=response, body=body)

    context.route(DEMO_PAGE, rewrite)


def identify_before_load(context: BrowserContext, token: str) -> None:
    """The host page's snippet: queue `identify` before the widget has loaded."""
    context.add_init_script(
        "window.Overture = window.Overture || function () {"
        " (Overture.q = Overture.q || []).push(arguments) };"
        f" Overture('identify', {token!r});"
    )


def is_page_view(response: Response) -> bool:
    return response.url.endswith("/page-views") and response.request.method == "POST"


def goto(page: Page, url: str) -> dict:
    """Load a page and return the server's decision for its page view."""
    with page.expect_response(is_page_view) as answer:
        page.goto(url)
    return answer.value.json()


def bubble(page: Page) -> Locator:
    return page.locator("overture-widget .card")


def launcher(page: Page) -> Locator:
    return page.locator("overture-widget .launcher")


def messenger(page: Page) -> Locator:
    return page.get_by_role("dialog")


def no_bubble(page: Page) -> None:
    """After a decision without a message: give the widget a moment, then nothing is shown."""
    page.wait_for_timeout(250)
    assert bubble(page).count() == 0


# -- pages, polling and the API as the tests use them ----------------------------------------


def new_page(browser: Browser, **options: Any) -> Page:
    """A page in a context of its own, the widget's shadow root open."""
    context = browser.new_context(**options)
    open_shadow(context)
    return context.new_page()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page of the demo site with the widget's shadow root open, in a context of its own."""
    page = new_page(browser)
    yield page
    page.context.close()


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy (server state written in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, "condition not reached in time"
            return value
        time.sleep(0.1)


def totals(site: DemoSite, message_id: int) -> dict:
    """The totals of the message's statistics: sent, opened, replied and the raw counts."""
    got = site.api.get(f"/api/v1/proactive-messages/{message_id}/stats")
    assert got.status_code == 200, got.text
    return got.json()["totals"]


def wait_for_totals(site: DemoSite, message_id: int, expected: dict,
                    timeout: float = 5.0) -> None:
    """Poll the message's totals until they are `expected`; fail with the last ones seen."""
    deadline = time.monotonic() + timeout
    while True:
        stats = totals(site, message_id)
        if stats == expected or time.monotonic() > deadline:
            assert stats == expected, f"counters {stats}, expected {expected}"
            return
        time.sleep(0.1)


def set_channel(site: DemoSite, **fields: Any) -> dict:
    changed = site.api.patch(f"/api/v1/channels/{site.channel_id}", json=fields)
    assert changed.status_code == 200, changed.text
    for name, value in fields.items():
        assert changed.json()[name] == value
    return changed.json()


def bodies(site: DemoSite, ticket_id: int) -> list[tuple[str, str]]:
    ticket = site.api.get(f"/api/v1/tickets/{ticket_id}").json()
    return [(m["author"], m["body"]) for m in ticket["messages"]]


def agent_says(site: DemoSite, ticket_id: int, body: str) -> dict:
    sent = site.api.post(f"/api/v1/tickets/{ticket_id}/messages",
                         json={"client_id": "t-" + secrets.token_hex(8), "body": body})
    assert sent.status_code == 201, sent.text
    return sent.json()


def log_texts(page: Page) -> list[str]:
    """The messenger's messages, in order, as plain text (sender line included)."""
    return messenger(page).locator(".log > li").evaluate_all(
        "items => items.map(i => i.textContent)")
