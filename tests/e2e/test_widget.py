"""The web widget on the demo host site, in a real browser, against the real server.

Each test publishes exactly the messages it needs (the demo's own are deleted by `site`);
only the clock is faked.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, Page, expect

from overture.kit.clock import clock
from tests.e2e import widget_helpers
from tests.e2e.widget_helpers import (
    DemoSite,
    bubble,
    goto,
    identify_before_load,
    is_page_view,
    launcher,
    messenger,
    new_page,
    no_bubble,
    open_shadow,
)

site = widget_helpers.site
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


# -- showing ---------------------------------------------------------------------------------


def test_a_page_load_message_appears_with_its_text(page: Page, site: DemoSite):
    site.live_message("Need help choosing a **rocket**? See [our guide](https://acme.test/guide)\n"
                      "We answer in *minutes*.")
    open_shadow(page.context)

    decision = goto(page, site.url("/demo"))
    assert decision["show"]["plain_text"].startswith("Need help choosing a rocket?")

    card = bubble(page)
    expect(card).to_be_visible()
    expect(card).to_contain_text("Acme Support")
    expect(card).to_contain_text("Need help choosing a rocket? See our guide")
    expect(card.locator("strong")).to_have_text("rocket")
    expect(card.locator("em")).to_have_text("minutes")
    expect(card.locator("br")).to_have_count(1)
    link = card.get_by_role("link", name="our guide")
    expect(link).to_have_attribute("href", "https://acme.test/guide")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(page.get_by_role("status")).to_contain_text("We answer in minutes.")
    expect(card.get_by_role("button", name="Dismiss")).to_be_visible()
    # The bubble replaces the launcher text while shown.
    expect(launcher(page).get_by_text("Questions? Chat with us")).to_be_hidden()
    expect(launcher(page)).to_have_accessible_name("Open chat")


def test_html_in_messages_is_refused_and_visitor_names_are_shown_as_text(
        browser: Browser, site: DemoSite):
    refused = site.api.post("/api/v1/proactive-messages", json={
        "name": "Script", "brand_id": site.brand_id, "channel_id": site.channel_id,
        "message": "Hi <script>alert(1)</script>"})
    assert refused.status_code == 422

    site.live_message("Hello {{full_name}}, welcome back")
    name = "<img src=x onerror=alert(1)> & <b>Bob</b>"
    page = new_page(browser)
    identify_before_load(page.context, site.identity("cust-html", name=name))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    goto(page, site.url("/demo"))
    card = bubble(page)
    expect(card).to_contain_text(f"Hello {name}, welcome back")
    expect(card.locator("img, b")).to_have_count(0)
    page.wait_for_timeout(200)
    assert dialogs == []
    page.context.close()


def test_an_on_page_message_waits_for_its_time(page: Page, site: DemoSite):
    site.live_message("Still deciding?", trigger={"event": "on_page", "seconds": 2})
    open_shadow(page.context)

    decision = goto(page, site.url("/demo/pricing"))
    assert decision["show"] is None
    assert decision["pending"] == [2]
    started = page.evaluate("Date.now()")
    with page.expect_response(lambda r: r.url.endswith("/check")) as checked:
        expect(bubble(page)).to_contain_text("Still deciding?", timeout=5000)
    assert checked.value.json()["show"]["plain_text"] == "Still deciding?"
    assert page.evaluate("Date.now()") - started >= 1500


def test_two_matching_messages_show_only_the_first_by_priority(page: Page, site: DemoSite):
    site.live_message("Second in line", priority=2)
    first = site.live_message("First in line", priority=1)
    site.live_message("Also second", priority=2)
    open_shadow(page.context)

    decision = goto(page, site.url("/demo"))
    assert decision["show"]["message_id"] == first["id"]
    expect(bubble(page)).to_have_text("Acme SupportFirst in line")
    expect(bubble(page)).to_have_count(1)


# -- frequency --------------------------------------------------------------------------------


def test_once_per_visit_stays_hidden_in_the_visit_but_returns_in_a_new_one(
        page: Page, site: DemoSite):
    site.live_message("Once a visit", frequency="once_per_visit")
    open_shadow(page.context)

    goto(page, site.url("/demo"))
    expect(bubble(page)).to_contain_text("Once a visit")
    # The bubble stays across the pages of the visit until it is dismissed.
    assert goto(page, site.url("/demo/pricing"))["show"]["repeat"] is True
    expect(bubble(page)).to_contain_text("Once a visit")

    bubble(page).get_by_role("button", name="Dismiss message").click()
    expect(bubble(page)).to_have_count(0)
    expect(launcher(page).get_by_text("Questions? Chat with us")).to_be_visible()
    expect(launcher(page)).to_have_accessible_name("Open chat: Questions? Chat with us")

    assert goto(page, site.url("/demo"))["show"] is None
    no_bubble(page)

    # Another tab is the same visit; a browser started again (its session cookie gone, its
    # local storage kept) is a new visit of the same visitor.
    tab = page.context.new_page()
    assert goto(tab, site.url("/demo"))["show"] is None
    page.context.clear_cookies()
    assert goto(tab, site.url("/demo/pricing"))["show"] is not None
    expect(bubble(tab)).to_contain_text("Once a visit")
    assert tab.evaluate("localStorage['overture:visitor']") == page.evaluate(
        "localStorage['overture:visitor']")


def test_once_per_customer_never_returns_even_on_another_device(
        browser: Browser, site: DemoSite):
    site.live_message("Just once, {{first_name}}", frequency="once_per_customer")
    token = site.identity("cust-42", name="Maria Silva", email="maria@example.com")

    laptop = new_page(browser)
    identify_before_load(laptop.context, token)
    goto(laptop, site.url("/demo"))
    expect(bubble(laptop)).to_contain_text("Just once, Maria")
    bubble(laptop).get_by_role("button", name="Dismiss").click()
    expect(bubble(laptop)).to_have_count(0)

    assert goto(laptop, site.url("/demo/pricing"))["show"] is None
    tab = laptop.context.new_page()  # a new visit on the same device
    assert goto(tab, site.url("/demo"))["show"] is None
    no_bubble(tab)

    phone = new_page(browser, is_mobile=True, viewport={"width": 390, "height": 800})
    identify_before_load(phone.context, token)
    assert goto(phone, site.url("/demo"))["show"] is None
    no_bubble(phone)

    stranger = new_page(browser)  # an anonymous visitor still gets it
    goto(stranger, site.url("/demo"))
    expect(bubble(stranger)).to_contain_text("Just once")
    for p in (laptop, phone, stranger):
        p.context.close()


def test_every_time_comes_back_on_the_next_page_view(page: Page, site: DemoSite):
    site.live_message("Every time", frequency="every_time")
    open_shadow(page.context)

    goto(page, site.url("/demo"))
    bubble(page).get_by_role("button", name="Dismiss message").click()
    expect(bubble(page)).to_have_count(0)

    goto(page, site.url("/demo/pricing"))
    expect(bubble(page)).to_contain_text("Every time")


# -- timing, conditions, single-page apps ------------------------------------------------------


def test_business_hours_message_shows_only_in_support_hours(browser: Browser, site: DemoSite):
    site.live_message("We are online", frequency="every_time",
                      timing={"when": "business_hours", "schedule_id": site.schedule_id})

    clock.shift_to(datetime(2026, 3, 4, 11, 0, tzinfo=SAO_PAULO))  # a Wednesday morning
    open_hours = new_page(browser)
    assert goto(open_hours, site.url("/demo"))["show"] is not None
    expect(bubble(open_hours)).to_contain_text("We are online")

    clock.shift_to(datetime(2026, 3, 4, 21, 0, tzinfo=SAO_PAULO))  # the same evening
    closed = new_page(browser)
    assert goto(closed, site.url("/demo"))["show"] is None
    no_bubble(closed)

    clock.shift_to(datetime(2026, 3, 7, 11, 0, tzinfo=SAO_PAULO))  # Saturday morning
    weekend = new_page(browser)
    assert goto(weekend, site.url("/demo"))["show"] is None
    for p in (open_hours, closed, weekend):
        p.context.close()


def test_a_route_change_in_a_single_page_app_is_a_page_view(page: Page, site: DemoSite):
    site.live_message("Questions about your invoice?", conditions={"all": [
        {"field": "page_url", "operator": "contains", "value": ["/billing"]}]})
    open_shadow(page.context)

    assert goto(page, site.url("/demo/app"))["show"] is None
    no_bubble(page)

    with page.expect_response(is_page_view) as answer:
        page.get_by_role("link", name="Billing").click()
    body = json.loads(answer.value.request.post_data or "{}")
    assert body["url"] == site.url("/demo/app/billing")
    assert body["title"] == "Acme App — Billing"
    expect(page.get_by_role("heading", name="Billing")).to_be_visible()
    expect(bubble(page)).to_contain_text("Questions about your invoice?")

    # The host page's own history calls still work, and popstate is a page view too.
    with page.expect_response(is_page_view) as answer:
        page.get_by_role("button", name="Back").click()
    assert json.loads(answer.value.request.post_data or "{}")["url"] == site.url("/demo/app")
    expect(page).to_have_url(site.url("/demo/app"))
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_attributes_and_callbacks_through_the_command_queue(page: Page, site: DemoSite):
    message = site.live_message("Pro tips inside", conditions={"all": [
        {"field": "attribute.plan", "operator": "is", "value": "pro"}]})
    open_shadow(page.context)
    page.add_init_script("""
        window.Overture = window.Overture || function () { (Overture.q = Overture.q || []).push(arguments) };
        window.seen = [];
        Overture('set', {plan: 'pro'});
        ['proactiveMessageDisplayed', 'proactiveMessageClicked', 'proactiveMessageDismissed',
         'conversationStarted'].forEach(function (name) {
          Overture('on', name, function (m) { seen.push([name, m.messageId, m.deliveryId]); });
        });
    """)

    decision = goto(page, site.url("/demo"))
    expect(bubble(page)).to_contain_text("Pro tips inside")
    delivery = decision["show"]["delivery_id"]
    assert page.evaluate("seen") == [["proactiveMessageDisplayed", message["id"], delivery]]

    page.evaluate("Overture('open')")
    expect(messenger(page)).to_be_visible()
    launcher(page).click()  # the launcher's close button, without a reply: dismissed
    expect(messenger(page)).to_be_hidden()
    assert page.evaluate("seen.map(function (s) { return s[0] })") == [
        "proactiveMessageDisplayed", "proactiveMessageClicked", "proactiveMessageDismissed"]

    # Without a message, open and close only open and close an empty messenger.
    page.evaluate("Overture('open')")
    expect(messenger(page)).to_be_visible()
    expect(messenger(page).locator(".msg")).to_have_count(0)
    page.evaluate("Overture('close')")
    expect(messenger(page)).to_be_hidden()
    assert len(page.evaluate("seen")) == 3

    with page.expect_response(is_page_view) as answer:
        page.evaluate("Overture('pageView', {url: '/demo/virtual?step=2', title: 'Step 2'})")
    body = json.loads(answer.value.request.post_data or "{}")
    assert (body["url"], body["title"]) == (site.url("/demo/virtual?step=2"), "Step 2")
    assert body["attributes"] == {"plan": "pro"}
    # Nothing global but window.Overture.
    assert page.evaluate("Object.keys(window).filter(k => /overture/i.test(k))") == ["Overture"]


# -- the messenger -----------------------------------------------------------------------------


def test_the_data_form_collects_name_and_email_and_counts_a_reply(page: Page, site: DemoSite):
    message = site.live_message(
        "Want a quote for **anvils**?", frequency="once_per_visit",
        response={"type": "agent", "collect": ["name", "email"],
                  "follow_up": "Thanks! We will email you a quote today."})
    open_shadow(page.context)

    goto(page, site.url("/demo/pricing"))
    bubble(page).get_by_role("button", name="Want a quote for anvils?").click()

    dialog = page.get_by_role("dialog", name="Acme Support")
    expect(dialog).to_be_visible()
    expect(bubble(page)).to_have_count(0)
    expect(dialog.locator(".msg").first).to_contain_text("Acme Support")
    expect(dialog.locator(".msg").first).to_contain_text("Want a quote for anvils?")
    name = dialog.get_by_label("Your name")
    email = dialog.get_by_label("Your email")
    expect(name).to_be_focused()
    expect(email).to_have_attribute("type", "email")
    expect(launcher(page)).to_have_attribute("aria-label", "Close")

    name.fill("Wile E. Coyote")
    email.fill("wile@acme")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_text("Please enter a valid email")).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()

    email.fill("wile@example.com")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.locator(".msg").last).to_contain_text("Thanks! We will email you a quote today.")
    expect(dialog.get_by_label("Your email")).to_have_count(0)
    expect(dialog.get_by_role("textbox", name="Write a message…")).to_be_focused()

    site.wait_for_stats(message["id"], {"sent": 1, "opened": 1, "replied": 1})

    # Closing after a reply is not a dismissal; the conversation is still there on reopening.
    launcher(page).click()
    expect(dialog).to_be_hidden()
    launcher(page).click()
    expect(dialog).to_contain_text("Thanks! We will email you a quote today.")


def test_without_data_collection_the_first_message_is_the_reply(browser: Browser, site: DemoSite):
    message = site.live_message("Posso ajudar?", response={
        "type": "agent", "collect": [], "follow_up": "Obrigado!"})
    page = new_page(browser, locale="pt-BR")

    goto(page, site.url("/demo"))
    expect(bubble(page).get_by_role("button", name="Fechar")).to_be_visible()
    bubble(page).get_by_role("button", name="Posso ajudar?").click()
    dialog = messenger(page)
    box = dialog.get_by_role("textbox", name="Escreva uma mensagem…")
    expect(box).to_be_focused()
    box.fill("Quero um foguete")
    dialog.get_by_role("button", name="Enviar").click()
    expect(dialog.locator(".msg.visitor")).to_contain_text("Quero um foguete")
    site.wait_for_stats(message["id"], {"sent": 1, "opened": 1, "replied": 1})

    box.fill("E uma bigorna")
    box.press("Enter")
    expect(dialog.locator(".msg.visitor")).to_have_count(2)
    site.wait_for_stats(message["id"], {"sent": 1, "opened": 1, "replied": 1})
    page.context.close()


def test_closing_the_messenger_without_replying_is_a_dismissal(page: Page, site: DemoSite):
    site.live_message("Hello there", frequency="once_per_visit")
    open_shadow(page.context)
    goto(page, site.url("/demo"))

    # The first try of the event fails on the network; the retry carries the same event id.
    tries: list[dict] = []

    def flaky(route):
        tries.append(json.loads(route.request.post_data or "{}"))
        if len(tries) == 1:
            route.abort()
        else:
            route.continue_()

    page.route("**/events", flaky)
    with page.expect_response(lambda r: r.url.endswith("/events")) as done:
        page.keyboard.press("Tab")  # into the page; then reach the bubble by keyboard
        bubble(page).get_by_role("button", name="Hello there").focus()
        page.keyboard.press("Enter")
    assert done.value.json()["ok"] is True
    assert [t["kind"] for t in tries] == ["opened", "opened"]
    assert tries[0]["event_id"] == tries[1]["event_id"]

    dialog = messenger(page)
    expect(dialog).to_be_visible()
    with page.expect_request(lambda r: r.url.endswith("/events")) as dismissed:
        page.keyboard.press("Escape")
    assert json.loads(dismissed.value.post_data or "{}")["kind"] == "dismissed"
    expect(dialog).to_be_hidden()
    expect(launcher(page)).to_be_focused()
    assert goto(page, site.url("/demo/pricing"))["show"] is None


def test_the_bubble_is_reachable_by_keyboard_and_respects_reduced_motion(
        browser: Browser, site: DemoSite):
    site.live_message("Tab to me")
    focused = ("(() => { const e = document.querySelector('overture-widget').shadowRoot"
               ".activeElement; return e && [e.className, getComputedStyle(e).outlineStyle] })()")
    for motion, animation in (("no-preference", "ov-in"), ("reduce", "none")):
        page = new_page(browser, reduced_motion=motion)
        goto(page, site.url("/demo"))
        expect(bubble(page)).to_be_visible()
        assert bubble(page).evaluate("e => getComputedStyle(e).animationName") == animation
        reached = []
        for _ in range(20):
            page.keyboard.press("Tab")
            state = page.evaluate(focused)
            if state:
                reached.append(state[0])
                assert state[1] == "solid"  # a visible focus ring
            if state and state[0] == "launcher":
                break
        assert reached == ["open", "x", "launcher"]
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        expect(messenger(page)).to_be_visible()
        page.context.close()


# -- isolation and safety ----------------------------------------------------------------------


def test_the_host_page_and_the_widget_do_not_reach_each_other(browser: Browser, site: DemoSite):
    site.live_message("Styled by us, not by Acme")

    bare = browser.new_context()
    bare.route("**/widget.js", lambda route: route.abort())
    without = bare.new_page()
    without.goto(site.url("/demo"))
    boxes_without = without.evaluate(
        "['main', 'h1', '#cta', '#demo-note'].map(s => document.querySelector(s)"
        ".getBoundingClientRect().toJSON())")
    bare.close()

    page = new_page(browser)
    goto(page, site.url("/demo"))
    expect(bubble(page)).to_be_visible()
    boxes_with = page.evaluate(
        "['main', 'h1', '#cta', '#demo-note'].map(s => document.querySelector(s)"
        ".getBoundingClientRect().toJSON())")
    assert boxes_with == boxes_without

    # Acme's `button { background: hotpink }` and `* { font-family: serif !important }`
    # do not reach the widget; the widget's styles do not reach Acme's button.
    styles = page.evaluate("""() => {
        const root = document.querySelector('overture-widget').shadowRoot;
        const style = el => { const s = getComputedStyle(el);
            return [s.backgroundColor, s.fontFamily, s.color]; };
        return {launcher: style(root.querySelector('.launcher')),
                dismiss: style(root.querySelector('.x')),
                text: style(root.querySelector('.text')),
                host: style(document.querySelector('#cta'))};
    }""")
    assert styles["launcher"][0] == "rgb(31, 115, 183)"  # the channel's colour
    assert styles["dismiss"][0] == "rgba(0, 0, 0, 0)"
    assert "Georgia" not in styles["text"][1] and "system-ui" in styles["text"][1]
    assert styles["host"][0] == "rgb(255, 105, 180)"  # hotpink, untouched
    assert "Georgia" in styles["host"][1]
    page.context.close()


def test_the_shadow_root_is_closed_by_default(page: Page, site: DemoSite):
    site.live_message("Closed but visible")
    goto(page, site.url("/demo"))
    page.wait_for_function("document.querySelector('overture-widget') !== null")
    assert page.evaluate("document.querySelector('overture-widget').shadowRoot") is None
    assert page.evaluate("document.querySelectorAll('overture-widget').length") == 1
    assert page.evaluate("document.body.lastElementChild.localName") == "overture-widget"
    # The launcher is on screen, bottom right: what is there is the widget's element.
    size = page.viewport_size
    assert size
    hit = page.evaluate(f"document.elementFromPoint({size['width'] - 40}, "
                        f"{size['height'] - 40}).localName")
    assert hit == "overture-widget"


def test_a_page_on_an_origin_that_is_not_allowed_gets_nothing(
        page: Page, site: DemoSite, tmp_path):
    site.live_message("You should not see this")
    (tmp_path / "index.html").write_text(
        "<!doctype html><title>Elsewhere</title><h1>Another site</h1>"
        f'<script src="{site.url("/widget.js")}" data-channel="demo-widget" '
        'data-shadow="open" async></script>')
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    other = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{other.server_address[1]}"
    try:
        # What the server answers this origin...
        refused = httpx.get(site.url("/widget/v1/demo-widget/config"), headers={"Origin": origin})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "origin_not_allowed"
        # ...and what the browser makes of it: the calls fail, the widget stays away.
        answered: list[str] = []
        failed: list[str] = []
        page.on("response", lambda r: "/widget/v1/" in r.url and r.ok and answered.append(r.url))
        page.on("requestfailed", lambda r: "/widget/v1/" in r.url and failed.append(r.url))
        page.goto(f"{origin}/index.html")
        expect(page.get_by_role("heading", name="Another site")).to_be_visible()
        page.wait_for_timeout(1000)
        assert any("/config" in url for url in failed), failed
        assert answered == []
        assert page.locator("overture-widget").count() == 0
        message_id = site.api.get("/api/v1/proactive-messages").json()[0]["id"]
        assert site.stats(message_id)["sent"] == 0
    finally:
        other.shutdown()
        other.server_close()
