"""The daily series in the account's time zone (SPEC §6): an event counts on the date it
happened there; the API's `from`/`to` and its default range are days in that zone; the report
says which zone; a year of many messages reads in a fixed number of statements."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html import unescape

from sqlalchemy import insert, select

from overture.kit import hotsql
from overture.kit.clock import clock
from overture.proactive import stats
from overture.proactive.models import DailyStat, ProactiveMessage
from tests.conftest import login
from tests.querycount import assert_statement_count
from tests.widget import conftest as widget
from tests.widget.helpers import Browser

API = "/api/v1/proactive-messages"
live, site, visitor = widget.live, widget.site, widget.visitor
ZONE = "America/Sao_Paulo"  # UTC-3 all year (no daylight saving since 2019)
COUNTS = ("sent", "opened", "replied", "showings", "opens", "dismissals", "replies")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026, in UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def set_zone(client, admin, zone: str) -> None:
    r = client.patch("/api/v1/settings", json={"time_zone": zone}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["time_zone"] == zone, r.text


def series(client, admin, mid: int, **params) -> dict[str, dict[str, int]]:
    r = client.get(f"{API}/{mid}/stats", params=params, headers=admin.headers)
    assert r.status_code == 200, r.text
    return {d["day"]: {c: d[c] for c in COUNTS if d[c]} for d in r.json()["days"]}


def shown(browser: Browser) -> int:
    browser.view()
    assert browser.last["show"], browser.last
    return browser.last["show"]["delivery_id"]


def event(browser: Browser, kind: str) -> None:
    r = browser.event(kind)
    assert r.status_code == 200 and r.json()["duplicate"] is False, r.text


def test_events_near_midnight_count_on_the_day_they_happened_in_the_account_zone(
        client, admin, live, visitor, site):
    clock.freeze(at(1, 12))
    set_zone(client, admin, ZONE)
    m = live()
    clock.freeze(at(2, 1, 30))  # 22:30 on 1 December in São Paulo
    shown(visitor)
    clock.freeze(at(2, 2, 59))  # 23:59 on 1 December there
    event(visitor, "opened")
    clock.freeze(at(2, 3, 0))  # midnight: 2 December there
    event(visitor, "replied")
    other = Browser(client, site["channel"]["key"])
    clock.freeze(at(3, 2, 0))  # 23:00 on 2 December there, 3 December in UTC
    shown(other)
    event(other, "dismissed")

    days = series(client, admin, m["id"], **{"from": "2026-11-30", "to": "2026-12-03"})
    assert days == {
        "2026-11-30": {},
        "2026-12-01": {"sent": 1, "showings": 1, "opened": 1, "opens": 1},
        "2026-12-02": {"replied": 1, "replies": 1, "sent": 1, "showings": 1, "dismissals": 1},
        "2026-12-03": {},
    }
    # The default range ends today there: still 2 December at 02:00 UTC on the 3rd.
    default = series(client, admin, m["id"])
    assert list(default)[-1] == "2026-12-02" and len(default) == 30
    assert default["2026-12-01"] == days["2026-12-01"]


def test_without_a_zone_the_days_are_utc_days(client, admin, live, visitor):
    clock.freeze(at(1, 12))
    m = live()
    clock.freeze(at(2, 1, 30))
    shown(visitor)
    clock.freeze(at(2, 23, 59))
    event(visitor, "opened")
    clock.freeze(at(3, 0, 0))
    event(visitor, "replied")

    days = series(client, admin, m["id"], **{"from": "2026-12-01", "to": "2026-12-03"})
    assert days == {"2026-12-01": {},
                    "2026-12-02": {"sent": 1, "showings": 1, "opened": 1, "opens": 1},
                    "2026-12-03": {"replied": 1, "replies": 1}}
    assert list(series(client, admin, m["id"]))[-1] == "2026-12-03"


def test_a_changed_zone_applies_to_new_events_and_leaves_stored_days(client, admin, live,
                                                                     visitor, site):
    clock.freeze(at(1, 12))
    m = live()
    clock.freeze(at(2, 1, 30))  # UTC: 2 December
    shown(visitor)
    set_zone(client, admin, ZONE)
    clock.freeze(at(2, 1, 45))  # São Paulo: 1 December
    event(visitor, "opened")
    set_zone(client, admin, "Asia/Tokyo")
    clock.freeze(at(2, 16, 0))  # Tokyo: 3 December
    event(visitor, "replied")

    days = series(client, admin, m["id"], **{"from": "2026-12-01", "to": "2026-12-03"})
    assert days == {"2026-12-01": {"opened": 1, "opens": 1},
                    "2026-12-02": {"sent": 1, "showings": 1},
                    "2026-12-03": {"replied": 1, "replies": 1}}


def test_the_report_page_names_the_zone_its_days_are_in(client, admin, live, visitor):
    clock.freeze(at(1, 12))
    m = live()
    assert login(client, admin.email).status_code == 303
    page = client.get(f"/admin/proactive-messages/{m['id']}/report",
                      params={"from": "2026-11-30", "to": "2026-12-02"})
    assert page.status_code == 200
    assert "Days in the account's time zone, UTC;" in unescape(page.text)

    set_zone(client, admin, ZONE)
    clock.freeze(at(2, 1, 30))
    shown(visitor)
    assert login(client, admin.email).status_code == 303
    page = client.get(f"/admin/proactive-messages/{m['id']}/report",
                      params={"from": "2026-11-30", "to": "2026-12-02"})
    assert page.status_code == 200
    assert "Days in the account's time zone, America/Sao_Paulo;" in unescape(page.text)
    assert 'data-figure="sent"><dt>Sent</dt><dd>1</dd>' in page.text
    csv = client.get(f"/admin/proactive-messages/{m['id']}/report.csv",
                     params={"from": "2026-12-01", "to": "2026-12-02"}).text.splitlines()
    assert [line.split(",")[1:3] for line in csv[1:]] == [["2026-12-01", "1"],
                                                          ["2026-12-02", "0"]]


# The caller (token with its user), the message, its days in the range, its all-time totals.
YEAR_STATEMENTS = 4
# The 1,000 messages take 7 s to insert on SQLite: the statement count and the rows
# read per request do not depend on how many other messages there are.
MESSAGES = 250


def test_a_year_of_many_messages_reads_in_a_fixed_number_of_statements(
        app, client, admin, live, db):
    clock.freeze(at(31, 12))
    mid = live(name="Measured")["id"]
    start = date(2026, 1, 1)
    with db() as s:  # more messages (copies of it), each with a row a day of 2026
        model = s.get(ProactiveMessage, mid)
        fields = {c.key: getattr(model, c.key) for c in ProactiveMessage.__table__.columns
                  if c.key != "id"}
        s.execute(insert(ProactiveMessage), [{**fields, "name": f"Message {i}"}
                                             for i in range(MESSAGES - 1)])
        ids = list(s.scalars(select(ProactiveMessage.id)))
        assert len(ids) == MESSAGES
        one = dict.fromkeys(COUNTS, 0) | {"sent": 1, "showings": 2}
        s.execute(insert(DailyStat), [
            {"message_id": m, "day": start + timedelta(days=d), "shard": m % 16, **one}
            for m in ids for d in range(365)])
        # The measured message's days are in every shard.
        s.execute(insert(DailyStat), [
            {"message_id": mid, "day": start + timedelta(days=d), "shard": shard, **one}
            for d in range(365) for shard in range(16) if shard != mid % 16])
    other = next(m for m in ids if m != mid)
    for which, shards in ((mid, 16), (other, 1)):
        with assert_statement_count(app, YEAR_STATEMENTS):
            r = client.get(f"{API}/{which}/stats", headers=admin.headers,
                           params={"from": "2026-01-01", "to": "2026-12-31"})
        assert r.status_code == 200, r.text
        days = r.json()["days"]
        assert len(days) == 365 and days[0]["day"] == "2026-01-01"
        assert {(d["sent"], d["showings"]) for d in days} == {(shards, 2 * shards)}
        assert r.json()["totals"]["sent"] == 365 * shards


def test_a_customer_counted_on_two_devices_is_taken_back_from_the_local_day(
        client, admin, live, site):
    set_zone(client, admin, ZONE)
    # Yesterday in UTC at 01:30 and 02:30: 22:30 and 23:30 the day before in São Paulo.
    day = datetime.now(UTC).date() - timedelta(days=1)
    early = datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)
    clock.freeze(early - timedelta(hours=1))
    m = live("Welcome", "Welcome back!", frequency="once_per_customer")
    laptop, phone = (Browser(client, site["channel"]["key"]) for _ in range(2))
    clock.freeze(early)
    shown(laptop)
    clock.freeze(early + timedelta(hours=1))
    shown(phone)
    local, utc = (day - timedelta(days=1)).isoformat(), day.isoformat()
    window = {"from": local, "to": utc}
    assert series(client, admin, m["id"], **window)[local]["sent"] == 2
    clock.freeze(datetime.now(UTC))  # identity tokens expire by the wall clock
    secret = site["channel"]["jwt_secret"]
    assert laptop.identify(secret, "cust-9", "Ana").status_code == 200
    assert phone.identify(secret, "cust-9", "Ana").status_code == 200
    days = series(client, admin, m["id"], **window)
    assert days == {local: {"sent": 1, "showings": 2}, utc: {}}


def test_a_count_made_before_any_widget_request_reads_the_zone(client, admin, live, db):
    """Agents' replies and merges may come first in a process: the zone is read, not guessed."""
    clock.freeze(at(1, 12))
    set_zone(client, admin, ZONE)
    m = live()
    stats.forget_zone()
    with db() as s:
        hotsql.drive(s.connection(), stats._bump(None, 0, m["id"], at(2, 2, 0), {"replies": 1}))
    assert series(client, admin, m["id"], **{"from": "2026-12-01", "to": "2026-12-02"}) == {
        "2026-12-01": {"replies": 1}, "2026-12-02": {}}
