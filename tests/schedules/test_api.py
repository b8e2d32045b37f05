from __future__ import annotations

from datetime import UTC, datetime

import pytest

from overture.kit.clock import clock

WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]


def test_schedule_crud_and_status_in_its_own_zone(client, admin):
    h = admin.headers
    r = client.post("/api/v1/schedules", headers=h, json={
        "name": "Support", "timezone": "America/Sao_Paulo", "intervals": WEEKDAYS,
        "holidays": [{"name": "Carnival", "first_day": "2027-02-08", "last_day": "2027-02-09"}]})
    assert r.status_code == 201
    s = r.json()
    # Wednesday 11:00 UTC = 08:00 in São Paulo: closed; 12:30 UTC = 09:30: open.
    clock.freeze(datetime(2026, 11, 25, 11, 0, tzinfo=UTC))
    st = client.get(f"/api/v1/schedules/{s['id']}/status", headers=h).json()
    assert st["open"] is False
    assert st["next_change"].startswith("2026-11-25T12:00:00")
    clock.freeze(datetime(2026, 11, 25, 12, 30, tzinfo=UTC))
    assert client.get(f"/api/v1/schedules/{s['id']}/status", headers=h).json()["open"] is True
    # A holiday on a Monday closes it.
    clock.freeze(datetime(2027, 2, 8, 15, 0, tzinfo=UTC))
    assert client.get(f"/api/v1/schedules/{s['id']}/status", headers=h).json()["open"] is False
    r = client.patch(f"/api/v1/schedules/{s['id']}", headers=h, json={"timezone": "Europe/Lisbon"})
    assert r.json()["timezone"] == "Europe/Lisbon"
    assert client.delete(f"/api/v1/schedules/{s['id']}", headers=h).status_code == 204


@pytest.mark.parametrize("body,loc", [
    ({"timezone": "Mars/Olympus"}, ["timezone"]),
    ({"intervals": [{"weekday": 7, "start": "09:00", "end": "10:00"}]}, ["intervals", 0, "weekday"]),
    ({"intervals": [{"weekday": 1, "start": "09:10", "end": "10:00"}]}, ["intervals", 0, "start"]),
    ({"intervals": [{"weekday": 1, "start": "22:00", "end": "02:00"}]}, ["intervals", 0]),
    ({"intervals": [{"weekday": 1, "start": "9am", "end": "10:00"}]}, ["intervals", 0, "start"]),
    ({"intervals": [{"weekday": 1, "start": "09:00", "end": "12:00"},
                    {"weekday": 1, "start": "11:00", "end": "13:00"}]}, ["intervals"]),
    ({"holidays": [{"name": "X", "first_day": "2026-12-26", "last_day": "2026-12-24"}]},
     ["holidays", 0]),
])
def test_bad_schedules_are_refused_naming_the_place(client, admin, body, loc):
    payload = {"name": "S", "timezone": "UTC", **body}
    r = client.post("/api/v1/schedules", json=payload, headers=admin.headers)
    assert r.status_code == 422, r.text
    assert loc in [d["loc"] for d in r.json()["error"]["details"]]
    assert client.get("/api/v1/schedules", headers=admin.headers).json() == []


def test_end_of_day_interval(client, admin):
    r = client.post("/api/v1/schedules", headers=admin.headers, json={
        "name": "Late", "timezone": "UTC",
        "intervals": [{"weekday": 0, "start": "22:00", "end": "24:00"}]})
    assert r.status_code == 201
