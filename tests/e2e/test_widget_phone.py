"""The widget on a phone: a 390×844 touch screen at 3× (an iPhone-sized viewport).

The bubble, the launcher and the messenger stay inside the visual viewport, even on a host page
wider than the screen or zoomed in; the messenger takes the whole screen; touch targets are at
least 44×44 px and inputs use 16 px text (so that focusing one does not zoom the page); a long
message is clamped in the bubble and whole in the messenger. Screenshots are kept as evidence
(in the test's tmp_path); the assertions are on the boxes the browser reports.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import widget_helpers
from tests.e2e.hostile_pages import HALF_PIXEL, Watch, boxes, serve
from tests.e2e.hostile_pages import in_view as assert_inside
from tests.e2e.widget_helpers import EMBED, DemoSite, bubble, goto, launcher, messenger, open_shadow

site = widget_helpers.site

PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
             device_scale_factor=3)
TOUCH = 44  # px: the smallest comfortable touch target
@pytest.fixture
def phone(browser: Browser) -> Iterator[tuple[Page, Watch]]:
    context = browser.new_context(**PHONE)
    open_shadow(context)
    page = context.new_page()
    watch = Watch().attach(page)
    yield page, watch
    context.close()


def assert_touch_target(page: Page, selector: str, *, wide: bool = True) -> None:
    b = boxes(page, selector)[selector]
    assert b is not None, f"{selector} is not in the widget"
    assert b["height"] >= TOUCH - HALF_PIXEL, (selector, b)
    if wide:
        assert b["width"] >= TOUCH - HALF_PIXEL, (selector, b)


def font_size(page: Page, selector: str) -> list[float]:
    """The computed font size (px) of every element matching `selector` in the widget."""
    return page.evaluate("""(s) => Array.from(document.querySelector('overture-widget')
        .shadowRoot.querySelectorAll(s), e => parseFloat(getComputedStyle(e).fontSize))""",
                         selector)


def assert_full_screen(page: Page) -> None:
    """The messenger covers the visual viewport exactly (checked again until a bound: the
    widget may take a frame to follow a change of the viewport)."""
    deadline = time.monotonic() + 5
    while True:
        got = boxes(page, ".panel")
        v, panel = got["viewport"], got[".panel"]
        assert panel is not None
        if all(abs(panel[k] - v[k]) <= 1 for k in ("x", "y", "width", "height")):
            return
        assert time.monotonic() < deadline, (panel, v)
        page.wait_for_timeout(100)


# -- tests -----------------------------------------------------------------------------------------


def test_the_pricing_page_fits_the_phone_and_so_do_the_bubble_and_launcher(
        phone, site: DemoSite, tmp_path):
    page, watch = phone
    site.live_message("Which plan fits your rockets?")
    goto(page, site.url("/demo/pricing"))
    expect(bubble(page)).to_contain_text("Which plan fits your rockets?")
    page.screenshot(path=tmp_path / "pricing-phone.png")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_inside(page, ".card", ".launcher", ".card .x")
    assert_touch_target(page, ".launcher")
    assert_touch_target(page, ".card .x")

    page.mouse.wheel(0, 600)  # scrolled down the page: still in view
    page.wait_for_function("scrollY > 0")
    assert_inside(page, ".card", ".launcher")

    # Dismissed: the launcher shows its text again, and with it still fits the screen.
    bubble(page).locator(".x").tap()
    expect(bubble(page)).to_have_count(0)
    expect(launcher(page).get_by_text("Questions? Chat with us")).to_be_visible()
    page.screenshot(path=tmp_path / "pricing-launcher-phone.png")
    assert_inside(page, ".launcher")
    assert_touch_target(page, ".launcher")
    assert watch.errors == []


def test_the_messenger_takes_the_whole_screen_with_big_targets_and_16px_text(
        phone, site: DemoSite, tmp_path):
    page, watch = phone
    site.live_message("Want a quote for **anvils**?", response={
        "type": "agent", "collect": ["name", "email"], "follow_up": "Thanks! A quote is coming."})
    goto(page, site.url("/demo/pricing"))
    bubble(page).tap()

    dialog = messenger(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Your email")).to_be_visible()
    page.screenshot(path=tmp_path / "messenger-form-phone.png")
    assert_full_screen(page)
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_visible()
    assert_inside(page, ".panel .close", ".panel .send")
    assert_touch_target(page, ".panel .close")
    assert_touch_target(page, ".panel .send")
    sizes = font_size(page, ".panel input")
    assert len(sizes) == 2 and min(sizes) >= 16, sizes

    dialog.get_by_label("Your name").fill("Wile E. Coyote")
    dialog.get_by_label("Your email").fill("wile@example.com")
    dialog.get_by_role("button", name="Send").tap()
    expect(dialog.locator(".msg").last).to_contain_text("Thanks! A quote is coming.")
    box = dialog.get_by_role("textbox", name="Write a message…")
    expect(box).to_be_visible()
    page.screenshot(path=tmp_path / "messenger-chat-phone.png")
    assert_full_screen(page)
    assert_inside(page, ".panel textarea", ".panel .send")
    assert_touch_target(page, ".panel textarea", wide=False)
    assert_touch_target(page, ".panel .send")
    assert min(font_size(page, ".panel textarea")) >= 16

    close.tap()
    expect(dialog).to_be_hidden()
    expect(launcher(page)).to_be_visible()
    assert_inside(page, ".launcher")

    # Opened again from the launcher: the conversation, on the whole screen as before.
    launcher(page).tap()
    expect(dialog.locator(".msg").last).to_contain_text("Thanks! A quote is coming.")
    assert_full_screen(page)
    assert_inside(page, ".panel .close", ".panel textarea", ".panel .send")
    dialog.get_by_role("button", name="Close").tap()
    expect(dialog).to_be_hidden()
    assert watch.errors == []


def test_the_messenger_follows_the_keyboard_and_a_turn_to_landscape(
        phone, site: DemoSite, tmp_path):
    page, watch = phone
    site.live_message("Type away")
    goto(page, site.url("/demo/pricing"))
    bubble(page).tap()
    box = messenger(page).get_by_role("textbox", name="Write a message…")
    expect(box).to_be_visible()
    box.tap()

    # The on-screen keyboard takes the lower half of the screen: what is left is the viewport.
    page.set_viewport_size({"width": 390, "height": 460})
    assert_full_screen(page)
    assert_inside(page, ".panel .close", ".panel textarea", ".panel .send")
    page.screenshot(path=tmp_path / "keyboard-phone.png")

    # Turned to landscape: wider than a phone's portrait, still all in view.
    page.set_viewport_size({"width": 844, "height": 390})
    assert_inside(page, ".panel", ".panel .close", ".panel textarea", ".panel .send",
                  ".launcher")
    page.screenshot(path=tmp_path / "landscape-phone.png")
    expect(box).to_be_focused()
    assert watch.errors == []


def test_a_long_message_is_clamped_in_the_bubble_and_whole_in_the_messenger(
        phone, site: DemoSite, tmp_path):
    page, watch = phone
    sentence = "Our anvils ship in two days and every rocket comes with a free spare fin. "
    text = (sentence * 9)[:580] + " The end of the message."
    assert len(text) > 600
    site.live_message(text, response={"type": "agent", "collect": [], "follow_up": "Thanks!"})
    goto(page, site.url("/demo/pricing"))
    card = bubble(page)
    expect(card).to_be_visible()
    page.screenshot(path=tmp_path / "long-bubble-phone.png")

    got = assert_inside(page, ".card", ".card .text", ".launcher")
    assert got[".card"]["height"] < 0.45 * got["viewport"]["height"]
    clamped = page.evaluate("""() => { const t = document.querySelector('overture-widget')
        .shadowRoot.querySelector('.card .text'); return [t.scrollHeight, t.clientHeight]; }""")
    assert clamped[0] > clamped[1], clamped  # more text than the bubble shows

    card.tap()
    first = messenger(page).locator(".msg").first
    expect(first).to_contain_text(text)
    page.screenshot(path=tmp_path / "long-messenger-phone.png")
    whole = first.evaluate("e => [e.scrollHeight, e.clientHeight]")
    assert whole[0] <= whole[1] + 1, whole  # nothing of it cut off
    assert watch.errors == []


OPEN_EMBED = EMBED.replace("async>", 'data-shadow="open" async>')


def phone_page(body: str, viewport: str = "width=device-width, initial-scale=1") -> str:
    """A host page of the test's own, with the embed tag (shadow root open)."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='{viewport}'><title>Phone page</title></head>"
            f"<body>{body}{OPEN_EMBED}</body></html>")


WIDE = phone_page(
    "<h1>Quarterly report</h1><table style='width:1200px;border-collapse:collapse'><tr>"
    + "".join(f"<td style='border:1px solid #999'>Column {i}</td>" for i in range(12))
    + "</tr></table>")


def test_a_host_page_wider_than_the_screen_keeps_the_widget_in_view(
        phone, site: DemoSite, tmp_path):
    page, watch = phone
    site.live_message("Need the numbers explained?")
    serve(page.context, site.url("/phone/wide"), WIDE)
    goto(page, site.url("/phone/wide"))
    expect(bubble(page)).to_contain_text("Need the numbers explained?")
    assert page.evaluate("document.documentElement.scrollWidth") >= 1200
    page.screenshot(path=tmp_path / "wide-page-phone.png")
    assert_inside(page, ".card", ".launcher")

    # Zoomed in and panned (as a pinch and a swipe would): still in view.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setPageScaleFactor", {"pageScaleFactor": 2})
    page.mouse.wheel(300, 200)
    page.wait_for_function("visualViewport.scale === 2 && visualViewport.offsetLeft > 0")
    page.screenshot(path=tmp_path / "wide-page-zoomed-phone.png")
    expect(bubble(page)).to_be_visible()
    assert_inside(page, ".card", ".launcher")

    # What is at the bubble's centre is the widget, and a tap there opens the messenger.
    # (Playwright's own hit check does not follow a page scale set this way: a plain tap.)
    card = assert_inside(page, ".card")[".card"]
    x, y = card["x"] + card["width"] / 2, card["y"] + card["height"] / 2
    assert page.evaluate(f"document.elementFromPoint({x}, {y}).localName") == "overture-widget"
    seen = bubble(page).bounding_box()
    assert seen
    page.touchscreen.tap(seen["x"] + seen["width"] / 2, seen["y"] + seen["height"] / 2)
    expect(messenger(page)).to_be_visible()
    page.screenshot(path=tmp_path / "wide-page-zoomed-messenger-phone.png")
    assert_full_screen(page)
    assert_inside(page, ".panel .close", ".panel textarea")
    assert watch.errors == []


# A notched phone: the page asks to cover the whole screen, and the browser reports the insets.
INSETS = {"top": 47, "bottom": 34, "left": 10, "right": 20}


def test_the_widget_keeps_clear_of_the_safe_area_insets(phone, site: DemoSite, tmp_path):
    page, watch = phone
    site.live_message("Mind the notch")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setSafeAreaInsetsOverride", {"insets": INSETS})
    serve(page.context, site.url("/phone/notch"), phone_page(
        "<h1>Edge to edge</h1>",
        viewport="width=device-width, initial-scale=1, viewport-fit=cover"))
    goto(page, site.url("/phone/notch"))
    expect(bubble(page)).to_contain_text("Mind the notch")
    page.screenshot(path=tmp_path / "notch-bubble-phone.png")

    def assert_safe(*selectors: str) -> None:
        got = assert_inside(page, *selectors)
        v = got["viewport"]
        for s in selectors:
            b = got[s]
            assert b["x"] >= v["x"] + INSETS["left"] - HALF_PIXEL, (s, b)
            assert b["y"] >= v["y"] + INSETS["top"] - HALF_PIXEL, (s, b)
            assert b["x"] + b["width"] <= v["x"] + v["width"] - INSETS["right"] + HALF_PIXEL, (s, b)
            assert b["y"] + b["height"] <= v["y"] + v["height"] - INSETS["bottom"] + HALF_PIXEL, (
                s, b)

    assert_safe(".card", ".launcher")
    bubble(page).tap()
    expect(messenger(page).get_by_role("textbox", name="Write a message…")).to_be_visible()
    page.screenshot(path=tmp_path / "notch-messenger-phone.png")
    assert_full_screen(page)  # the panel's background fills the screen...
    assert_safe(".panel .close", ".panel textarea", ".panel .send")  # ...its controls do not
    assert watch.errors == []


def test_on_a_desktop_only_site_the_widget_keeps_its_phone_size(phone, site: DemoSite, tmp_path):
    """A site made for desktops (`width=1024`) is shown zoomed out to fit the phone: the
    widget is still as big on the screen as on a phone-ready site, and takes the screen."""
    page, watch = phone
    site.live_message("Made for phones, even here")
    serve(page.context, site.url("/phone/desktop-only"), phone_page(
        "<h1>Our desktop site</h1><div style='width:1000px'>Wide as ever</div>",
        viewport="width=1024"))
    goto(page, site.url("/phone/desktop-only"))
    expect(bubble(page)).to_contain_text("Made for phones, even here")
    page.screenshot(path=tmp_path / "desktop-only-phone.png")

    got = assert_inside(page, ".card", ".launcher", ".card .x")
    scale = got["viewport"]["scale"]
    assert scale < 0.5  # the page is zoomed out to fit the screen
    for s in (".launcher", ".card .x"):  # what the finger meets, in screen pixels
        assert got[s]["width"] * scale >= TOUCH - HALF_PIXEL, (s, got[s], scale)
        assert got[s]["height"] * scale >= TOUCH - HALF_PIXEL, (s, got[s], scale)
    # The bubble's text as drawn (the box of its first line of glyphs), in screen pixels.
    glyphs = page.evaluate("""() => { const range = document.createRange();
        range.selectNodeContents(document.querySelector('overture-widget').shadowRoot
            .querySelector('.card .text'));
        return range.getClientRects()[0].height; }""")
    assert glyphs * scale >= 12, (glyphs, scale)  # readable without zooming in

    bubble(page).tap()
    expect(messenger(page)).to_be_visible()
    page.screenshot(path=tmp_path / "desktop-only-messenger-phone.png")
    assert_full_screen(page)
    assert watch.errors == []
