"""The widget on hostile host pages: broken built-ins, a host global named `Overture`, CSS
that unsets everything, overlays at the highest z-index, a huge title, blocked storage, the
network gone and back.

In every case the bubble shows, the visitor can dismiss it, see it again on the next page
view, open it and reply (the server counts all of it), the page gets no uncaught error and no
console error, and the host's own scripts and globals keep working as the host left them.
Each page is served by the test from the live server's origin (`hostile_pages`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e import widget_helpers
from tests.e2e.hostile_pages import (
    OFFLINE_NOISE,
    Watch,
    boxes,
    host_page,
    in_view,
    serve,
    subset,
)
from tests.e2e.widget_helpers import DemoSite, bubble, is_page_view, launcher, messenger

site = widget_helpers.site

REPLY = "Hello from a hostile page"


# -- shared steps --------------------------------------------------------------------------------


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Browser contexts for the test, closed after it (whether it passed or not)."""
    made: list[BrowserContext] = []

    def new_context(**options) -> BrowserContext:
        made.append(browser.new_context(**options))
        return made[-1]

    yield new_context
    for context in made:
        context.close()


def open_page(context: BrowserContext, site: DemoSite, html: str,
              path: str = "/hostile/page", headers: dict[str, str] | None = None,
              ) -> tuple[Page, Watch]:
    serve(context, site.url(path), html, headers)
    page = context.new_page()
    watch = Watch().attach(page)
    page.goto(site.url(path))
    return page, watch


def wait_for_counts(site: DemoSite, message_id: int, expected: dict, timeout: float = 10.0):
    """Poll the message's raw counts (showings, opens, dismissals, replies; sent, opened and
    replied count customers) until those named in `expected` have those values."""
    deadline = time.monotonic() + timeout
    while True:
        answer = site.api.get(f"/api/v1/proactive-messages/{message_id}/stats")
        assert answer.status_code == 200, answer.text
        got = subset(answer.json()["totals"], expected)
        if got == expected or time.monotonic() > deadline:
            assert got == expected
            return
        time.sleep(0.1)


def next_page_view(page: Page) -> None:
    """The host app moves to another URL (history.pushState): the widget reports a page view."""
    with page.expect_response(is_page_view) as answer:
        page.locator("#host-next").click()
    assert answer.value.ok, answer.value.text()


def use_the_widget(page: Page, site: DemoSite, message: dict, text: str) -> None:
    """Dismiss the bubble, see it again on the next page view, open it and reply."""
    card = bubble(page)
    expect(card).to_contain_text(text)
    card.locator(".x").click()
    expect(card).to_have_count(0)
    next_page_view(page)
    expect(card).to_contain_text(text)
    card.click()
    dialog = messenger(page)
    expect(dialog).to_be_visible()
    expect(dialog.locator(".msg").first).to_contain_text(text)
    box = dialog.get_by_role("textbox", name="Write a message…")
    box.fill(REPLY)
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.locator(".msg.visitor")).to_contain_text(REPLY)
    wait_for_counts(site, message["id"], {"dismissals": 1, "opens": 1, "replies": 1})


def host_still_works(page: Page, watch: Watch) -> None:
    """The host's own scripts still run and what it set up is as it left it; no errors."""
    page.locator("#host-button").click()
    expect(page.locator("#host-count")).to_have_text("1")
    page.locator("#host-check").click()
    expect(page.locator("#host-state")).to_have_text("intact")
    assert watch.errors == []


# -- broken built-ins ----------------------------------------------------------------------------

# What a host script puts in place of a built-in: (what it replaces, the replacement).
ANALYTICS_FETCH = """(function (original) {
    window.hostFetched = [];
    return function fetch(input, init) {
      window.hostFetched.push(String(input && input.url || input));
      return original.call(window, input, init);
    };
  })(window.fetch)"""
BUILT_INS = {
    "map-null": ("Array.prototype.map", "null"),
    "map-throws": ("Array.prototype.map",
                   "function map() { throw new Error('host: map is not for you'); }"),
    "forEach-null": ("Array.prototype.forEach", "null"),
    "forEach-throws": ("Array.prototype.forEach",
                       "function forEach() { throw new Error('host: forEach is not for you'); }"),
    "slice-null": ("Array.prototype.slice", "null"),
    "isArray-null": ("Array.isArray", "null"),
    "keys-null": ("Object.keys", "null"),
    "split-null": ("String.prototype.split", "null"),
    "JSON.stringify-garbage": ("JSON.stringify", "function stringify() { return '{garbage'; }"),
    "bind-null": ("Function.prototype.bind", "null"),
    "fetch-wrapped": ("window.fetch", ANALYTICS_FETCH),
}


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("broken", list(BUILT_INS))
def test_a_host_page_that_breaks_a_built_in(site: DemoSite, contexts, broken, when):
    target, replacement = BUILT_INS[broken]
    text = f"Still here without {target}"
    message = site.live_message(text)
    breaks = f"window.hostValue = {replacement}; {target} = window.hostValue;"
    html = host_page(breaks=breaks, check=f"{target} === window.hostValue",
                     head="hostBreak();" if when == "before" else "")
    context = contexts()
    page, watch = open_page(context, site, html)

    expect(bubble(page)).to_contain_text(text)
    if when == "after":  # a host script replaces it once the widget is up
        page.locator("#host-break").click()
    use_the_widget(page, site, message, text)
    host_still_works(page, watch)
    if broken == "fetch-wrapped":
        # The host's wrapper is still the page's fetch, and still sees the host's own calls.
        page.evaluate("fetch('/demo/nothing-here').then(null, () => null)")
        assert page.evaluate("window.fetch === window.hostValue")
        assert "/demo/nothing-here" in page.evaluate("window.hostFetched").pop()


# -- a host global named Overture, and data-global ---------------------------------------------

HOST_GLOBALS = {
    "object": ("window.Overture = {mine: 1};",
               "window.Overture === window.hostOverture && window.Overture.mine === 1 &&"
               " Object.keys(window.Overture).join() === 'mine'"),
    "function": ("window.Overture = function Overture(a, b) { return 'host:' + a + b; };",
                 "window.Overture === window.hostOverture && Overture('x', 'y') === 'host:xy' &&"
                 " Object.keys(window.Overture).length === 0"),
}


@pytest.mark.parametrize("kind", list(HOST_GLOBALS))
def test_a_host_global_named_overture_is_left_alone(site: DemoSite, contexts, kind):
    define, check = HOST_GLOBALS[kind]
    text = "Your Overture is safe with us"
    message = site.live_message(text)
    html = host_page(head=define + " window.hostOverture = window.Overture;", check=check)
    context = contexts()
    page, watch = open_page(context, site, html)

    use_the_widget(page, site, message, text)
    host_still_works(page, watch)


def test_data_global_names_the_command_function(site: DemoSite, contexts):
    text = "Call me AcmeChat"
    message = site.live_message(text)
    head = """
      window.Overture = {mine: 1};
      window.hostOverture = window.Overture;
      window.AcmeChat = window.AcmeChat || function () {
        (AcmeChat.q = AcmeChat.q || []).push(arguments) };
      window.seen = [];
      AcmeChat('on', 'proactiveMessageDisplayed', function (m) {
        seen.push(['displayed', m.messageId]); });
      AcmeChat('on', 'proactiveMessageClicked', function (m) {
        seen.push(['clicked', m.messageId]); });
    """
    html = host_page(head=head, embed_attrs='data-global="AcmeChat"',
                     check="window.Overture === window.hostOverture &&"
                           " Object.keys(window.Overture).join() === 'mine'")
    context = contexts()
    page, watch = open_page(context, site, html)

    expect(bubble(page)).to_contain_text(text)
    page.wait_for_function("seen.length === 1")
    assert page.evaluate("seen") == [["displayed", message["id"]]]

    with page.expect_response(is_page_view) as answer:
        page.evaluate("AcmeChat('pageView', {url: '/hostile/virtual', title: 'Virtual'})")
    body = json.loads(answer.value.request.post_data or "{}")
    assert (body["url"], body["title"]) == (site.url("/hostile/virtual"), "Virtual")

    page.evaluate("AcmeChat('open')")
    expect(messenger(page)).to_be_visible()
    expect(messenger(page).locator(".msg").first).to_contain_text(text)
    assert page.evaluate("seen") == [["displayed", message["id"]], ["clicked", message["id"]]]
    page.evaluate("AcmeChat('close')")
    expect(messenger(page)).to_be_hidden()
    wait_for_counts(site, message["id"], {"opens": 1, "dismissals": 1})
    host_still_works(page, watch)


def test_a_host_that_swaps_its_whole_body_on_navigation(site: DemoSite, contexts):
    """Like Turbo Drive or pjax: the host app replaces <body> and pushes the new URL."""
    text = "Here after the body swap too"
    message = site.live_message(text)
    keep = "<script>window.hostBody = document.body.innerHTML;</script>"
    html = host_page(body=keep).replace(
        "history.pushState({}, '', '/hostile/next')",
        "var b = document.createElement('body'); b.innerHTML = window.hostBody;"
        " document.body.replaceWith(b); history.pushState({}, '', '/hostile/next')")
    context = contexts()
    page, watch = open_page(context, site, html)

    use_the_widget(page, site, message, text)
    assert page.evaluate("document.querySelectorAll('overture-widget').length") == 1
    host_still_works(page, watch)


def test_a_router_that_bound_push_state_before_the_widget_came(site: DemoSite, contexts):
    """A host router that kept its own `history.pushState` from before the widget loaded (a
    bound copy): its route changes are page views all the same."""
    text = "Found you on the next route"
    message = site.live_message(text, conditions={"all": [
        {"field": "page_url", "operator": "contains", "value": ["/hostile/next"]}]})
    html = host_page(head="window.routerPush = history.pushState.bind(history);").replace(
        "history.pushState({}, '', '/hostile/next')", "routerPush({}, '', '/hostile/next')")
    page, watch = open_page(contexts(), site, html)
    page.wait_for_function("document.querySelector('overture-widget') !== null")

    def next_route(response) -> bool:
        return is_page_view(response) and "/hostile/next" in (response.request.post_data or "")

    with page.expect_response(next_route, timeout=15_000) as answer:
        page.locator("#host-next").click()
    assert answer.value.ok
    expect(page).to_have_url(site.url("/hostile/next"))
    expect(bubble(page)).to_contain_text(text)
    bubble(page).click()
    expect(messenger(page)).to_be_visible()
    wait_for_counts(site, message["id"], {"showings": 1, "opens": 1})
    host_still_works(page, watch)


# -- CSS and overlays ----------------------------------------------------------------------------

GRID = """(step) => {
  const hits = [];
  for (let y = step / 2; y < innerHeight; y += step)
    for (let x = step / 2; x < innerWidth; x += step) {
      const e = document.elementFromPoint(x, y);
      if (e && e.localName === 'overture-widget') hits.push(x + ',' + y);
    }
  return hits;
}"""

CALLBACKS = """
  window.Overture = window.Overture || function () {
    (Overture.q = Overture.q || []).push(arguments) };
  window.seen = [];
  Overture('on', 'proactiveMessageClicked', function (m) { seen.push('clicked'); });
"""


def widget_area(page: Page) -> set[str]:
    """The points of the viewport (every 10 px) where a click lands on the widget."""
    return set(page.evaluate(GRID, 10))


@pytest.mark.parametrize("shadow", ["open", "closed"])
def test_a_host_stylesheet_that_unsets_everything(site: DemoSite, contexts, shadow):
    text = "All unset, all fine"
    message = site.live_message(text)
    context = contexts(reduced_motion="reduce")

    # The same widget on a page without the hostile stylesheet: where it is and how big.
    reference, _ = open_page(context, site, host_page(head=CALLBACKS), "/hostile/reference")
    expect(bubble(reference)).to_contain_text(text)
    card = bubble(reference).bounding_box()
    assert card
    closed_area = widget_area(reference)
    bubble(reference).click()
    expect(messenger(reference)).to_be_visible()
    panel = messenger(reference).bounding_box()
    open_area = widget_area(reference)
    reference.keyboard.press("Escape")
    expect(messenger(reference)).to_be_hidden()
    reference.close()
    assert closed_area and open_area

    page, watch = open_page(context, site, host_page(
        style="* { all: unset !important; }", head=CALLBACKS, shadow=shadow))
    page.wait_for_function("document.querySelector('overture-widget') !== null")
    if shadow == "open":
        expect(bubble(page)).to_contain_text(text)
        assert bubble(page).bounding_box() == card
    # The widget covers the same points as on the plain page: nothing of it moved or shrank.
    for _ in range(50):
        if widget_area(page) == closed_area:
            break
        page.wait_for_timeout(100)
    assert widget_area(page) == closed_area

    # A real click where the bubble is opens the messenger, as large as on the plain page.
    page.mouse.click(card["x"] + card["width"] / 2, card["y"] + card["height"] / 2)
    page.wait_for_function("seen.length === 1")
    if shadow == "open":
        expect(messenger(page)).to_be_visible()
        expect(messenger(page).locator(".msg").first).to_contain_text(text)
        assert messenger(page).bounding_box() == panel
    page.wait_for_function(f"({GRID})(10).length === {len(open_area)}")
    assert widget_area(page) == open_area
    wait_for_counts(site, message["id"], {"opens": 2, "dismissals": 1})
    host_still_works(page, watch)


@pytest.mark.parametrize("zoom", ["html { zoom: 1.5 }", "body { zoom: 0.8 }"])
def test_a_host_page_zoomed_with_css(site: DemoSite, contexts, zoom):
    """CSS zoom on the host's html or body does not scale the widget, nor push it off screen."""
    text = "The same size at any zoom"
    message = site.live_message(text)
    context = contexts(reduced_motion="reduce")
    reference, _ = open_page(context, site, host_page(), "/hostile/reference")
    expect(bubble(reference)).to_contain_text(text)
    plain = boxes(reference, ".card", ".launcher")
    reference.close()

    page, watch = open_page(context, site, host_page(style=zoom))
    expect(bubble(page)).to_contain_text(text)
    zoomed = in_view(page, ".card", ".launcher")
    for s in (".card", ".launcher"):
        for k in ("width", "height"):
            assert abs(zoomed[s][k] - plain[s][k]) <= 1, (s, zoomed[s], plain[s])
    bubble(page).click()
    expect(messenger(page)).to_be_visible()
    in_view(page, ".panel")
    wait_for_counts(site, message["id"], {"opens": 1})
    host_still_works(page, watch)


# The host's styles come only from its own files; its inline scripts are its own business.
STRICT_STYLES = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'"


def test_a_content_security_policy_without_inline_styles(site: DemoSite, contexts):
    text = "Styled under a strict policy"
    message = site.live_message(text)
    context = contexts(reduced_motion="reduce")
    page, watch = open_page(context, site, host_page(),
                            headers={"Content-Security-Policy": STRICT_STYLES})

    expect(bubble(page)).to_contain_text(text)
    got = in_view(page, ".card", ".launcher")
    assert got[".card"]["width"] <= 400, got  # a bubble, not an unstyled block of text
    assert got[".launcher"]["width"] >= 44 and got[".launcher"]["height"] >= 44, got
    use_the_widget(page, site, message, text)
    host_still_works(page, watch)  # no console error: nothing of the widget was refused


COOKIE_BAR = """
<div id="cookie-bar" {popover} style="position:fixed;inset:auto 0 0 0;margin:0;width:auto;
  height:240px;z-index:2147483647;border:0;padding:16px;background:#222;color:#fff">
  We use cookies.
  <button id="cookie-accept" type="button"
    onclick="document.getElementById('cookie-state').textContent = 'accepted'">Accept</button>
  <output id="cookie-state"></output>
</div>
{script}
"""


SHOW_BAR = "<script>document.getElementById('cookie-bar').showPopover()</script>"
# The bar as a fixed element; in the top layer from the start; in the top layer once the
# bubble is already there (a consent script that comes late).
LAYERS = {"z-index": ("", ""), "popover": ('popover="manual"', SHOW_BAR),
          "popover-later": ('popover="manual"', "")}


@pytest.mark.parametrize("layer", list(LAYERS))
def test_a_cookie_bar_at_the_highest_z_index_does_not_hide_the_widget(
        site: DemoSite, contexts, layer):
    text = "Above the cookie bar"
    message = site.live_message(text)
    popover, script = LAYERS[layer]
    body = COOKIE_BAR.format(popover=popover, script=script)
    context = contexts(reduced_motion="reduce")
    page, watch = open_page(context, site, host_page(
        body=body, breaks="document.getElementById('cookie-bar').showPopover();"))

    expect(bubble(page)).to_contain_text(text)
    if layer == "popover-later":
        page.locator("#host-break").click()  # the host's script shows its bar now
        expect(page.locator("#cookie-bar")).to_be_visible()
    bar = page.locator("#cookie-bar").bounding_box()
    card = bubble(page).bounding_box()
    assert bar and card
    x, y = card["x"] + card["width"] / 2, card["y"] + card["height"] / 2
    assert bar["y"] < y  # the bar is over the bubble's place...
    assert page.evaluate(f"document.elementFromPoint({x}, {y}).localName") == "overture-widget"
    page.mouse.click(x, y)  # ...and a real click there reaches the bubble
    expect(messenger(page)).to_be_visible()
    expect(messenger(page).locator(".msg").first).to_contain_text(text)
    wait_for_counts(site, message["id"], {"opens": 1})

    # The cookie bar's own button (beside the widget) still works.
    page.locator("#cookie-accept").click()
    expect(page.locator("#cookie-state")).to_have_text("accepted")
    host_still_works(page, watch)


# -- a huge title, blocked storage, the network gone ---------------------------------------------


def test_a_one_megabyte_title(site: DemoSite, contexts):
    text = "Long title, short message"
    message = site.live_message(text)
    # The host's check runs after its app moved on (#host-next sets the title 'Next step').
    html = host_page(head="document.title = 'T'.repeat(1 << 20);",
                     check="document.title === 'Next step'")
    context = contexts()
    page, watch = open_page(context, site, html)

    expect(bubble(page)).to_contain_text(text)
    assert page.evaluate("document.title.length") == 1 << 20
    assert watch.page_view_statuses() == [200]
    sent = watch.page_views[0].request.post_data or ""
    assert len(sent) < 16 * 1024  # within the server's limit for a page view
    assert json.loads(sent)["title"] == "T" * len(json.loads(sent)["title"])
    use_the_widget(page, site, message, text)
    host_still_works(page, watch)


BLOCK_STORAGE = """(() => {
  const deny = () => { throw new DOMException('The operation is insecure.', 'SecurityError'); };
  for (const name of ['localStorage', 'sessionStorage'])
    Object.defineProperty(window, name, {get: deny, configurable: true});
  Object.defineProperty(Document.prototype, 'cookie', {get: deny, set: deny, configurable: true});
})();"""


def test_storage_and_cookies_that_throw(site: DemoSite, contexts):
    text = "No storage, no problem"
    message = site.live_message(text)
    context = contexts()
    context.add_init_script(BLOCK_STORAGE)
    page, watch = open_page(context, site, host_page(
        check="(() => { try { localStorage; return false } catch (e) {"
              " return e.name === 'SecurityError' } })()"))

    use_the_widget(page, site, message, text)
    host_still_works(page, watch)


def widget_scripts(context: BrowserContext, site: DemoSite) -> None:
    """Serve the widget's scripts from memory, so that the page loads even offline."""
    for path in ("/widget.js", "/widget/app.js"):
        got = site.api.get(path)
        assert got.status_code == 200
        serve_js(context, site.url(path), got.text)


def serve_js(context: BrowserContext, url: str, js: str) -> None:
    context.route(url, lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=js))


STEPS = "window.hostSteps = 0;"


def test_offline_at_load_then_online(site: DemoSite, contexts):
    text = "Back online"
    message = site.live_message(text)
    context = contexts()
    widget_scripts(context, site)
    html = host_page()
    serve(context, site.url("/hostile/page"), html)
    page = context.new_page()
    watch = Watch(allowed=[OFFLINE_NOISE]).attach(page)

    context.set_offline(True)
    with page.expect_event("requestfailed", lambda r: "/widget/v1/" in r.url):
        page.goto(site.url("/hostile/page"))
    expect(page.get_by_role("heading", name="A hostile host page")).to_be_visible()
    context.set_offline(False)

    # Back online: by retrying, or at the next page view at the latest, the bubble shows.
    page.locator("#host-next").click()
    card = bubble(page)
    expect(card).to_contain_text(text)
    card.click()
    expect(messenger(page)).to_be_visible()
    messenger(page).get_by_role("textbox", name="Write a message…").fill(REPLY)
    messenger(page).get_by_role("button", name="Send").click()
    expect(messenger(page).locator(".msg.visitor")).to_contain_text(REPLY)
    wait_for_counts(site, message["id"], {"opens": 1, "replies": 1})
    host_still_works(page, watch)


def test_offline_for_a_page_view_then_online(site: DemoSite, contexts):
    text = "Lost and found"
    message = site.live_message(text)
    context = contexts()
    html = host_page(head=STEPS).replace(
        "history.pushState({}, '', '/hostile/next')",
        "history.pushState({}, '', '/hostile/step-' + (++window.hostSteps))")
    serve(context, site.url("/hostile/page"), html)
    page = context.new_page()
    watch = Watch(allowed=[OFFLINE_NOISE]).attach(page)
    page.goto(site.url("/hostile/page"))

    card = bubble(page)
    expect(card).to_contain_text(text)
    card.locator(".x").click()
    expect(card).to_have_count(0)
    context.set_offline(True)
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/page-views")):
        page.locator("#host-next").click()
    context.set_offline(False)

    # Back online: by retrying, or at the next page view at the latest, the bubble shows.
    page.locator("#host-next").click()
    expect(card).to_contain_text(text)
    card.click()
    expect(messenger(page)).to_be_visible()
    wait_for_counts(site, message["id"], {"dismissals": 1, "opens": 1})
    host_still_works(page, watch)
    assert launcher(page).count() == 1
