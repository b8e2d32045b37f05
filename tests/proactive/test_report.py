"""The message's report page and its CSV, through HTTP with the session, like a browser."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from overture.conversations.models import Conversation, Ticket
from overture.conversations.service import set_tags
from overture.kit.clock import clock
from overture.proactive import stats
from overture.proactive.models import DailyStat
from overture.proactive.schemas import DayStats, StatsOut
from overture.visitors.models import Visitor
from tests.conftest import csrf_from, login

BASE = "/admin/proactive-messages"
API = "/api/v1/proactive-messages"
TODAY = date(2026, 11, 25)
INJECTION = "=cmd|' /C calc'!A0, \"big\" sale"


@pytest.fixture
def message(client, admin, complete):
    clock.freeze(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    r = client.post(API, json={**complete, "name": INJECTION}, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert login(client, admin.email).status_code == 303
    return r.json()


def add_days(db, mid: int, rows: dict[date, dict[str, int]]) -> None:
    """Daily rows, each figure split over two shards (totals are sums over shards)."""
    names = ("sent", "opened", "replied", "showings", "opens", "dismissals", "replies")
    with db() as s:
        for day, counts in rows.items():
            full = {n: counts.get(n, 0) for n in names}
            s.add(DailyStat(message_id=mid, day=day, shard=0,
                            **{n: v - v // 2 for n, v in full.items()}))
            s.add(DailyStat(message_id=mid, day=day, shard=7,
                            **{n: v // 2 for n, v in full.items()}))


def add_ticket(db, mid: int | None, channel_id: int, at: datetime, tags: list[str]) -> None:
    with db() as s:
        visitor = Visitor(anon_id=f"v-{at.timestamp()}-{len(tags)}-{mid}")
        s.add(visitor)
        s.flush()
        conv = Conversation(channel_id=channel_id, visitor_id=visitor.id)
        s.add(conv)
        s.flush()
        ticket = Ticket(conversation_id=conv.id, proactive_message_id=mid, created_at=at)
        s.add(ticket)
        set_tags(s, ticket, tags)


def figure(html: str, name: str) -> str:
    """The value shown for one figure (a <dd> or <strong> inside data-figure=name)."""
    found = re.search(rf'data-figure="{name}"[^>]*>.*?<(?:dd|strong)>([^<]*)<', html, re.S)
    assert found, f"no figure {name}"
    return found[1].strip()


def test_report_shows_the_api_figures_rates_and_funnel_for_the_range(client, admin, db,
                                                                      message, setup):
    mid = message["id"]
    add_days(db, mid, {
        date(2026, 11, 20): {"sent": 12, "opened": 5, "replied": 2, "showings": 20, "opens": 6,
                             "dismissals": 3, "replies": 2},
        date(2026, 11, 22): {"sent": 8, "opened": 3, "replied": 1, "showings": 9, "opens": 3,
                             "dismissals": 4, "replies": 1},
        date(2026, 11, 1): {"sent": 100, "opened": 100, "replied": 100, "showings": 100},
    })
    page = client.get(f"{BASE}/{mid}/report", params={"from": "2026-11-18", "to": "2026-11-25"})
    assert page.status_code == 200
    html = page.text
    api = client.get(f"{API}/{mid}/stats", params={"from": "2026-11-18", "to": "2026-11-25"},
                     headers=admin.headers).json()
    sums = {k: sum(d[k] for d in api["days"]) for k in api["days"][0] if k != "day"}
    assert sums == {"sent": 20, "opened": 8, "replied": 3, "showings": 29, "opens": 9,
                    "dismissals": 7, "replies": 3}
    for name in sums:
        assert figure(html, name) == str(sums[name]), name
    assert figure(html, "open-rate") == "40.0%"       # 8 / 20
    assert figure(html, "reply-rate-opened") == "37.5%"  # 3 / 8
    assert figure(html, "reply-rate-sent") == "15.0%"    # 3 / 20
    # The chart: one bar of each series per day, a hover value on each, axes and a legend.
    assert html.count('<rect class="sent"') == 8
    assert "<title>2026-11-20 — Sent 12</title>" in html
    assert "<title>2026-11-22 — Replied 1</title>" in html
    assert 'class="rp-y-axis"' in html and 'class="rp-x-axis"' in html
    assert re.search(r'<text class="tick"[^>]*>15</text>', html)  # a y tick above 12
    assert ">2026-11-18</text>" in html
    assert re.search(r'class="rp-legend".*Sent.*Opened.*Replied', html, re.S)
    # The same figures as a table.
    assert re.search(r"<th scope=\"row\">2026-11-20</th><td>12</td><td>5</td><td>2</td>", html)
    assert f'href="{BASE}/{mid}/report.csv?from=2026-11-18&amp;to=2026-11-25"' in html


def test_no_figures_means_no_division_by_zero_and_the_default_is_30_days(client, message):
    html = client.get(f"{BASE}/{message['id']}/report").text
    assert figure(html, "sent") == "0" and figure(html, "open-rate") == "—"
    assert figure(html, "reply-rate-opened") == "—"
    assert html.count('<rect class="opened"') == 30
    assert 'value="2026-10-27"' in html and 'value="2026-11-25"' in html


def test_long_ranges_thin_out_the_date_labels(client, message):
    html = client.get(f"{BASE}/{message['id']}/report",
                      params={"from": "2025-01-01", "to": "2026-11-25"}).text
    assert html.count('<rect class="sent"') == 694
    labels = re.findall(r'<text class="tick"[^>]*text-anchor="middle">([\d-]+)</text>', html)
    assert 5 <= len(labels) <= 30 and labels[0] == "2025-01-01"


def test_tickets_by_tag_in_the_range(client, db, message, setup, complete):
    mid = message["id"]
    channel = setup["channel"]
    add_ticket(db, mid, channel, datetime(2026, 11, 20, 10, tzinfo=UTC), ["vip", "pricing"])
    add_ticket(db, mid, channel, datetime(2026, 11, 21, 23, 59, tzinfo=UTC), ["pricing"])
    add_ticket(db, mid, channel, datetime(2026, 11, 22, 8, tzinfo=UTC), [])
    add_ticket(db, mid, channel, datetime(2026, 10, 1, 8, tzinfo=UTC), ["old"])  # before
    add_ticket(db, None, channel, datetime(2026, 11, 20, 8, tzinfo=UTC), ["other"])  # no message
    html = client.get(f"{BASE}/{mid}/report", params={"from": "2026-11-15", "to": "2026-11-25"}).text
    assert "3 tickets started by this message in this range." in html
    tags = re.findall(r'<tr data-tag="([^"]+)"><td><a href="/agent\?view=open&amp;q=([^"]+)">'
                      r'[^<]+</a></td><td>(\d+)</td>', html)
    assert tags == [("pricing", "pricing", "2"), ("vip", "vip", "1")]
    assert "the open tickets that carry it" in html
    one = client.get(f"{BASE}/{mid}/report", params={"from": "2026-11-22", "to": "2026-11-22"})
    assert "1 ticket started by this message in this range." in one.text
    assert "data-tag=" not in one.text


@pytest.mark.parametrize(("params", "said"), [
    ({"from": "2026-11-25", "to": "2026-11-01"}, "The start of the range is after its end"),
    ({"from": "2024-11-24", "to": "2026-11-25"}, "The range is longer than two years"),
    ({"from": "2024-02-29", "to": "2026-03-02"}, "The range is longer than two years"),
    ({"from": "yesterday"}, "From: enter a date like 2026-12-24"),
    ({"to": "2026-02-30"}, "To: enter a date like 2026-12-24"),
])
def test_bad_ranges_are_said_on_the_page(client, message, params, said):
    for path in ("report", "report.csv"):
        r = client.get(f"{BASE}/{message['id']}/{path}", params=params)
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("text/html")
        assert re.search(rf'role="alert" id="rp-error"><p>{re.escape(said)}', r.text), r.text
        assert "<svg" not in r.text


def test_two_years_exactly_is_allowed(client, message):
    r = client.get(f"{BASE}/{message['id']}/report", params={"from": "2024-11-25",
                                                             "to": "2026-11-25"})
    assert r.status_code == 200 and 'id="rp-error"' not in r.text
    assert r.text.count('<rect class="sent"') == 731


def test_in_portuguese_the_words_and_percentages_are_brazilian(client, db, message):
    mid = message["id"]
    add_days(db, mid, {date(2026, 11, 20): {"sent": 3, "opened": 1, "showings": 3}})
    csrf = csrf_from(client.get(f"{BASE}/{mid}/report").text)
    r = client.post("/locale", data={"locale": "pt_BR", "csrf_token": csrf, "next": BASE},
                    follow_redirects=False)
    assert r.status_code == 303
    html = client.get(f"{BASE}/{mid}/report").text
    assert '<html lang="pt-BR">' in html
    assert figure(html, "open-rate") == "33,3%"
    assert "<title>2026-11-20 — Enviada 3</title>" in html
    assert "<title>2026-11-20 — Aberta 1</title>" in html


def test_unknown_message_is_404_and_agents_are_refused(client, admin, agent, message):
    assert client.get(f"{BASE}/999999/report").status_code == 404
    assert client.get(f"{BASE}/999999/report.csv").status_code == 404
    client.cookies.clear()
    assert login(client, agent.email).status_code == 303
    for path in ("report", "report.csv"):
        assert client.get(f"{BASE}/{message['id']}/{path}").status_code == 403


def test_csv_of_the_range_neutralises_formulas_and_quotes(client, admin, db, message):
    mid = message["id"]
    add_days(db, mid, {date(2026, 11, 20): {"sent": 3, "opened": 2, "replied": 1,
                                            "showings": 4, "dismissals": 1}})
    r = client.get(f"{BASE}/{mid}/report.csv", params={"from": "2026-11-19", "to": "2026-11-21"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["message", "day", "sent", "opened", "replied", "showings", "opens",
                       "dismissals", "replies"]
    assert rows[1:] == [
        ["'" + INJECTION, "2026-11-19", "0", "0", "0", "0", "0", "0", "0"],
        ["'" + INJECTION, "2026-11-20", "3", "2", "1", "4", "0", "1", "0"],
        ["'" + INJECTION, "2026-11-21", "0", "0", "0", "0", "0", "0", "0"],
    ]
    # The comma and the quotes stay inside one quoted cell.
    assert r.text.splitlines()[1].startswith('"\'=cmd|\' /C calc\'!A0, ""big"" sale",')
    # The API's CSV has the same days and figures.
    api = client.get(f"{API}/{mid}/stats", headers=admin.headers, params={
        "from": "2026-11-19", "to": "2026-11-21", "format": "csv"})
    assert [row[1:] for row in rows] == list(csv.reader(io.StringIO(api.text)))


@pytest.mark.parametrize("name", ["+1 sale", "-5", "@SUM(A1)", "=1+1", "Tab\tin the middle"])
def test_every_formula_start_is_neutralised(client, admin, message, name):
    r = client.patch(f"{API}/{message['id']}", json={"name": name}, headers=admin.headers)
    assert r.status_code == 200, r.text
    got = client.get(f"{BASE}/{message['id']}/report.csv", params={"from": "2026-11-25"})
    rows = list(csv.reader(io.StringIO(got.text)))
    stored = r.json()["name"]
    assert rows[1][0] == (stored if stored.startswith("Tab") else "'" + stored)


@pytest.mark.parametrize(("name", "cell"), [
    ("\tTab", "'\tTab"), ("\rCR", "'\rCR"), ("two\nlines, a comma", "two\nlines, a comma"),
    ("Plain", "Plain")])
def test_tab_carriage_return_and_newlines_in_a_name(name, cell):
    """Names the API trims (a leading tab or CR) can still reach the CSV from older data."""
    out = StatsOut(message_id=1, totals={}, days=[DayStats(
        day=date(2026, 11, 25), sent=1, opened=0, replied=0, showings=1, opens=0,
        dismissals=0, replies=0)])
    rows = list(csv.reader(io.StringIO(stats.to_csv(out, name=name), newline="")))
    assert rows[1] == [cell, "2026-11-25", "1", "0", "0", "1", "0", "0", "0"]


def test_editor_links_to_the_report(client, message):
    html = client.get(f"{BASE}/{message['id']}").text
    assert f'href="{BASE}/{message["id"]}/report"' in html


def test_days_outside_the_range_are_not_counted(client, db, message):
    mid = message["id"]
    add_days(db, mid, {TODAY - timedelta(days=40): {"sent": 9, "showings": 9}})
    html = client.get(f"{BASE}/{mid}/report").text
    assert figure(html, "sent") == "0" and figure(html, "showings") == "0"
