"""Counters (SPEC §6) and the widget API's answers to bad input."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from tests.widget.helpers import ORIGIN, Browser, make_jwt, new_id

API = "/api/v1/proactive-messages"


def stats(client, admin, mid):
    return client.get(f"{API}/{mid}", headers=admin.headers).json()["stats"]


def test_counters_are_distinct_customers_and_retries_never_double_count(
        client, admin, live, visitor, new_visitor):
    m = live(frequency="every_time")
    visitor.view()
    opened_id = new_id("e")
    for _ in range(100):
        r = visitor.event("opened", event_id=opened_id)
        assert r.status_code == 200
    assert r.json() == {"ok": True, "duplicate": True}
    visitor.event("replied")
    visitor.event("dismissed")
    visitor.view("https://shop.example/again")  # shown again (every_time), opened again
    visitor.event("opened")
    assert stats(client, admin, m["id"]) == {"sent": 1, "opened": 1, "replied": 1}
    other = new_visitor()
    other.view()
    other.event("opened")
    assert stats(client, admin, m["id"]) == {"sent": 2, "opened": 2, "replied": 1}
    series = client.get(f"{API}/{m['id']}", headers=admin.headers).json()
    assert series["stats"]["sent"] == 2


def test_counts_stay_exact_under_concurrent_requests(app, client, admin, live, site):
    m = live(frequency="every_time")
    browsers = [Browser(TestClient(app), site["channel"]["key"]) for _ in range(8)]
    for b in browsers:
        b.view()
    errors: list[str] = []

    def hammer(b: Browser) -> None:
        event_id = new_id("e")
        for _ in range(5):
            r = b.event("opened", event_id=event_id)
            if r.status_code != 200:
                errors.append(r.text)
        b.event("opened")

    threads = [threading.Thread(target=hammer, args=(b,)) for b in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert stats(client, admin, m["id"]) == {"sent": 8, "opened": 8, "replied": 0}


def test_unknown_channel_disallowed_origin_and_preflight(client, site, live):
    live()
    key = site["channel"]["key"]
    body = {"visitor_id": new_id("v"), "session_id": new_id("s"), "event_id": new_id("e"),
            "url": "https://shop.example/"}
    r = client.post("/widget/v1/nope-nope/page-views", json=body, headers={"Origin": ORIGIN})
    assert r.status_code == 404 and r.json()["error"]["code"] == "channel_not_found"
    r = client.post(f"/widget/v1/{key}/page-views", json=body,
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"
    ok = client.post(f"/widget/v1/{key}/page-views", json=body, headers={"Origin": ORIGIN})
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    pre = client.options(f"/widget/v1/{key}/page-views", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == ORIGIN
    bad = client.options(f"/widget/v1/{key}/page-views", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert bad.status_code == 403 and "access-control-allow-origin" not in bad.headers


def test_deleted_channel_key_is_404(client, admin, site):
    key = site["channel"]["key"]
    client.delete(f"/api/v1/channels/{site['channel']['id']}", headers=admin.headers)
    r = client.get(f"/widget/v1/{key}/config", headers={"Origin": ORIGIN})
    assert r.status_code == 404


def test_malformed_page_views(client, visitor, site):
    key = site["channel"]["key"]
    base = {"visitor_id": new_id("v"), "session_id": new_id("s"), "event_id": new_id("e"),
            "url": "https://shop.example/"}
    cases = [
        ({**base, "url": "https://x/" + "a" * 5000}, "url"),
        ({**base, "attributes": {f"a{i}": i for i in range(10_000)}}, None),
        ({**base, "attributes": {"bad name!": 1}}, "attributes"),
        ({**base, "visitor_id": "short"}, "visitor_id"),
        ({**base, "url": 42}, "url"),
        ({**base, "device_type": "fridge"}, "device_type"),
        ({k: v for k, v in base.items() if k != "url"}, "url"),
    ]
    for body, field in cases:
        r = client.post(f"/widget/v1/{key}/page-views", json=body, headers={"Origin": ORIGIN})
        assert 400 <= r.status_code < 500, (field, r.status_code)
        if field:
            assert r.status_code == 422
            assert field in [d["loc"][0] for d in r.json()["error"]["details"]], field
            assert r.headers["access-control-allow-origin"] == ORIGIN
    r = client.post(f"/widget/v1/{key}/page-views", content=b"not json",
                    headers={"Origin": ORIGIN, "Content-Type": "application/json"})
    assert r.status_code == 422


def test_events_for_someone_elses_delivery_are_404(live, visitor, new_visitor):
    live()
    visitor.view()
    delivery = visitor.last["show"]["delivery_id"]
    other = new_visitor()
    other.view()
    r = other.event("opened", delivery_id=delivery)
    assert r.status_code == 404
    assert visitor.event("opened", delivery_id=999_999).status_code == 404
    bad_kind = visitor._post("events", {"visitor_id": visitor.visitor_id, "event_id": new_id(),
                                        "delivery_id": delivery, "kind": "liked"})
    assert bad_kind.status_code == 422


def test_forged_and_expired_identity_tokens(visitor, site):
    secret = site["channel"]["jwt_secret"]
    visitor.view()
    r = visitor.identify("not-the-secret-but-long-enough-for-hs256!", "cust-9")
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_token"
    r = visitor.identify(secret, "cust-9", exp_seconds=-10)
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]
    no_exp = visitor._post("identify", {"visitor_id": visitor.visitor_id, "token": __import__(
        "jwt").encode({"external_id": "x"}, secret, algorithm="HS256")})
    assert no_exp.status_code == 401
    none_alg = visitor._post("identify", {"visitor_id": visitor.visitor_id,
                                          "token": make_jwt(secret, "x")[:-5] + "AAAAA"})
    assert none_alg.status_code == 401
    ok = visitor.identify(secret, "cust-9", "<b>Maria</b>")
    assert ok.status_code == 200 and ok.json()["name"] == "<b>Maria</b>"


def test_visitor_rate_limit(app, visitor, live):
    from datetime import UTC, datetime

    from overture.kit.clock import clock

    live()
    clock.freeze(datetime(2026, 11, 25, 12, 0, 5, tzinfo=UTC))
    app.state.settings.widget_requests_per_visitor_per_minute = 5
    try:
        codes = [visitor._post("page-views", {
            "visitor_id": visitor.visitor_id, "session_id": visitor.session_id,
            "event_id": new_id("e"), "url": "https://shop.example/"}).status_code
            for _ in range(7)]
    finally:
        app.state.settings.widget_requests_per_visitor_per_minute = 120
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]


def test_placeholders_are_filled_from_the_identified_profile(live, visitor, site):
    live(message="Hello {{first_name}}! ({{full_name}})")
    visitor.identify(site["channel"]["jwt_secret"], "c-1", "<img src=x onerror=alert(1)> Silva")
    d = visitor.view()
    assert d["show"]["plain_text"] == "Hello <img! (<img src=x onerror=alert(1)> Silva)"


def test_daily_series_and_csv(client, admin, live, visitor, new_visitor):
    from datetime import UTC, datetime, timedelta

    from overture.kit.clock import clock

    day1 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    clock.freeze(day1)
    m = live(frequency="every_time")
    visitor.view()
    visitor.event("opened")
    clock.freeze(day1 + timedelta(days=2))
    visitor.new_session()
    visitor.view()
    visitor.event("dismissed")
    new_visitor().view()
    r = client.get(f"{API}/{m['id']}/stats", params={"from": "2026-11-22", "to": "2026-11-25"},
                   headers=admin.headers)
    assert r.status_code == 200
    body = r.json()
    days = {d["day"]: d for d in body["days"]}
    assert list(days) == ["2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"]
    assert (days["2026-11-23"]["sent"], days["2026-11-23"]["opened"]) == (1, 1)
    assert (days["2026-11-25"]["sent"], days["2026-11-25"]["showings"],
            days["2026-11-25"]["dismissals"]) == (1, 2, 1)
    assert body["totals"]["sent"] == 2 and body["totals"]["showings"] == 3
    csv = client.get(f"{API}/{m['id']}/stats", headers=admin.headers,
                     params={"from": "2026-11-23", "to": "2026-11-25", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "day,sent,opened,replied,showings,opens,dismissals,replies"
    assert lines[1] == "2026-11-23,1,1,0,1,1,0,0"
    assert len(lines) == 4
    bad = client.get(f"{API}/{m['id']}/stats", params={"from": "2026-11-25", "to": "2026-11-01"},
                     headers=admin.headers)
    assert bad.status_code == 422
    assert client.get(f"{API}/{m['id']}/stats", params={"from": "yesterday"},
                      headers=admin.headers).status_code == 422


def test_a_chunked_page_view_over_the_limit_is_413(client, visitor):
    def chunks():  # no Content-Length: the size shows only while the body is read
        for _ in range(40):
            yield b"x" * 10_000

    r = client.post(f"/widget/v1/{visitor.key}/page-views", content=chunks(),
                    headers={"content-type": "application/json", "Origin": ORIGIN})
    assert r.status_code == 413, r.text
    visitor.view()  # and the next call is served


def test_a_page_view_over_16_kib_is_413(visitor):
    attributes = {f"a{i}": "x" * 400 for i in range(45)}  # valid, but 18 KB in all
    r = visitor._post("page-views", {
        "visitor_id": visitor.visitor_id, "session_id": visitor.session_id,
        "event_id": new_id("e"), "url": "https://shop.example/", "attributes": attributes})
    assert r.status_code == 413, r.text
    assert r.json()["error"]["message"] == "request body over 16384 bytes"


def test_an_identity_token_vouches_for_a_day_at_most(visitor, site, app):
    secret = site["channel"]["jwt_secret"]
    visitor.view()
    r = visitor.identify(secret, "cust-10", exp_seconds=25 * 3600)
    assert r.status_code == 401 and "24 hours" in r.json()["error"]["message"]
    assert visitor.identify(secret, "cust-10", exp_seconds=23 * 3600).status_code == 200
    app.state.settings.identity_token_max_hours = 48  # an operator's own maximum
    try:
        assert visitor.identify(secret, "cust-10", exp_seconds=47 * 3600).status_code == 200
    finally:
        app.state.settings.identity_token_max_hours = 24


def test_the_email_claim_must_be_an_email(visitor, site):
    visitor.view()
    r = visitor.identify(site["channel"]["jwt_secret"], "cust-11", email="not-an-email")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["loc"] == ["token", "email"]
