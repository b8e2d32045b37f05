"""Events that are never lost, and visits that are browser sessions, in a real browser.

- Opened, dismissed and replied events leave as CORS simple requests (a `text/plain` body, no
  preflight) with fetch `keepalive`, so that a click on a link right after the X still counts;
  an event the server never acknowledged is kept in the browser and sent again on the next
  page, and counted once.
- A visit is a browser session: the tabs of one browser share it; a new browser session (here
  a new browser context holding the same persistent storage) starts a new one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Request, Route, expect
from playwright.sync_api import Error as PlaywrightError

from overture.kit.clock import clock
from tests.e2e import widget_helpers
from tests.e2e.widget_helpers import (
    DemoSite,
    bubble,
    goto,
    messenger,
    open_shadow,
)
from tests.e2e.widget_helpers import totals as raw_counts
from tests.e2e.widget_helpers import wait_for_totals as wait_for_stats

site = widget_helpers.site
page = widget_helpers.page

ZERO = {"sent": 0, "opened": 0, "replied": 0, "showings": 0, "opens": 0, "dismissals": 0,
        "replies": 0}


def counts(**changed: int) -> dict:
    return {**ZERO, **changed}


def events_sent(context: BrowserContext) -> list[dict]:
    """The body of every event request the browser makes (tries and retries alike)."""
    sent: list[dict] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/events"):
            sent.append(json.loads(request.post_data or "{}"))

    context.on("request", seen)
    return sent


# -- never lost ------------------------------------------------------------------------------


def test_a_dismissal_followed_at_once_by_a_link_is_counted_every_time(
        page: Page, site: DemoSite):
    message = site.live_message("Every page, every time", frequency="every_time")
    sent = events_sent(page.context)
    goto(page, site.url("/demo"))
    links = ["Pricing", "Home"]
    for n in range(10):
        expect(bubble(page)).to_contain_text("Every page, every time")
        # The X, and at once a link to another page: nothing waits for the event's answer.
        bubble(page).locator(".x").click()
        page.get_by_role("navigation", name="Site").get_by_role(
            "link", name=links[n % 2], exact=True).click()
        page.wait_for_url(site.url("/demo/pricing" if n % 2 == 0 else "/demo"))
    expect(bubble(page)).to_contain_text("Every page, every time")
    wait_for_stats(site, message["id"], counts(sent=1, showings=11, dismissals=10), timeout=10)
    assert [e["kind"] for e in sent if e["kind"] != "dismissed"] == []
    assert len({e["event_id"] for e in sent}) == 10


class SlowNetwork:
    """Holds the widget's event and page-view requests until the test lets them go: an event
    can be made to reach the server only after its page is gone, and the next page's decision
    only after that."""

    def __init__(self, context: BrowserContext) -> None:
        self.events: list[Route] = []
        self.views: list[Route] = []
        context.route("**/widget/v1/*/events", lambda route: self.events.append(route))
        context.route("**/widget/v1/*/page-views", lambda route: self.views.append(route))

    @staticmethod
    def release(held: list[Route]) -> None:
        while held:
            route = held.pop(0)
            with suppress(PlaywrightError):  # its page cancelled it: that one is lost
                route.continue_()

    def deliver_events_until(self, page: Page, reached: Callable[[], bool]) -> bool:
        """Let events through (and any the next page sends again) until `reached()`."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            self.release(self.events)
            if reached():
                return True
            page.wait_for_timeout(100)  # lets Playwright hand over newly held requests
        return reached()


def test_dismissals_reach_the_server_after_their_page_is_gone(page: Page, site: DemoSite):
    message = site.live_message("Slow network, every time", frequency="every_time")
    net = SlowNetwork(page.context)
    page.goto(site.url("/demo"))
    assert net.deliver_events_until(page, lambda: bool(net.views))  # the first page view
    net.release(net.views)
    links = ["Pricing", "Home"]
    for n in range(1, 11):
        expect(bubble(page)).to_contain_text("Slow network, every time")
        bubble(page).locator(".x").click()
        page.get_by_role("navigation", name="Site").get_by_role(
            "link", name=links[n % 2 - 1], exact=True).click()
        page.wait_for_url(site.url("/demo/pricing" if n % 2 else "/demo"))
        # Only now, with the page that sent it gone, may the dismissal travel; the new page's
        # decision waits for it.
        arrived = net.deliver_events_until(
            page, lambda n=n: raw_counts(site, message["id"])["dismissals"] >= n)
        assert arrived, f"dismissal {n} was lost: {raw_counts(site, message['id'])}"
        net.release(net.views)
    expect(bubble(page)).to_contain_text("Slow network, every time")
    wait_for_stats(site, message["id"], counts(sent=1, showings=11, dismissals=10))


def test_a_dismissal_that_could_not_be_sent_goes_out_on_the_next_page_and_counts_once(
        page: Page, site: DemoSite):
    message = site.live_message("Hello from the other side", frequency="once_per_visit")
    sent = events_sent(page.context)
    goto(page, site.url("/demo"))
    expect(bubble(page)).to_contain_text("Hello from the other side")

    # The network refuses every event while the visitor dismisses the message and leaves.
    def refuse(route):
        route.abort()

    page.context.route("**/widget/v1/*/events", refuse)
    with page.expect_request(lambda r: r.url.endswith("/events")):
        bubble(page).locator(".x").click()
    expect(bubble(page)).to_have_count(0)
    page.wait_for_timeout(300)
    page.goto("about:blank")
    page.context.unroute("**/widget/v1/*/events", refuse)
    wait_for_stats(site, message["id"], counts(sent=1, showings=1))

    # The next page delivers it.
    with page.expect_response(lambda r: r.url.endswith("/events") and r.ok):
        goto(page, site.url("/demo/pricing"))
    wait_for_stats(site, message["id"], counts(sent=1, showings=1, dismissals=1))
    # Dismissed in this visit: a once-per-visit message stays away.
    assert goto(page, site.url("/demo"))["show"] is None
    page.wait_for_timeout(250)
    assert bubble(page).count() == 0

    # Acknowledged now: later pages do not send it again, and it never counts twice.
    page.reload()
    page.wait_for_timeout(500)
    wait_for_stats(site, message["id"], counts(sent=1, showings=1, dismissals=1))
    assert {e["kind"] for e in sent} == {"dismissed"}
    assert len({e["event_id"] for e in sent}) == 1  # every try carried the same event id
    delivered = list(sent)
    page.reload()
    page.wait_for_timeout(500)
    assert sent == delivered


def test_an_open_and_a_close_sent_offline_both_count_once_on_the_next_page(
        page: Page, site: DemoSite):
    message = site.live_message("Open me, then leave", frequency="every_time", response={
        "type": "agent", "collect": [], "follow_up": "Thanks!"})
    sent = events_sent(page.context)
    goto(page, site.url("/demo"))
    page.context.route("**/widget/v1/*/events", lambda route: route.abort())
    bubble(page).get_by_role("button", name="Open me, then leave").click()
    expect(messenger(page)).to_be_visible()
    page.keyboard.press("Escape")  # closed without a reply: dismissed
    expect(messenger(page)).to_be_hidden()
    deadline = time.monotonic() + 5
    while {e["kind"] for e in sent} != {"opened", "dismissed"} and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert {e["kind"] for e in sent} == {"opened", "dismissed"}
    page.goto("about:blank")
    page.context.unroute("**/widget/v1/*/events")
    wait_for_stats(site, message["id"], counts(sent=1, showings=1))

    # The next page sends them again (whether its own page view is answered before or after
    # they arrive decides only whether it shows the message anew).
    goto(page, site.url("/demo/pricing"))
    events_only = ("opened", "replied", "opens", "dismissals", "replies")

    def event_counts() -> dict:
        return {k: v for k, v in raw_counts(site, message["id"]).items() if k in events_only}

    # The two are sent side by side: either may be counted first.
    deadline = time.monotonic() + 5
    while (event_counts()["dismissals"] < 1 or event_counts()["opens"] < 1) \
            and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert event_counts() == {"opened": 1, "replied": 0, "opens": 1, "dismissals": 1,
                              "replies": 0}
    page.reload()
    page.wait_for_timeout(500)
    assert event_counts() == {"opened": 1, "replied": 0, "opens": 1, "dismissals": 1,
                              "replies": 0}
    assert len({e["event_id"] for e in sent}) == 2


@contextmanager
def host_site(tmp_path, base: str) -> Iterator[str]:
    """Two pages of another website embedding the widget; yields its origin."""
    tag = (f'<script src="{base}/widget.js" data-channel="demo-widget" data-shadow="open" '
           "async></script>")
    for name, title, other in (("index", "Shop home", "next"), ("next", "Shop next", "index")):
        (tmp_path / f"{name}.html").write_text(
            f"<!doctype html><title>{title}</title><h1>{title}</h1>"
            f'<p><a href="/{other}.html">Go to {other}</a></p>{tag}')
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_events_and_replies_from_another_site_go_without_a_preflight(
        page: Page, site: DemoSite, tmp_path):
    message = site.live_message("Hello, shopper", frequency="every_time")
    with host_site(tmp_path, site.base) as origin:
        channel = site.api.get(f"/api/v1/channels/{site.channel_id}").json()
        allowed = site.api.patch(f"/api/v1/channels/{site.channel_id}", json={
            "allowed_origins": [*channel["allowed_origins"], origin]})
        assert allowed.status_code == 200, allowed.text

        requests: list[Request] = []
        page.context.on("request", lambda r: "/widget/v1/" in r.url and requests.append(r))
        # Chromium makes its CORS preflights out of Playwright's sight: the DevTools protocol
        # sees them.
        network: list[tuple[str, str]] = []
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", lambda e: "/widget/v1/" in e["request"]["url"] and (
            network.append((e["request"]["method"], e["request"]["url"]))))
        with page.expect_response(lambda r: r.url.endswith("/page-views")) as answer:
            page.goto(f"{origin}/index.html")
        assert answer.value.ok
        assert answer.value.json()["show"]["message_id"] == message["id"]
        expect(bubble(page)).to_contain_text("Hello, shopper")
        with page.expect_response(lambda r: r.url.endswith("/events")) as event:
            bubble(page).locator(".x").click()
        assert event.value.ok, event.value.text()
        # Then, the bubble again on the next page, opened this time.
        with page.expect_response(lambda r: r.url.endswith("/page-views")):
            page.get_by_role("link", name="Go to next").click()
        with page.expect_response(lambda r: r.url.endswith("/events") and json.loads(
                r.request.post_data or "{}").get("kind") == "opened") as event:
            bubble(page).get_by_role("button", name="Hello, shopper").click()
        assert event.value.ok, event.value.text()
        # And the reply: the first message starts the conversation.
        box = messenger(page).get_by_role("textbox", name="Write a message…")
        with page.expect_response(lambda r: r.url.endswith("/conversations")) as started:
            box.fill("Do you ship abroad?")
            box.press("Enter")
        assert started.value.status == 201, started.value.text()
        expect(messenger(page).locator(".msg.visitor[data-id]")).to_have_count(1)
        # The agent's answer comes live to the other site too.
        tickets = site.api.get("/api/v1/tickets").json()
        assert len(tickets) == 1
        said = site.api.post(f"/api/v1/tickets/{tickets[0]['id']}/messages",
                             json={"client_id": "t-abroad-1", "body": "Everywhere but Mars."})
        assert said.status_code == 201, said.text
        expect(messenger(page).locator(".msg.agent").last).to_contain_text("Everywhere but Mars.")
        wait_for_stats(site, message["id"], counts(sent=1, opened=1, replied=1, showings=2,
                                                  opens=1, dismissals=1, replies=1))

        assert [r.url for r in requests if r.method == "OPTIONS"] == []
        assert [url for method, url in network if method == "OPTIONS"] == []
        assert {url.rsplit("/", 1)[-1] for method, url in network if method == "POST"} == {
            "page-views", "events", "conversations"}
        posts = [r for r in requests if r.method == "POST"]
        for r in posts:
            assert r.all_headers()["content-type"].split(";")[0].strip() == "text/plain", r.url
        events = [r for r in requests if r.url.endswith("/events")]
        sent = {json.loads(r.post_data or "{}")["event_id"]: json.loads(r.post_data or "{}")
                for r in events}  # an event sent again is the same event
        assert sorted(e["kind"] for e in sent.values()) == ["dismissed", "opened"]
        for r in events:
            headers = r.all_headers()
            assert headers["content-type"].split(";")[0].strip() == "text/plain", headers
            assert headers["origin"] == origin


# -- a visit is a browser session --------------------------------------------------------------


def first_visit_only(site: DemoSite) -> dict:
    return site.live_message("Welcome, first-time visitor", frequency="every_time",
                             conditions={"all": [
                                 {"field": "visit_count", "operator": "eq", "value": 1}]})


def restart(browser: Browser, context: BrowserContext) -> BrowserContext:
    """The same browser after a restart: what it keeps on disk (local storage, cookies with
    an expiry), without what lived only for the session (session storage, session cookies)."""
    state: Any = context.storage_state()
    kept = {"cookies": [c for c in state["cookies"] if c.get("expires", -1) > 0],
            "origins": state["origins"]}
    again = browser.new_context(storage_state=kept)
    open_shadow(again)
    return again


def test_two_tabs_of_one_browser_session_share_one_visit(
        browser: Browser, page: Page, site: DemoSite):
    message = first_visit_only(site)
    first = goto(page, site.url("/demo"))
    assert first["show"]["message_id"] == message["id"]
    expect(bubble(page)).to_contain_text("Welcome, first-time visitor")
    bubble(page).locator(".x").click()
    expect(bubble(page)).to_have_count(0)
    wait_for_stats(site, message["id"], counts(sent=1, showings=1, dismissals=1))

    # A second tab: the same visit, still the first one.
    tab = page.context.new_page()
    second = goto(tab, site.url("/demo/pricing"))
    assert second["visitor_id"] == first["visitor_id"]
    assert second["visit_id"] == first["visit_id"]
    assert second["show"] is not None and second["show"]["message_id"] == message["id"]
    expect(bubble(tab)).to_contain_text("Welcome, first-time visitor")
    # And back in the first tab, still the same visit.
    assert goto(page, site.url("/demo/pricing"))["visit_id"] == first["visit_id"]

    # A new browser session of the same browser: the same visitor, a new (second) visit.
    again = restart(browser, page.context)
    try:
        later = again.new_page()
        third = goto(later, site.url("/demo"))
        assert third["visitor_id"] == first["visitor_id"]
        assert third["visit_id"] != first["visit_id"]
        assert third["show"] is None
        later.wait_for_timeout(250)
        assert bubble(later).count() == 0
        # Its tabs share that new visit.
        other = again.new_page()
        assert goto(other, site.url("/demo/pricing"))["visit_id"] == third["visit_id"]
    finally:
        again.close()


def test_a_new_browser_is_a_new_visitor_and_a_new_visit(browser: Browser, page: Page,
                                                        site: DemoSite):
    message = site.live_message("New here?", frequency="every_time", conditions={"all": [
        {"field": "visit_history", "operator": "is", "value": "new"}]})
    first = goto(page, site.url("/demo"))
    assert first["show"]["message_id"] == message["id"]
    bubble(page).locator(".x").click()
    tab = page.context.new_page()
    same = goto(tab, site.url("/demo"))
    assert same["visit_id"] == first["visit_id"]
    assert same["show"] is not None  # still the visitor's first visit

    other = browser.new_context()
    open_shadow(other)
    try:
        elsewhere = goto(other.new_page(), site.url("/demo"))
        assert elsewhere["visitor_id"] != first["visitor_id"]
        assert elsewhere["visit_id"] != first["visit_id"]
        assert elsewhere["show"] is not None
    finally:
        other.close()


def test_a_session_idle_past_the_visit_timeout_starts_a_new_visit_for_every_tab(
        page: Page, site: DemoSite):
    message = site.live_message("Welcome back", frequency="every_time", conditions={"all": [
        {"field": "visit_count", "operator": "eq", "value": 2}]})
    first = goto(page, site.url("/demo"))
    assert first["show"] is None
    tab = page.context.new_page()
    assert goto(tab, site.url("/demo/pricing"))["visit_id"] == first["visit_id"]

    clock.advance(timedelta(minutes=31))  # the account's visit timeout is 30 minutes
    later = goto(tab, site.url("/demo"))
    assert later["visit_id"] != first["visit_id"]
    assert later["show"] is not None and later["show"]["message_id"] == message["id"]
    expect(bubble(tab)).to_contain_text("Welcome back")
    # The other tab of the session joins the new visit, where the message is still on screen.
    again = goto(page, site.url("/demo/pricing"))
    assert again["visit_id"] == later["visit_id"]
    assert again["show"] is not None and again["show"]["repeat"] is True


def test_the_pages_of_every_tab_count_in_the_one_visit(page: Page, site: DemoSite):
    message = site.live_message("Third page of the visit", frequency="every_time",
                                conditions={"all": [
                                    {"field": "pages_in_visit", "operator": "eq", "value": 3}]})
    tab = page.context.new_page()
    assert goto(page, site.url("/demo"))["show"] is None
    assert goto(tab, site.url("/demo/pricing"))["show"] is None
    third = goto(page, site.url("/demo/app"))
    assert third["show"] is not None and third["show"]["message_id"] == message["id"]
    expect(bubble(page)).to_contain_text("Third page of the visit")
