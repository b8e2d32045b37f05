"""Exact counts (SPEC §6): Sent / Opened / Replied as distinct customers and the raw showings,
opens, dismissals and replies, under concurrent clients that retry, day by day."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from overture.kit.clock import clock, utcnow
from tests.scaleout.test_two_process_chat import two_processes
from tests.scaleout.test_two_processes import shared_site  # noqa: F401 - a fixture
from tests.widget import conftest as widget
from tests.widget.helpers import Browser, new_id

API = "/api/v1/proactive-messages"
live, new_visitor, site, visitor = widget.live, widget.new_visitor, widget.site, widget.visitor
CLIENTS = 8
DAY_1 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
DAY_2 = DAY_1 + timedelta(days=1)
COUNTS = ("sent", "opened", "replied", "showings", "opens", "dismissals", "replies")

# What a visitor does, split in the steps of the first day and those of the second.
# "view": a page view; "view_again": a page view while the message is still on screen;
# "opened"/"dismissed"/"replied": widget events; "conversation": the first reply, which starts
# a conversation (POST /conversations with the delivery).
SCRIPTS = [
    (["view"], ["opened", "conversation"]),
    (["view", "dismissed", "view"], ["opened", "replied"]),
    (["view", "view_again"], ["dismissed"]),
    (["view", "opened", "dismissed"], ["view", "opened"]),
]


@dataclass
class Visitor:
    """One customer: what it has done so far, and so what each counter should say."""
    browser: Browser
    script: tuple[list[str], list[str]]
    delivery_id: int | None = None
    seen: bool = False
    opened: bool = False
    replied: bool = False
    on_screen: bool = False
    talking: bool = False


@dataclass
class Expected:
    days: dict[date, Counter] = field(default_factory=dict)

    def add(self, day: date, **counts: int) -> None:
        self.days.setdefault(day, Counter()).update(counts)

    def totals(self) -> dict[str, int]:
        return {c: sum(d[c] for d in self.days.values()) for c in COUNTS}


def expect(v: Visitor, step: str, day: date, e: Expected) -> None:
    """The model: what `step` adds to the counters (SPEC §4, §6)."""
    if step == "view":
        assert not v.on_screen and not v.talking
        v.on_screen = True
        e.add(day, showings=1, sent=int(not v.seen))
        v.seen = True
    elif step == "view_again":
        assert v.on_screen
    elif step == "opened":
        v.on_screen = False
        e.add(day, opens=1, opened=int(not v.opened))
        v.opened = True
    elif step == "dismissed":
        v.on_screen = False
        e.add(day, dismissals=1)
    else:  # "replied", "conversation": one reply per delivery in these scripts
        e.add(day, replies=1, replied=int(not v.replied))
        v.replied = True
        v.talking = v.talking or step == "conversation"


def send(v: Visitor, step: str, retried: bool) -> None:
    """One widget call (twice with the same ids when `retried`), checked as the widget would."""
    b = v.browser
    if step in ("view", "view_again"):
        body = {"visitor_id": b.visitor_id, "session_id": b.session_id,
                "event_id": new_id("e"), "url": "https://shop.example/pricing",
                "title": "Pricing", "language": "en-US"}
        before = v.delivery_id
        for attempt in range(1 + retried):
            r = b._post("page-views", body)
            assert r.status_code == 200, r.text
            show = r.json()["show"]
            assert show is not None, (step, attempt, r.json())
            if step == "view":  # a new showing (the same one again for a retry)
                assert show["delivery_id"] != before and show["repeat"] is False
                assert attempt == 0 or show["delivery_id"] == v.delivery_id
            else:
                assert show["delivery_id"] == before and show["repeat"] is True
            v.delivery_id = show["delivery_id"]
    elif step == "conversation":
        body = {"visitor_id": b.visitor_id, "delivery_id": v.delivery_id,
                "client_id": new_id("c"), "name": "Ana Lima", "email": "ana@example.com",
                "message": "Which plan fits a team of five?"}
        for attempt in range(1 + retried):
            r = b._post("conversations", body)
            assert r.status_code == (200 if attempt else 201), r.text
    else:
        body = {"visitor_id": b.visitor_id, "event_id": new_id("e"),
                "delivery_id": v.delivery_id, "kind": step}
        for attempt in range(1 + retried):
            r = b._post("events", body)
            assert r.status_code == 200, r.text
            assert r.json()["duplicate"] is bool(attempt)


def run_clients(http_client: Callable[[int], Any], visitors: list[list[Visitor]], half: int,
                day: date, e: Expected, step_no: list[int]) -> None:
    """Each client, in its own thread with its own HTTP client (`http_client(n)`), plays the
    steps of its visitors for `half` of the scripts; every tenth step is retried."""
    plan: list[list[tuple[Visitor, str, bool]]] = []
    for mine in visitors:
        steps = []
        for v in mine:
            for step in v.script[half]:
                step_no[0] += 1
                steps.append((v, step, step_no[0] % 10 == 0))
                expect(v, step, day, e)
        plan.append(steps)
    errors: list[BaseException] = []

    def play(n: int, steps: list[tuple[Visitor, str, bool]]) -> None:
        http = http_client(n)
        try:
            for v, step, retried in steps:
                v.browser.client = http
                send(v, step, retried)
        except BaseException as exc:  # reported by the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=play, args=(n, steps)) for n, steps in enumerate(plan)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def stats(client, admin, message_id: int, first: date, last: date) -> dict:
    r = client.get(f"{API}/{message_id}/stats", headers=admin.headers,
                   params={"from": first.isoformat(), "to": last.isoformat()})
    assert r.status_code == 200, r.text
    return r.json()


def test_every_counter_is_exact_under_concurrent_clients_that_retry(
        app, client, admin, live, site):
    clock.freeze(DAY_1)
    m = live("Pricing", "Need a hand with the plans?")
    key = site["channel"]["key"]
    everyone = [Visitor(Browser(client, key), SCRIPTS[i % len(SCRIPTS)]) for i in range(500)]
    assert sum(len(a) + len(b) for _v in everyone for a, b in [_v.script]) == 2000
    visitors = [everyone[n::CLIENTS] for n in range(CLIENTS)]
    e, step_no = Expected(), [0]

    def http_client(n: int) -> TestClient:  # a client of its own, from an address of its own
        return TestClient(app, base_url="http://testserver", client=(f"10.0.0.{n + 1}", 50000))

    run_clients(http_client, visitors, 0, DAY_1.date(), e, step_no)
    clock.freeze(DAY_2)
    run_clients(http_client, visitors, 1, DAY_2.date(), e, step_no)
    assert step_no[0] == 2000

    totals = e.totals()
    # 500 customers, each shown the message; 375 opened it, 250 replied.
    assert (totals["sent"], totals["opened"], totals["replied"]) == (500, 375, 250)
    assert (totals["showings"], totals["opens"], totals["dismissals"], totals["replies"]) == (
        750, 500, 375, 250)
    out = stats(client, admin, m["id"], DAY_1.date() - timedelta(days=1),
                DAY_2.date() + timedelta(days=1))
    assert out["totals"] == totals
    days = {d["day"]: {c: d[c] for c in COUNTS} for d in out["days"]}
    zero = dict.fromkeys(COUNTS, 0)
    assert days == {
        (DAY_1.date() - timedelta(days=1)).isoformat(): zero,
        DAY_1.date().isoformat(): {c: e.days[DAY_1.date()][c] for c in COUNTS},
        DAY_2.date().isoformat(): {c: e.days[DAY_2.date()][c] for c in COUNTS},
        (DAY_2.date() + timedelta(days=1)).isoformat(): zero,
    }
    for c in COUNTS:
        assert sum(d[c] for d in out["days"]) == totals[c]
    # Everyone first saw it on the first day; the second day brings opens and replies only.
    assert days[DAY_2.date().isoformat()]["sent"] == 0
    # The list and the message agree with the report.
    listed = client.get(f"{API}/{m['id']}", headers=admin.headers).json()["stats"]
    assert listed == {c: totals[c] for c in ("sent", "opened", "replied")}


def test_a_customer_on_two_devices_identified_later_is_counted_once(
        client, admin, live, site, new_visitor):
    # Identity tokens expire by the wall clock: these two days end at this hour.
    day_2 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    day_1 = day_2 - timedelta(days=1)
    clock.freeze(day_1)
    m = live("Welcome", "Welcome back!", frequency="once_per_customer")
    secret = site["channel"]["jwt_secret"]
    laptop, phone = new_visitor(), new_visitor()
    # Two anonymous browsers: two people as far as anyone can tell, each shown it.
    assert laptop.view()["show"] is not None
    assert laptop.event("opened").status_code == 200
    clock.freeze(day_2)
    assert phone.view()["show"] is not None
    assert phone.event("opened").status_code == 200
    assert phone.event("replied").status_code == 200
    before = stats(client, admin, m["id"], day_1.date(), day_2.date())["totals"]
    assert (before["sent"], before["opened"], before["replied"]) == (2, 2, 1)
    # Both sign in: one customer, whom it reached first on the laptop.
    assert laptop.identify(secret, "cust-7", "Ana Lima").status_code == 200
    assert phone.identify(secret, "cust-7", "Ana Lima").status_code == 200
    out = stats(client, admin, m["id"], day_1.date(), day_2.date())
    assert out["totals"] == {"sent": 1, "opened": 1, "replied": 1, "showings": 2, "opens": 2,
                             "dismissals": 0, "replies": 1}
    first, second = out["days"]
    assert (first["sent"], first["opened"], first["replied"]) == (1, 1, 0)
    assert (second["sent"], second["opened"], second["replied"]) == (0, 0, 1)
    for c in COUNTS:
        assert first[c] + second[c] == out["totals"][c]
    listed = client.get(f"{API}/{m['id']}", headers=admin.headers).json()["stats"]
    assert listed == {"sent": 1, "opened": 1, "replied": 1}
    # Once per customer: neither device shows it again, nor does signing in again count.
    assert laptop.view()["show"] is None and phone.view()["show"] is None
    assert phone.identify(secret, "cust-7", "Ana Lima").status_code == 200
    assert stats(client, admin, m["id"], day_1.date(), day_2.date())["totals"] == out["totals"]


def test_a_retried_page_view_answers_the_same(client, admin, live, visitor):
    m = live("On screen", "Still here?", frequency="once_per_visit")
    assert visitor.view()["show"]["repeat"] is False
    second, third = new_id("e"), new_id("e")
    again = visitor.view("https://shop.example/2", event_id=second)["show"]
    assert again["repeat"] is True
    assert visitor.view("https://shop.example/2", event_id=second)["show"] == again
    # Dismissed: gone for the rest of the visit; a retry still answers what was answered then.
    assert visitor.event("dismissed", delivery_id=again["delivery_id"]).status_code == 200
    assert visitor.view("https://shop.example/3", event_id=third)["show"] is None
    assert visitor.view("https://shop.example/3", event_id=third)["show"] is None
    assert visitor.view("https://shop.example/2", event_id=second)["show"] == again
    totals = stats(client, admin, m["id"], utcnow().date(), utcnow().date())["totals"]
    assert (totals["showings"], totals["dismissals"]) == (1, 1)


@pytest.mark.parametrize("first, last, status", [
    ("2026-03-10", "2026-03-09", 422),  # reversed
    ("2024-03-10", "2026-03-10", 200),  # two years
    ("2024-03-09", "2026-03-10", 422),  # a day more than two years
    ("2023-03-10", "2025-03-10", 200),  # two years with a leap day: 732 days
    ("2024-02-29", "2026-03-01", 200),  # from a leap day
    ("2024-02-29", "2026-03-02", 422),
    ("2025-03-10", "2026-03-10", 200),  # a year, as before
])
def test_stats_ranges_up_to_two_years(client, admin, live, first, last, status):
    m = live("Ranges", "Hi")
    r = client.get(f"{API}/{m['id']}/stats", headers=admin.headers,
                   params={"from": first, "to": last})
    assert r.status_code == status, r.text
    if status == 422:
        assert r.json()["error"]["code"] == "bad_range"
    else:
        out = r.json()
        assert out["days"][0]["day"] == first and out["days"][-1]["day"] == last
        assert len(out["days"]) == (date.fromisoformat(last) - date.fromisoformat(first)).days + 1


def test_stats_of_an_unknown_message_is_404(client, admin):
    for fmt in ("json", "csv"):
        r = client.get(f"{API}/987654/stats", headers=admin.headers, params={"format": fmt})
        assert r.status_code == 404, r.text


@pytest.mark.scaleout
def test_every_counter_is_exact_across_two_server_processes(shared_site):  # noqa: F811
    """The same 2,000 events with their retries, sent by 8 clients to two `overture serve`
    processes sharing PostgreSQL and Redis, half of the clients to each."""
    site = shared_site
    with two_processes(site, OVERTURE_WIDGET_REQUESTS_PER_IP_PER_MINUTE="100000") as servers:
        key = site["key"]
        everyone = [Visitor(Browser(None, key), SCRIPTS[i % len(SCRIPTS)]) for i in range(500)]
        visitors = [everyone[n::CLIENTS] for n in range(CLIENTS)]
        e, step_no = Expected(), [0]
        today = datetime.now(UTC).date()

        def http_client(n: int) -> httpx.Client:
            return httpx.Client(base_url=servers[n % 2].url, timeout=30)

        run_clients(http_client, visitors, 0, today, e, step_no)
        run_clients(http_client, visitors, 1, today, e, step_no)
        assert step_no[0] == 2000
        r = httpx.get(f"{servers[0].url}{API}/{site['message_id']}/stats", timeout=30,
                      headers={"Authorization": f"Bearer {site['token']}"},
                      params={"from": (today - timedelta(days=1)).isoformat(),
                              "to": (datetime.now(UTC).date() + timedelta(days=1)).isoformat()})
        assert r.status_code == 200, r.text
    out = r.json()
    assert out["totals"] == e.totals() == {
        "sent": 500, "opened": 375, "replied": 250,
        "showings": 750, "opens": 500, "dismissals": 375, "replies": 250}
    for c in COUNTS:
        assert sum(d[c] for d in out["days"]) == out["totals"][c]
