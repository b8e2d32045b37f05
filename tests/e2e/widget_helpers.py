"""Shared pieces of the widget's browser tests: the demo site with only the test's own live
messages, the REST API as the admin, identity tokens, and locators inside the widget.

The widget's shadow root is closed in production. Tests open it the way a developer would, by
adding `data-shadow="open"` to the embed tag (`open_shadow`), so that Playwright can see inside.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Response
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
