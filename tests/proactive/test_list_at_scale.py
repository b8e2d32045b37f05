"""The proactive messages list at scale: search, filters, pages, and a fixed cost per page.

Over HTTP, as the admin's browser and an API client use it. The statement counts are pinned
for 10 and 1,000 messages: the same number for both, so that a lookup per row can never creep
in (tests/rows.py gives each message its own brand, channel and schedule).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from overture.accounts.service import get_settings_row
from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.proactive.models import ProactiveMessage
from tests import rows
from tests.conftest import login
from tests.querycount import assert_statement_count

BASE = "/admin/proactive-messages"
API = "/api/v1/proactive-messages"
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# The signed-in user, the settings, the page of messages with how many match, the messages
# in Contains errors that could be published again, the schedules they name, the channels to
# filter by.
PAGE_STATEMENTS = 6
# The caller (the token with its user; its last use stamped), the settings, the page of
# messages with how many match, the schedules they name.
API_STATEMENTS = 5


def names_on(html: str) -> list[str]:
    return re.findall(r'<td class="name"><a href="/admin/proactive-messages/\d+">([^<]*)</a>',
                      html)


def build(db, specs: list[tuple[str, str, int]]) -> dict[str, int]:
    """Messages named and in the status given, on channel 1 or 2 of one brand (the third item
    says which), each updated a minute after the one before; their ids by name."""
    with db() as session:
        get_settings_row(session).drafts_seeded = True  # no ready-made drafts in the way
        brand = Brand(name="Acme")
        session.add(brand)
        session.flush()
        channels = []
        for i in (1, 2):
            channel = Channel(brand_id=brand.id, name=f"Site {i}", kind="web_widget",
                              key=f"site-{i}", jwt_secret="s" * 40)
            session.add(channel)
            channels.append(channel)
        session.flush()
        ids = {}
        for i, (name, status, channel) in enumerate(specs):
            m = ProactiveMessage(
                name=name, brand_id=brand.id, channel_id=channels[channel - 1].id,
                message="Hello", response={"type": "agent", "collect": [], "follow_up": "Hi"},
                conditions={"all": []}, trigger={"event": "page_load"}, tags=[],
                timing={"when": "any_time"}, status=status,
                updated_at=T0 + timedelta(minutes=i))
            session.add(m)
            session.flush()
            ids[name] = m.id
    return ids


@pytest.fixture
def signed_in(client, admin):
    assert login(client, admin.email).status_code == 303


# -- a fixed number of statements per page ----------------------------------------------------


@pytest.mark.parametrize("n", [10, 1000])
def test_a_page_of_the_list_costs_the_same_for_10_or_1000_messages(app, client, admin, db,
                                                                   signed_in, n):
    rows.messages(db, n)
    for query in ("", "?sort=replied&order=desc", "?sort=channel&q=message&status=error",
                  "?sort=name&order=asc&page=2"):
        with assert_statement_count(app, PAGE_STATEMENTS):
            r = client.get(BASE + query)
        assert r.status_code == 200, r.text
        shown = len(names_on(r.text))
        if "status=error" in query:
            assert shown == min(50, n // 4)
        elif "page=2" in query:
            assert shown == min(50, max(0, n - 50)) or "past the end" in r.text
        else:
            assert shown == min(50, n)


@pytest.mark.parametrize("n", [10, 1000])
@pytest.mark.parametrize("query", ["?limit=50", "?limit=4&page=2&sort=sent",
                                   "?q=MESSAGE 1&status=live&sort=channel"])
def test_a_page_of_the_api_costs_the_same_for_10_or_1000_messages(app, client, admin, db, n,
                                                                  query):
    rows.messages(db, n)
    with assert_statement_count(app, API_STATEMENTS):
        r = client.get(API + query, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert 0 < len(r.json()) <= 50 and int(r.headers["x-total-count"]) >= len(r.json())


# -- search, filters and pages over the API ---------------------------------------------------


SPECS = [
    ("Welcome back", "live", 1),
    ("Pricing help", "live", 2),
    ("Black Friday SALE", "paused", 1),
    ("black friday reminder", "draft", 2),
    ("Checkout rescue", "error", 1),
    ("100% off_today", "draft", 1),
]


def api(client, admin, query: str) -> list[str]:
    r = client.get(API + query, headers=admin.headers)
    assert r.status_code == 200, r.text
    return [m["name"] for m in r.json()]


def test_the_api_searches_by_name_in_any_case_and_filters(client, admin, db):
    ids = build(db, SPECS)
    assert api(client, admin, "?q=FRIDAY&sort=name&order=asc") == [
        "black friday reminder", "Black Friday SALE"]
    assert api(client, admin, "?q=friday&status=draft") == ["black friday reminder"]
    assert api(client, admin, "?status=live&sort=name&order=asc") == [
        "Pricing help", "Welcome back"]
    channel_2 = client.get(f"{API}/{ids['Pricing help']}",
                           headers=admin.headers).json()["channel_id"]
    assert api(client, admin, f"?channel_id={channel_2}&sort=name&order=asc") == [
        "black friday reminder", "Pricing help"]
    # % and _ are letters like any other, not wildcards.
    assert api(client, admin, "?q=0%25 o") == ["100% off_today"]
    assert api(client, admin, "?q=%25off") == [] and api(client, admin, "?q=o_f") == []
    assert api(client, admin, "?q=nothing like it") == []
    # Without parameters, every message, as before.
    assert len(api(client, admin, "")) == len(SPECS)


def test_the_api_pages_with_limit_and_page_and_says_the_total(client, admin, db):
    build(db, [(f"Message {i:02}", "draft", 1) for i in range(7)])
    seen = []
    for page in (1, 2, 3):
        r = client.get(f"{API}?sort=name&order=asc&limit=3&page={page}", headers=admin.headers)
        assert r.headers["x-total-count"] == "7"
        seen.append([m["name"] for m in r.json()])
    assert seen == [["Message 00", "Message 01", "Message 02"],
                    ["Message 03", "Message 04", "Message 05"], ["Message 06"]]
    r = client.get(f"{API}?limit=3&page=9", headers=admin.headers)
    assert (r.status_code, r.json()) == (200, [])


@pytest.mark.parametrize("query, field", [
    ("?status=gone", "status"), ("?limit=0", "limit"), ("?limit=201", "limit"),
    ("?page=0", "page"), ("?channel_id=0", "channel_id"), ("?q=" + "x" * 121, "q"),
])
def test_the_api_refuses_bad_list_parameters_naming_them(client, admin, query, field):
    r = client.get(API + query, headers=admin.headers)
    assert r.status_code == 422
    assert field in r.text


# -- the page: search, filters, pages, sorting, time zone -------------------------------------


def test_the_page_searches_filters_and_keeps_both_while_sorting(client, admin, db, signed_in):
    build(db, SPECS)
    html = client.get(f"{BASE}?q=friday&sort=name&order=desc").text
    assert names_on(html) == ["Black Friday SALE", "black friday reminder"]
    assert 'name="q" value="friday"' in html
    # Each column header sorts the filtered list, from its first page.
    sort_by_status = re.search(r'<th scope="col" data-column="status">\s*<a href="([^"]+)"',
                               html).group(1).replace("&amp;", "&")
    assert "q=friday" in sort_by_status and "page=" not in sort_by_status
    assert names_on(client.get(sort_by_status).text) == [
        "black friday reminder", "Black Friday SALE"]  # draft before paused

    html = client.get(f"{BASE}?status=live&sort=name&order=desc").text
    assert names_on(html) == ["Welcome back", "Pricing help"]
    assert '<option value="live" selected>Live</option>' in html
    assert "Clear filters" in html

    html = client.get(f"{BASE}?q=zzz").text
    assert names_on(html) == [] and "No proactive message matches these filters." in html
    # What the address does not understand is left out, as from an old link.
    html = client.get(f"{BASE}?status=bogus&channel=x&page=-2&sort=nope").text
    assert len(names_on(html)) == len(SPECS)


def test_the_page_goes_from_page_to_page_with_its_filters(client, admin, db, signed_in):
    build(db, [(f"Offer {i:03}", "live" if i % 2 else "draft", 1) for i in range(120)])
    url = f"{BASE}?q=offer&status=live&sort=name&order=asc"
    html = client.get(url).text
    assert names_on(html) == [f"Offer {i:03}" for i in range(1, 101, 2)]
    assert "1–50 of 60" in html and "Page 1 of 2" in html
    following = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    assert "q=offer" in following and "status=live" in following and "page=2" in following
    html = client.get(following).text
    assert names_on(html) == [f"Offer {i:03}" for i in range(101, 120, 2)]
    assert "51–60 of 60" in html and "Page 2 of 2" in html and 'rel="next"' not in html
    assert 'rel="prev"' in html
    html = client.get(following.replace("page=2", "page=7")).text
    assert names_on(html) == [] and "This page is past the end of the list." in html


def test_times_are_shown_in_the_account_time_zone_with_the_zone_named(client, admin, db,
                                                                     signed_in):
    build(db, [("Welcome back", "live", 1)])  # updated at 12:00 UTC on 20 Nov 2026
    html = client.get(BASE).text
    assert "20 Nov 2026, 12:00 <span class=\"tz\">UTC</span>" in html
    r = client.patch("/api/v1/settings", json={"time_zone": "America/Sao_Paulo"},
                     headers=admin.headers)
    assert r.status_code == 200 and r.json()["time_zone"] == "America/Sao_Paulo"
    html = client.get(BASE).text
    assert "20 Nov 2026, 09:00 <span class=\"tz\">UTC-3</span>" in html
    assert 'title="America/Sao_Paulo"' in html and "Times are in America/Sao_Paulo." in html
    client.patch("/api/v1/settings", json={"time_zone": "America/New_York"},
                 headers=admin.headers)
    assert "20 Nov 2026, 07:00 <span class=\"tz\">EST</span>" in client.get(BASE).text
    client.post("/locale", data={"locale": "pt_BR", "next": BASE,
                                 "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                                         html).group(1)})
    assert "20 nov. 2026, 07:00 <span class=\"tz\">EST</span>" in client.get(BASE).text
