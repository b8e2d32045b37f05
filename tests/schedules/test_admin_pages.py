"""The schedule admin pages, through HTTP form posts with the session, like a browser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from overture.kit.clock import clock
from tests.conftest import csrf_from, login

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def csrf(client, admin) -> str:
    assert login(client, admin.email).status_code == 303
    return csrf_from(client.get("/admin/schedules").text)


def schedules(client, admin) -> list[dict]:
    return client.get("/api/v1/schedules", headers=admin.headers).json()


def form(csrf: str, name: str = "Support hours", timezone: str = "America/Sao_Paulo",
         intervals: list[tuple[str, str, str]] = (), holidays: list[tuple[str, str, str]] = (),
         spare: int = 3) -> dict:
    """What a browser posts: every row, the empty spare ones included."""
    rows = list(intervals) + [("0", "", "")] * spare
    days = list(holidays) + [("", "", "")] * spare
    return {
        "csrf_token": csrf, "name": name, "timezone": timezone,
        "weekday[]": [r[0] for r in rows], "start[]": [r[1] for r in rows],
        "end[]": [r[2] for r in rows],
        "holiday_name[]": [d[0] for d in days], "first_day[]": [d[1] for d in days],
        "last_day[]": [d[2] for d in days],
    }


def test_new_form_works_without_javascript(client, csrf):
    r = client.get("/admin/schedules/new")
    assert r.status_code == 200
    assert r.text.count('name="start[]"') >= 10  # + one in the <template> for "Add hours"
    assert 'type="time" step="900"' in r.text
    assert 'type="date"' in r.text
    for day in ("Monday", "Sunday"):
        assert day in r.text


def test_the_time_zone_is_picked_from_a_list_with_common_zones_first(client, csrf):
    clock.freeze(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))  # winter in the north
    html = client.get("/admin/schedules/new").text
    assert '<select name="timezone" id="timezone" required' in html
    assert '<option value="" selected>— choose a time zone —</option>' in html
    common, everything = html.index('label="Common time zones"'), html.index('"All time zones"')
    sao_paulo = html.index('<option value="America/Sao_Paulo" >America/Sao_Paulo (UTC−03:00)')
    assert common < sao_paulo < everything
    assert '<option value="Asia/Kolkata" >Asia/Kolkata (UTC+05:30)' in html
    assert '<option value="Europe/London" >Europe/London (UTC+00:00)' in html
    rest = html[everything:]
    assert rest.index('"Africa/Abidjan"') < rest.index('"Europe/Zurich"')  # the rest, sorted
    assert "America/Sao_Paulo" not in rest  # offered once
    clock.freeze(datetime(2026, 7, 15, 12, 0, tzinfo=UTC))  # summer: the offsets follow
    html = client.get("/admin/schedules/new").text
    assert "Europe/London (UTC+01:00)" in html and "America/Sao_Paulo (UTC−03:00)" in html


def test_a_saved_zone_is_selected_and_an_unknown_one_kept(client, admin, csrf, db):
    made = client.post("/api/v1/schedules", headers=admin.headers,
                       json={"name": "Office", "timezone": "Asia/Tokyo"}).json()
    html = client.get(f"/admin/schedules/{made['id']}").text
    assert '<option value="Asia/Tokyo" selected>Asia/Tokyo (UTC+09:00)' in html
    from overture.schedules.models import Schedule
    with db() as session:  # a zone this server's tz database no longer has
        session.get(Schedule, made["id"]).timezone = "Asia/Gone"
    html = client.get(f"/admin/schedules/{made['id']}").text
    assert '<optgroup label="Saved">' in html
    assert '<option value="Asia/Gone" selected>Asia/Gone</option>' in html


def test_create_edit_and_delete_through_the_forms(client, admin, csrf):
    r = client.post("/admin/schedules/new", data=form(
        csrf,
        intervals=[("1", "13:00", "17:30"), ("0", "", ""), ("1", "09:00:00", "12:00"),
                   ("5", "20:00", "00:00")],
        holidays=[("Christmas", "2026-12-24", "2026-12-26"), ("", "", ""),
                  ("New Year", "2027-01-01", "")]),
        follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/schedules"
    [made] = schedules(client, admin)
    assert made["name"] == "Support hours" and made["timezone"] == "America/Sao_Paulo"
    assert made["intervals"] == [
        {"weekday": 1, "start": "09:00", "end": "12:00"},
        {"weekday": 1, "start": "13:00", "end": "17:30"},
        {"weekday": 5, "start": "20:00", "end": "24:00"},  # an end of 00:00 is midnight
    ]
    assert made["holidays"] == [
        {"name": "Christmas", "first_day": "2026-12-24", "last_day": "2026-12-26"},
        {"name": "New Year", "first_day": "2027-01-01", "last_day": "2027-01-01"},
    ]
    listing = client.get("/admin/schedules").text
    assert "Schedule created." in listing
    assert "Support hours" in listing and "America/Sao_Paulo" in listing

    page = client.get(f"/admin/schedules/{made['id']}").text
    assert 'value="13:00"' in page and 'value="17:30"' in page
    assert '<option value="5" selected>Saturday</option>' in page
    assert 'value="2026-12-26"' in page and 'value="Christmas"' in page

    r = client.post(f"/admin/schedules/{made['id']}", data=form(
        csrf, name="Weekend", timezone="Europe/Lisbon", intervals=[("6", "10:00", "14:00")]),
        follow_redirects=False)
    assert r.status_code == 303
    [edited] = schedules(client, admin)
    assert (edited["name"], edited["timezone"]) == ("Weekend", "Europe/Lisbon")
    assert edited["intervals"] == [{"weekday": 6, "start": "10:00", "end": "14:00"}]
    assert edited["holidays"] == []

    r = client.post(f"/admin/schedules/{made['id']}", data=form(csrf, name="Closed"),
                    follow_redirects=False)
    assert r.status_code == 303
    assert schedules(client, admin)[0]["intervals"] == []

    confirm = client.get(f"/admin/schedules/{made['id']}/delete")
    assert confirm.status_code == 200 and "Delete Closed?" in confirm.text
    r = client.post(f"/admin/schedules/{made['id']}/delete", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    assert schedules(client, admin) == []


def test_list_says_whether_each_schedule_is_open_now(client, admin, csrf):
    h = admin.headers
    weekdays = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]
    client.post("/api/v1/schedules", headers=h, json={
        "name": "Sao Paulo office", "timezone": "America/Sao_Paulo", "intervals": weekdays})
    client.post("/api/v1/schedules", headers=h, json={
        "name": "Tokyo office", "timezone": "Asia/Tokyo", "intervals": weekdays})
    # Monday 2026-03-02 15:00 UTC: 12:00 in São Paulo, 00:00 on Tuesday in Tokyo.
    clock.freeze(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    html = client.get("/admin/schedules").text
    rows = {row.split("</a>")[0].rsplit(">", 1)[1]: row for row in html.split("<tr>")[2:]}
    assert "Open now" in rows["Sao Paulo office"]
    assert "Closed now" in rows["Tokyo office"]
    # Sunday: both closed.
    clock.freeze(datetime(2026, 3, 1, 15, 0, tzinfo=UTC))
    html = client.get("/admin/schedules").text
    assert "Open now" not in html and html.count("Closed now") == 2


@pytest.mark.parametrize("kwargs,label,words", [
    ({"name": ""}, "Name", "this field is required"),
    ({"timezone": "Mars/Olympus"}, "Time zone", "not an IANA time zone"),
    ({"timezone": ""}, "Time zone", "choose a time zone"),
    # Counted as the form shows them again: without the empty row.
    ({"intervals": [("0", "09:00", "10:00"), ("0", "", ""), ("1", "12:00", "11:00")]},
     "Weekly hours, row 2", "the end must be after the start"),
    ({"intervals": [("2", "09:10", "10:00")]}, "Weekly hours, row 1, Start", "15-minute step"),
    ({"intervals": [("2", "09:00", "")]}, "Weekly hours, row 1, End", "not a time"),
    ({"intervals": [("7", "09:00", "10:00")]}, "Weekly hours, row 1, Day", "must be at most 6"),
    # An overlap is said of each row concerned, naming the other one.
    ({"intervals": [("0", "09:00", "12:00"), ("0", "11:00", "13:00")]},
     "Weekly hours, row 1", "overlaps Monday 11:00–13:00"),
    ({"intervals": [("0", "09:00", "12:00"), ("0", "11:00", "13:00")]},
     "Weekly hours, row 2", "overlaps Monday 09:00–12:00"),
    ({"holidays": [("", "", ""), ("Carnival", "2027-02-09", "2027-02-08")]},
     "Holidays, row 1", "the last day must not be before the first day"),
    ({"holidays": [("Carnival", "", "")]}, "Holidays, row 1, First day", "enter a date like 2026-12-24"),
    ({"holidays": [("", "2027-02-08", "")]}, "Holidays, row 1, Name", "this field is required"),
])
def test_invalid_input_is_shown_readably_and_stores_nothing(
        client, admin, csrf, kwargs, label, words):
    r = client.post("/admin/schedules/new", data=form(csrf, **kwargs))
    assert r.status_code == 422
    assert f"<strong>{label}</strong>" in r.text, r.text
    assert words in r.text
    assert 'name="start[]"' in r.text
    assert schedules(client, admin) == []


def test_invalid_form_is_shown_again_with_what_was_typed(client, admin, csrf):
    r = client.post("/admin/schedules/new", data=form(
        csrf, name="Kept", timezone="Nowhere/Land",
        intervals=[("3", "08:00", "00:00")], holidays=[("Day off", "2027-05-01", "")]))
    assert r.status_code == 422
    assert 'value="Kept"' in r.text
    assert '<option value="Nowhere/Land" selected>Nowhere/Land</option>' in r.text
    assert '<option value="3" selected>Thursday</option>' in r.text
    assert 'value="08:00"' in r.text and 'value="Day off"' in r.text
    assert r.text.count('name="start[]"') >= 10


def test_invalid_edit_changes_nothing(client, admin, csrf):
    made = client.post("/api/v1/schedules", headers=admin.headers,
                       json={"name": "Office", "timezone": "UTC"}).json()
    r = client.post(f"/admin/schedules/{made['id']}",
                    data=form(csrf, name="Renamed", intervals=[("0", "10:00", "09:00")]))
    assert r.status_code == 422
    [now] = schedules(client, admin)
    assert now["name"] == "Office" and now["intervals"] == []


def test_typed_html_comes_back_escaped(client, admin, csrf):
    r = client.post("/admin/schedules/new", data=form(
        csrf, name=XSS, holidays=[(XSS, "2027-01-01", "")]), follow_redirects=False)
    assert r.status_code == 303
    [made] = schedules(client, admin)
    for path in ("/admin/schedules", f"/admin/schedules/{made['id']}",
                 f"/admin/schedules/{made['id']}/delete"):
        html = client.get(path).text
        assert XSS not in html, path
        assert ESCAPED in html, path
    r = client.post("/admin/schedules/new", data=form(csrf, name=XSS, timezone=XSS))
    assert r.status_code == 422
    assert XSS not in r.text


def test_delete_warns_about_channels_that_use_the_schedule(client, admin, csrf):
    h = admin.headers
    made = client.post("/api/v1/schedules", headers=h,
                       json={"name": "Office", "timezone": "UTC"}).json()
    brand = client.post("/api/v1/brands", json={"name": "Acme"}, headers=h).json()
    channel = client.post("/api/v1/channels", headers=h, json={
        "brand_id": brand["id"], "name": "Acme <site>", "schedule_id": made["id"]}).json()
    confirm = client.get(f"/admin/schedules/{made['id']}/delete").text
    assert "will have no business hours" in confirm
    assert "Acme &lt;site&gt;" in confirm
    client.post(f"/admin/schedules/{made['id']}/delete", data={"csrf_token": csrf})
    assert schedules(client, admin) == []
    assert client.get(f"/api/v1/channels/{channel['id']}", headers=h).json()["schedule_id"] is None


PAGES = ["/admin/schedules", "/admin/schedules/new", "/admin/schedules/{id}",
         "/admin/schedules/{id}/delete"]
POSTS = ["/admin/schedules/new", "/admin/schedules/{id}", "/admin/schedules/{id}/delete"]


def test_agents_get_403_on_every_schedule_page(client, admin, agent):
    made = client.post("/api/v1/schedules", headers=admin.headers,
                       json={"name": "Office", "timezone": "UTC"}).json()
    login(client, agent.email)
    token = csrf_from(client.get("/login").text)
    for path in PAGES:
        assert client.get(path.format(id=made["id"])).status_code == 403, path
    for path in POSTS:
        r = client.post(path.format(id=made["id"]), data=form(token, name="Agent"))
        assert r.status_code == 403, path
    assert [s["name"] for s in schedules(client, admin)] == ["Office"]


def test_posts_without_the_csrf_token_are_refused(client, admin, csrf):
    made = client.post("/api/v1/schedules", headers=admin.headers,
                       json={"name": "Office", "timezone": "UTC"}).json()
    for path in POSTS:
        data = form("", name="Forged")
        del data["csrf_token"]
        assert client.post(path.format(id=made["id"]), data=data).status_code == 403, path
        bad = form("wrong", name="Forged")
        assert client.post(path.format(id=made["id"]), data=bad).status_code == 403, path
    assert [s["name"] for s in schedules(client, admin)] == ["Office"]
