"""Every rule of SPEC §4, through the widget API, with a faked clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from overture.kit.clock import clock

API = "/api/v1/proactive-messages"
URL_RULE = {"all": [{"field": "page_url", "operator": "contains", "value": ["/pricing"]}]}
WED_NOON_SP = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # Wednesday 12:00 in São Paulo


@pytest.mark.parametrize(("message", "anonymous"), [
    ("Hello **{{first_name}}**!", "Hello!"),
    ("Olá, {{first_name}}!", "Olá!"),
    ("{{first_name}}, welcome!", "Welcome!"),
    ("Thanks {{first_name}} for coming. *{{full_name}}*, see **this**.",
     "Thanks for coming. See this."),
    ("Just once, {{first_name}}", "Just once"),
    ("Hello {{first_name}}! ({{full_name}})", "Hello!"),
])
def test_a_placeholder_without_a_value_leaves_no_trace(live, visitor, message, anonymous):
    """An anonymous visitor has no name: the placeholder goes with its emphasis, brackets and
    the punctuation that only belonged to it; a sentence it opened starts with a capital."""
    live(message=message)
    assert visitor.view()["show"]["plain_text"] == anonymous


def test_page_load_message_is_shown_and_counted_once(client, admin, live, visitor):
    m = live(message="Hi {{first_name}}, need **help**?")
    d = visitor.view()
    assert d["show"]["message_id"] == m["id"]
    assert d["show"]["plain_text"] == "Hi, need help?"
    assert {"text": "help", "bold": True} in d["show"]["text"]
    assert d["show"]["sender"]["name"] == "Shop Support"
    assert d["show"]["repeat"] is False
    # Stays on screen across pages of the visit, not counted again.
    d2 = visitor.view("https://shop.example/other")
    assert d2["show"]["delivery_id"] == d["show"]["delivery_id"] and d2["show"]["repeat"]
    stats = client.get(f"{API}/{m['id']}", headers=admin.headers).json()["stats"]
    assert stats == {"sent": 1, "opened": 0, "replied": 0}


def test_conditions_decide(live, visitor):
    live(conditions=URL_RULE)
    assert visitor.view("https://shop.example/").get("show") is None
    assert visitor.view("https://shop.example/PRICING?x=1")["show"] is not None


def test_on_page_message_waits_for_its_seconds_and_restarts_per_page(live, visitor):
    clock.freeze(WED_NOON_SP)
    live(trigger={"event": "on_page", "seconds": 30})
    d = visitor.view()
    assert d["show"] is None and d["pending"] == [30]
    clock.advance(timedelta(seconds=10))
    assert visitor.check()["show"] is None
    visitor.view("https://shop.example/b")  # the clock restarts at every page view
    clock.advance(timedelta(seconds=25))
    assert visitor.check()["show"] is None
    clock.advance(timedelta(seconds=5))
    assert visitor.check()["show"] is not None


def test_dismissed_once_per_visit_stays_hidden_until_a_new_visit(live, visitor):
    clock.freeze(WED_NOON_SP)
    live(frequency="once_per_visit")
    visitor.view()
    assert visitor.event("dismissed").status_code == 200
    assert visitor.view("https://shop.example/2")["show"] is None
    clock.advance(timedelta(minutes=31))  # visit_timeout_minutes (30) without page views
    assert visitor.view("https://shop.example/3")["show"] is not None
    visitor.event("opened")
    assert visitor.view("https://shop.example/4")["show"] is None
    visitor.new_session()  # the visitor was closed: a new visit
    assert visitor.view("https://shop.example/5")["show"] is not None


def test_every_time_comes_back_after_dismissal(live, visitor):
    live(frequency="every_time")
    visitor.view()
    visitor.event("dismissed")
    assert visitor.view("https://shop.example/2")["show"] is not None


def test_once_per_customer_never_again_even_on_another_device(live, visitor, new_visitor, site):
    live(frequency="once_per_customer")
    secret = site["channel"]["jwt_secret"]
    visitor.view()
    assert visitor.identify(secret, "cust-1", "Maria Silva").status_code == 200
    visitor.event("dismissed")
    visitor.new_session()
    assert visitor.view()["show"] is None
    other = new_visitor()  # a second device, same customer
    assert other.identify(secret, "cust-1", "Maria Silva").status_code == 200
    assert other.view()["show"] is None
    stranger = new_visitor()
    assert stranger.view()["show"] is not None


def test_anonymous_history_merges_into_the_customer(live, visitor, new_visitor, site):
    live(frequency="once_per_customer")
    secret = site["channel"]["jwt_secret"]
    phone = new_visitor()
    phone.identify(secret, "cust-2")
    phone.view()
    phone.event("dismissed")
    visitor.view()  # anonymous on the laptop: a new person to us, shown once
    visitor.event("dismissed")
    visitor.identify(secret, "cust-2")
    visitor.new_session()
    assert visitor.view()["show"] is None
    assert phone.view()["show"] is None


@pytest.mark.parametrize("instant,when,shown", [
    (WED_NOON_SP, "business_hours", True),
    (WED_NOON_SP, "outside_business_hours", False),
    (datetime(2026, 11, 25, 23, 0, tzinfo=UTC), "business_hours", False),  # 20:00 local
    (datetime(2026, 11, 25, 23, 0, tzinfo=UTC), "outside_business_hours", True),
    (datetime(2026, 12, 24, 15, 0, tzinfo=UTC), "business_hours", False),  # holiday, Thursday
    (datetime(2026, 12, 24, 15, 0, tzinfo=UTC), "outside_business_hours", True),
    (datetime(2026, 11, 28, 15, 0, tzinfo=UTC), "business_hours", False),  # Saturday
])
def test_timing_follows_the_schedule_in_its_own_zone(live, visitor, site, instant, when, shown):
    clock.freeze(instant)
    live(timing={"when": when, "schedule_id": site["schedule"]["id"]})
    assert (visitor.view()["show"] is not None) is shown


def test_lowest_priority_number_wins_then_earliest_published(live, visitor, new_visitor):
    clock.freeze(WED_NOON_SP)
    live("late", "Second", priority=5)
    clock.advance(timedelta(seconds=1))
    b = live("b", "B", priority=2)
    clock.advance(timedelta(seconds=1))
    live("c", "C", priority=2)
    assert visitor.view()["show"]["message_id"] == b["id"]
    visitor.event("dismissed")
    # b is every_time: it wins again; only one at a time.
    assert visitor.view()["show"]["message_id"] == b["id"]


def test_pending_lists_on_page_moments(live, visitor):
    live("a", trigger={"event": "on_page", "seconds": 45})
    live("b", trigger={"event": "on_page", "seconds": 20})
    live("c", conditions=URL_RULE, trigger={"event": "on_page", "seconds": 5})
    d = visitor.view()
    assert d["show"] is None and d["pending"] == [20, 45]


def test_paused_and_edited_messages_apply_at_once(client, admin, live, visitor, new_visitor):
    m = live(message="Version one")
    assert visitor.view()["show"]["plain_text"] == "Version one"
    client.patch(f"{API}/{m['id']}", json={"message": "Version two"}, headers=admin.headers)
    fresh = new_visitor()
    assert fresh.view()["show"]["plain_text"] == "Version two"
    assert fresh.last["show"]["version"] == m["version"] + 1
    client.post(f"{API}/{m['id']}/pause", headers=admin.headers)
    assert new_visitor().view()["show"] is None
    # The one on screen in the first visitor is gone too.
    assert visitor.view("https://shop.example/x")["show"] is None


def test_visit_history_count_and_pages_conditions(live, visitor):
    clock.freeze(WED_NOON_SP)
    live(conditions={"all": [
        {"field": "visit_history", "operator": "is", "value": "returning"},
        {"field": "visit_count", "operator": "gte", "value": 2},
        {"field": "pages_in_visit", "operator": "gte", "value": 2}]})
    assert visitor.view()["show"] is None
    assert visitor.view()["show"] is None  # second page, but first visit
    visitor.new_session()
    assert visitor.view()["show"] is None  # returning, but first page of the visit
    assert visitor.view()["show"] is not None


def test_language_referrer_device_and_attributes(live, visitor):
    live(conditions={"all": [
        {"field": "language", "operator": "is", "value": "pt"},
        {"field": "referrer", "operator": "contains", "value": ["google."]},
        {"field": "device_type", "operator": "is", "value": "mobile"},
        {"field": "attribute.plan", "operator": "is", "value": "pro"}]})
    visitor.language = "pt-BR"
    visitor.attributes = {"plan": "Pro"}
    assert visitor.view(referrer="https://www.google.com/", device_type="desktop")["show"] is None
    visitor.new_session()
    assert visitor.view(referrer="https://www.google.com/", device_type="mobile")["show"]


def test_device_type_comes_from_the_user_agent(client, live, site):
    from tests.widget.helpers import Browser

    live(conditions={"all": [{"field": "device_type", "operator": "is", "value": "mobile"}]})
    b = Browser(client, site["channel"]["key"])
    iphone = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
              "Mobile/15E148")
    r = client.post(f"/widget/v1/{b.key}/page-views", headers={"User-Agent": iphone}, json={
        "visitor_id": b.visitor_id, "session_id": b.session_id, "event_id": "evt-ua-000001",
        "url": "https://shop.example/"})
    assert r.json()["show"] is not None
