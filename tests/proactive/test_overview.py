"""The overview of every message over a range, and its CSV, through HTTP like a browser."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest

from overture.kit.clock import clock
from tests import rows
from tests.conftest import csrf_from, login
from tests.proactive.test_report import add_days
from tests.querycount import assert_statement_count

BASE = "/admin/proactive-messages"
API = "/api/v1/proactive-messages"
OVERVIEW = f"{BASE}/overview"
INJECTION = "=cmd|' /C calc'!A0, \"big\" sale"
COLUMNS = ("sent", "opened", "replied", "open-rate", "reply-rate", "showings", "dismissals")


@pytest.fixture
def three(client, admin, complete):
    """Three messages with days in and out of the range 2026-11-18 … 2026-11-25; their ids."""
    clock.freeze(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    ids = {}
    for name in ("Pricing help", INJECTION, "Quiet one"):
        r = client.post(API, json={**complete, "name": name}, headers=admin.headers)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    assert login(client, admin.email).status_code == 303
    return ids


def table(html: str) -> dict[str, dict[str, str]]:
    """The figures of each row, by message id ("totals" for the totals row)."""
    out = {}
    for rid, body in re.findall(r'<tr data-id="([^"]+)">(.*?)</tr>', html, re.S):
        out[rid] = dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', body))
    return out


def order_of(html: str) -> list[str]:
    return re.findall(r'<tr data-id="(\d+)">', html)


def filled(db, ids):
    add_days(db, ids["Pricing help"], {
        date(2026, 11, 20): {"sent": 12, "opened": 5, "replied": 2, "showings": 20, "opens": 6,
                             "dismissals": 3, "replies": 2},
        date(2026, 11, 22): {"sent": 8, "opened": 3, "replied": 1, "showings": 9, "opens": 3,
                             "dismissals": 4, "replies": 1},
        date(2026, 11, 1): {"sent": 100, "opened": 100, "replied": 100, "showings": 100},
    })
    add_days(db, ids[INJECTION], {
        date(2026, 11, 18): {"sent": 4, "opened": 4, "replied": 3, "showings": 5, "opens": 4,
                             "dismissals": 0, "replies": 3},
        date(2026, 11, 26): {"sent": 50, "showings": 50},  # after the range
    })


RANGE = {"from": "2026-11-18", "to": "2026-11-25"}


def test_the_overview_shows_each_message_s_api_figures_for_the_range(client, admin, db, three):
    filled(db, three)
    r = client.get(OVERVIEW, params=RANGE)
    assert r.status_code == 200, r.text
    shown = table(r.text)
    for mid in three.values():
        api = client.get(f"{API}/{mid}/stats", params=RANGE, headers=admin.headers).json()
        sums = {k: sum(d[k] for d in api["days"]) for k in ("sent", "opened", "replied",
                                                            "showings", "dismissals")}
        assert {k: int(shown[str(mid)][k]) for k in sums} == sums
    assert shown[str(three["Pricing help"])] == {
        "sent": "20", "opened": "8", "replied": "3", "open-rate": "40.0%",
        "reply-rate": "15.0%", "showings": "29", "dismissals": "7"}
    assert shown[str(three["Quiet one"])]["open-rate"] == "—"
    assert shown["totals"] == {"sent": "24", "opened": "12", "replied": "6",
                               "open-rate": "50.0%", "reply-rate": "25.0%",
                               "showings": "34", "dismissals": "7"}
    # Each name links to its report for the same range; the name is shown escaped.
    for mid in three.values():
        assert f'href="{BASE}/{mid}/report?from=2026-11-18&amp;to=2026-11-25"' in r.text
    assert "=cmd|&#39; /C calc&#39;!A0, &#34;big&#34; sale" in r.text
    # A bar per message with figures, the longest for the most sent; hidden from screen
    # readers (the table says the numbers).
    bars = re.findall(r'<tr data-id="(\d+)">.*?<rect class="sent"[^>]*width="([\d.]+)"', r.text,
                      re.S)
    assert dict(bars) == {str(three["Pricing help"]): "100.0", str(three[INJECTION]): "20.0",
                          str(three["Quiet one"]): "0.0"}
    assert r.text.count('class="ov-bar" viewBox="0 0 100 12" preserveAspectRatio="none" '
                        'aria-hidden="true"') == 3


def test_the_default_range_is_the_last_30_days(client, db, three):
    filled(db, three)
    r = client.get(OVERVIEW)
    assert 'value="2026-10-27"' in r.text and 'value="2026-11-25"' in r.text
    assert table(r.text)[str(three["Pricing help"])]["sent"] == "120"  # 1 Nov is in
    assert table(r.text)[str(three[INJECTION])]["sent"] == "4"  # 26 Nov is not (yet)


def test_sorting_by_each_column_both_ways(client, db, three):
    filled(db, three)
    pricing, inj, quiet = (str(three[k]) for k in ("Pricing help", INJECTION, "Quiet one"))
    expected = {
        "sent": [pricing, inj, quiet], "replied": [pricing, inj, quiet],
        "showings": [pricing, inj, quiet], "dismissals": [pricing, inj, quiet],
        "opened": [pricing, inj, quiet],
        # 100 % and 75 % against 40 % and 15 %; no rate at all (nothing sent) last.
        "open_rate": [inj, pricing, quiet], "reply_rate": [inj, pricing, quiet],
        "name": [inj, pricing, quiet],  # "=" sorts before letters
    }
    for key, desc in expected.items():
        got = client.get(OVERVIEW, params={**RANGE, "sort": key, "order": "desc"}).text
        want = list(reversed(desc)) if key == "name" else desc
        assert order_of(got) == want, key
        asc = client.get(OVERVIEW, params={**RANGE, "sort": key, "order": "asc"}).text
        if key in ("open_rate", "reply_rate"):
            assert order_of(asc) == [quiet, *reversed(desc[:2])], key
        elif key != "name":
            assert order_of(asc) == list(reversed(desc)), key
        else:
            assert order_of(asc) == desc
    # The default: most replied first; the header links keep the range and flip the order.
    page = client.get(OVERVIEW, params=RANGE).text
    assert order_of(page) == [pricing, inj, quiet]
    assert re.search(r'data-column="replied" class="num" aria-sort="descending"', page)
    assert (f'href="{OVERVIEW}?from=2026-11-18&amp;to=2026-11-25&amp;sort=replied&amp;'
            f'order=asc"') in page
    assert (f'href="{OVERVIEW}?from=2026-11-18&amp;to=2026-11-25&amp;sort=name&amp;'
            f'order=asc"') in page
    # Unknown sort keys fall back to the default rather than failing.
    assert order_of(client.get(OVERVIEW, params={**RANGE, "sort": "nope", "order": "x"}).text) \
        == [pricing, inj, quiet]


def test_the_csv_has_every_message_in_the_page_s_order_with_formulas_neutralised(
        client, db, three):
    filled(db, three)
    page = client.get(OVERVIEW, params={**RANGE, "sort": "sent", "order": "asc"}).text
    href = re.search(r'href="([^"]+)" download id="ov-csv"', page)[1].replace("&amp;", "&")
    r = client.get(href)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == \
        'attachment; filename="messages-2026-11-18-2026-11-25.csv"'
    got = list(csv.reader(io.StringIO(r.text, newline="")))
    assert got[0] == ["message_id", "message", "channel", "from", "to", "sent", "opened",
                      "replied", "showings", "opens", "dismissals", "replies"]
    span = ["2026-11-18", "2026-11-25"]
    assert got[1:] == [
        [str(three["Quiet one"]), "Quiet one", "Website", *span, *["0"] * 7],
        [str(three[INJECTION]), "'" + INJECTION, "Website", *span,
         "4", "4", "3", "5", "4", "0", "3"],
        [str(three["Pricing help"]), "Pricing help", "Website", *span,
         "20", "8", "3", "29", "9", "7", "3"],
    ]
    # The comma and the quotes stay inside one quoted cell.
    assert f'{three[INJECTION]},"\'=cmd|\' /C calc\'!A0, ""big"" sale",' in r.text


@pytest.mark.parametrize(("params", "said"), [
    ({"from": "2026-11-25", "to": "2026-11-01"}, "The start of the range is after its end"),
    ({"from": "2024-11-24", "to": "2026-11-25"}, "The range is longer than two years"),
    ({"from": "yesterday"}, "From: enter a date like 2026-12-24"),
    ({"to": "2026-02-30"}, "To: enter a date like 2026-12-24"),
])
def test_bad_ranges_are_said_on_the_page(client, three, params, said):
    for path in ("overview", "overview.csv"):
        r = client.get(f"{BASE}/{path}", params=params)
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("text/html")
        assert re.search(rf'role="alert" id="ov-error"><p>{re.escape(said)}', r.text), r.text
        assert "<table" not in r.text


def test_agents_are_refused(client, agent, three):
    client.cookies.clear()
    assert login(client, agent.email).status_code == 303
    for path in ("overview", "overview.csv"):
        assert client.get(f"{BASE}/{path}").status_code == 403


def test_the_list_links_to_the_overview(client, three):
    html = client.get(BASE).text
    assert f'href="{OVERVIEW}" id="overview-link"' in html


def test_in_portuguese_words_and_rates_are_brazilian(client, db, three):
    filled(db, three)
    csrf = csrf_from(client.get(OVERVIEW).text)
    r = client.post("/locale", data={"locale": "pt_BR", "csrf_token": csrf, "next": OVERVIEW},
                    follow_redirects=False)
    assert r.status_code == 303
    html = client.get(OVERVIEW, params=RANGE).text
    assert '<html lang="pt-BR">' in html
    assert table(html)[str(three["Pricing help"])]["open-rate"] == "40,0%"


# -- the list's columns agree with the reports --------------------------------------------------


def test_for_all_time_the_overview_agrees_with_the_list_and_the_api(client, admin, db, three):
    filled(db, three)
    first = "2026-11-01"  # the first day with figures
    clock.freeze(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))  # 26 Nov is in the past now
    assert login(client, admin.email).status_code == 303  # (the session before expired)
    listed = client.get(BASE).text  # (its first showing adds the ready-made drafts)
    page = client.get(OVERVIEW, params={"from": first})
    assert page.status_code == 200, page.text[-3000:]
    shown = table(page.text)
    api = {m["id"]: m["stats"] for m in client.get(API, headers=admin.headers).json()}
    assert set(api) == {int(k) for k in shown if k != "totals"} > set(three.values())
    for mid in api:
        row = re.search(rf'<tr data-id="{mid}">(.*?)</tr>', listed, re.S)[1]
        in_list = re.findall(r'<td class="num">(\d+)</td>', row)[:3]
        ours = [shown[str(mid)][k] for k in ("sent", "opened", "replied")]
        assert ours == in_list == [str(api[mid][k]) for k in ("sent", "opened", "replied")]
        report = client.get(f"{BASE}/{mid}/report", params={"from": first}).text
        for k in ("sent", "opened", "replied", "showings", "dismissals"):
            assert re.search(rf'data-figure="{k}"[^>]*>.*?<(?:dd|strong)>{shown[str(mid)][k]}<',
                             report, re.S), (mid, k)
    assert [shown[str(three[INJECTION])][k] for k in ("sent", "showings")] == ["54", "55"]


# -- a fixed number of statements ---------------------------------------------------------------

# The signed-in user, the account's settings (today in its time zone), the messages with their
# channels and the range's sums.
PAGE_STATEMENTS = 3


@pytest.mark.parametrize("n", [5, 200])
def test_the_overview_costs_the_same_for_5_or_200_messages(app, client, admin, db, n):
    clock.freeze(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    assert login(client, admin.email).status_code == 303
    rows.messages(db, n)
    for path in ("overview", "overview.csv"):
        with assert_statement_count(app, PAGE_STATEMENTS):
            r = client.get(f"{BASE}/{path}", params={"sort": "open_rate"})
        assert r.status_code == 200, r.text
    assert len(order_of(client.get(OVERVIEW).text)) == n
    assert table(client.get(OVERVIEW).text)["totals"]["sent"] == str(3 * n)
