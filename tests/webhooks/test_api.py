"""The webhooks API as an integrator uses it: endpoints, their secret, their deliveries, a
resend and a test event; every bad input a clear 4xx naming its field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from overture.kit.clock import clock
from overture.kit.ids import MAX_ID
from overture.webhooks.models import EVENT_TYPES, WebhookDelivery

API = "/api/v1/webhooks"
# A public-looking name: accepted offline (a name that does not resolve now is checked again
# at every send).
URL = "https://hooks.example.com/overture"
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def create(client, admin, **fields) -> dict:
    body = {"url": URL, "events": list(EVENT_TYPES), **fields}
    r = client.post(API, json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def ping(client, admin, webhook_id: int) -> dict:
    r = client.post(f"{API}/{webhook_id}/ping", headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def finish(db, delivery_id: int, status: str) -> None:
    """What the worker does once the receiver answered (or gave up on it)."""
    with db() as session:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(
            status=status, attempts=1, last_attempt_at=NOON, response_status=200
            if status == "delivered" else 500, delivered_at=NOON if status == "delivered"
            else None))


def allow_private(app, backend, monkeypatch) -> None:
    """The operator's OVERTURE_WEBHOOKS_ALLOW_PRIVATE, for this test. Set in the state's dict:
    `monkeypatch.setattr(app.state, ...)` would delete the settings at undo (the state keeps
    its values in `_state`, not in its `__dict__`)."""
    monkeypatch.setitem(app.state._state, "settings",
                        backend.settings(webhooks_allow_private=True))


def refused(r, status: int, field: str, code: str | None = None) -> dict:
    """The answer is `status`, its error names `field` (and has `code`)."""
    assert r.status_code == status, r.text
    error = r.json()["error"]
    if code is not None:
        assert error["code"] == code, error
    assert any(field in d["loc"] for d in error.get("details") or []), error
    return error


# -- the endpoint and its secret ---------------------------------------------------------------


def test_the_secret_is_given_once_at_creation(client, admin):
    made = create(client, admin, description="Orders system",
                  events=["ticket.created", "proactive_message.sent"])
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 30
    assert made["url"] == URL and made["description"] == "Orders system" and made["active"]
    # The events come back in the documented order, whatever the order sent.
    assert made["events"] == ["proactive_message.sent", "ticket.created"]

    got = client.get(f"{API}/{made['id']}", headers=admin.headers)
    assert got.status_code == 200
    assert "secret" not in got.json()
    assert {k: v for k, v in made.items() if k != "secret"} == got.json()
    [listed] = client.get(API, headers=admin.headers).json()
    assert "secret" not in listed and listed["id"] == made["id"]
    assert made["secret"] not in client.get(API, headers=admin.headers).text


def test_every_creation_has_its_own_secret_and_the_list_is_in_creation_order(client, admin):
    first = create(client, admin, description="one")
    second = create(client, admin, description="two", active=False)
    assert first["secret"] != second["secret"]
    listed = client.get(API, headers=admin.headers).json()
    assert [(w["id"], w["description"], w["active"]) for w in listed] == [
        (first["id"], "one", True), (second["id"], "two", False)]


def test_a_repeated_event_is_taken_once(client, admin):
    made = create(client, admin, events=["ticket.created", "ticket.created"])
    assert made["events"] == ["ticket.created"]


def test_patch_changes_what_it_names_and_leaves_the_rest(client, admin):
    clock.freeze(NOON)
    made = create(client, admin, description="Orders")
    clock.advance(timedelta(minutes=5))
    h = admin.headers
    r = client.patch(f"{API}/{made['id']}", json={"events": ["conversation.message"]}, headers=h)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["events"] == ["conversation.message"]
    assert (changed["url"], changed["description"], changed["active"]) == (URL, "Orders", True)
    assert changed["updated_at"] > made["updated_at"]
    assert changed["created_at"] == made["created_at"]
    assert "secret" not in changed

    r = client.patch(f"{API}/{made['id']}", json={
        "active": False, "url": "https://receiver.example.org/hook?x=1",
        "description": None}, headers=h)
    assert r.status_code == 200, r.text
    assert client.get(f"{API}/{made['id']}", headers=h).json() | {"updated_at": None} == {
        **changed, "active": False, "url": "https://receiver.example.org/hook?x=1",
        "updated_at": None}
    assert client.patch(f"{API}/{made['id']}", json={"active": True},
                        headers=h).json()["active"] is True


def test_rotating_gives_a_new_secret_once(client, admin, db):
    made = create(client, admin)
    r = client.post(f"{API}/{made['id']}/rotate-secret", headers=admin.headers)
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != made["secret"]
    assert rotated["id"] == made["id"] and rotated["url"] == made["url"]
    assert "secret" not in client.get(f"{API}/{made['id']}", headers=admin.headers).json()
    again = client.post(f"{API}/{made['id']}/rotate-secret", headers=admin.headers).json()
    assert again["secret"] not in (made["secret"], rotated["secret"])


def test_deleting_takes_its_deliveries_with_it(client, admin, db):
    made = create(client, admin)
    other = create(client, admin)
    ping(client, admin, made["id"])
    finish(db, ping(client, admin, made["id"])["id"], "delivered")
    kept = ping(client, admin, other["id"])
    r = client.delete(f"{API}/{made['id']}", headers=admin.headers)
    assert r.status_code == 204 and r.content == b""
    assert client.get(f"{API}/{made['id']}", headers=admin.headers).status_code == 404
    assert client.get(f"{API}/{made['id']}/deliveries", headers=admin.headers).status_code == 404
    assert client.delete(f"{API}/{made['id']}", headers=admin.headers).status_code == 404
    with db() as session:
        left = session.scalars(select(WebhookDelivery.id)).all()
    assert left == [kept["id"]]
    assert [w["id"] for w in client.get(API, headers=admin.headers).json()] == [other["id"]]


# -- deliveries, a test event, a resend -------------------------------------------------------


def test_a_ping_is_a_pending_delivery_of_its_own(client, admin):
    clock.freeze(NOON)
    made = create(client, admin, events=["ticket.created"])  # a ping goes whatever it takes
    sent = ping(client, admin, made["id"])
    assert sent["webhook_id"] == made["id"] and sent["event"] == "ping"
    assert sent["status"] == "pending" and sent["attempts"] == 0
    assert sent["event_id"].startswith("evt_")
    assert sent["next_attempt_at"] is not None and sent["delivered_at"] is None
    assert sent["response_status"] is None and sent["last_error"] is None
    body = json.loads(sent["payload"])
    assert body == {"id": sent["event_id"], "type": "ping", "created_at": "2026-11-25T12:00:00Z",
                    "data": {"webhook_id": made["id"]}}
    [listed] = client.get(f"{API}/{made['id']}/deliveries", headers=admin.headers).json()
    assert listed == sent
    assert ping(client, admin, made["id"])["event_id"] != sent["event_id"]


def test_deliveries_are_listed_newest_first_filtered_and_bounded(client, admin, db):
    made = create(client, admin)
    ids = [ping(client, admin, made["id"])["id"] for _ in range(5)]
    finish(db, ids[0], "delivered")
    finish(db, ids[2], "failed")
    finish(db, ids[3], "delivered")
    url = f"{API}/{made['id']}/deliveries"
    h = admin.headers

    def listed(**params) -> list[tuple[int, str]]:
        r = client.get(url, params=params, headers=h)
        assert r.status_code == 200, r.text
        return [(d["id"], d["status"]) for d in r.json()]

    assert listed() == [(ids[4], "pending"), (ids[3], "delivered"), (ids[2], "failed"),
                        (ids[1], "pending"), (ids[0], "delivered")]
    assert listed(status="delivered") == [(ids[3], "delivered"), (ids[0], "delivered")]
    assert listed(status="failed") == [(ids[2], "failed")]
    assert listed(status="pending", limit=1) == [(ids[4], "pending")]
    assert listed(limit=2) == [(ids[4], "pending"), (ids[3], "delivered")]
    assert len(listed(limit=200)) == 5
    # A finished delivery has no next attempt.
    finished = client.get(url, params={"status": "delivered"}, headers=h).json()[0]
    assert finished["next_attempt_at"] is None and finished["delivered_at"] is not None
    for params, field in (({"limit": 0}, "limit"), ({"limit": 201}, "limit"),
                          ({"limit": "ten"}, "limit"), ({"status": "sent"}, "status")):
        refused(client.get(url, params=params, headers=h), 422, field, "validation_error")
    # Another webhook's deliveries are not in this list.
    other = create(client, admin)
    ping(client, admin, other["id"])
    assert len(listed()) == 5


@pytest.mark.parametrize("finished", ["delivered", "failed"])
def test_a_finished_delivery_is_resent_as_a_new_one_with_the_same_event(client, admin, db,
                                                                         finished):
    made = create(client, admin)
    first = ping(client, admin, made["id"])
    finish(db, first["id"], finished)
    clock.freeze(NOON + timedelta(days=1))
    r = client.post(f"{API}/{made['id']}/deliveries/{first['id']}/resend", headers=admin.headers)
    assert r.status_code == 201, r.text
    again = r.json()
    assert again["id"] != first["id"]
    assert (again["event_id"], again["event"], again["payload"]) == (
        first["event_id"], "ping", first["payload"])
    assert again["status"] == "pending" and again["attempts"] == 0
    assert again["created_at"].startswith("2026-11-26T12:00:00")
    listed = client.get(f"{API}/{made['id']}/deliveries", headers=admin.headers).json()
    # The earlier one keeps its history.
    assert [(d["id"], d["status"]) for d in listed] == [(again["id"], "pending"),
                                                        (first["id"], finished)]
    # The resend is pending now: resending it again is refused.
    r = client.post(f"{API}/{made['id']}/deliveries/{again['id']}/resend",
                    headers=admin.headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "action_not_allowed"


def test_a_pending_delivery_is_not_resent(client, admin, db):
    made = create(client, admin)
    pending = ping(client, admin, made["id"])
    r = client.post(f"{API}/{made['id']}/deliveries/{pending['id']}/resend",
                    headers=admin.headers)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "action_not_allowed"
    assert "pending" in r.json()["error"]["message"]
    with db() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def test_a_turned_off_webhook_neither_pings_nor_resends(client, admin, db):
    made = create(client, admin)
    done = ping(client, admin, made["id"])
    finish(db, done["id"], "delivered")
    h = admin.headers
    assert client.patch(f"{API}/{made['id']}", json={"active": False},
                        headers=h).status_code == 200
    for r in (client.post(f"{API}/{made['id']}/ping", headers=h),
              client.post(f"{API}/{made['id']}/deliveries/{done['id']}/resend", headers=h)):
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "webhook_inactive"
    with db() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    # Turned on again, both work.
    client.patch(f"{API}/{made['id']}", json={"active": True}, headers=h)
    assert client.post(f"{API}/{made['id']}/deliveries/{done['id']}/resend",
                       headers=h).status_code == 201
    ping(client, admin, made["id"])


# -- where a webhook may send ------------------------------------------------------------------

REFUSED_URLS = [
    ("ftp://hooks.example.com/x", "bad_url"),
    ("javascript:alert(1)", "bad_url"),
    ("https:///path-without-host", "bad_url"),
    ("hooks.example.com/x", "bad_url"),
    ("https://hooks.example.com:99999/x", "bad_url"),
    ("https://hooks.example.com:0/x", "bad_url"),
    ("https://hooks.example.com:port/x", "bad_url"),
    ("https://user:pass@hooks.example.com/x", "bad_url"),
    ("https://token@hooks.example.com/x", "bad_url"),
    ("http://[::1/", "bad_url"),
    ("http://[hooks.example.com]/", "bad_url"),
    ("http://exa mple.com/", "bad_url"),
    ("https://-hooks.example.com/x", "bad_url"),
    ("https://hooks..example.com/x", "bad_url"),
    ("http://127.0.0.1/", "private_address"),
    ("http://127.0.0.1:8000/hook", "private_address"),
    ("http://localhost/", "private_address"),
    ("http://10.0.0.5/", "private_address"),
    ("http://192.168.1.20/", "private_address"),
    ("http://172.16.0.1/", "private_address"),
    ("http://169.254.169.254/latest/meta-data", "private_address"),
    ("http://0.0.0.0/", "private_address"),
    ("http://[::1]/", "private_address"),
    ("http://[::ffff:127.0.0.1]/", "private_address"),
    ("http://[fd00::1]/", "private_address"),
    ("http://[fe80::1]/", "private_address"),
    ("http://224.0.0.1/", "private_address"),
]


@pytest.mark.parametrize(("url", "code"), REFUSED_URLS)
def test_a_url_that_may_not_be_sent_to_is_refused(client, admin, db, url, code):
    r = client.post(API, json={"url": url, "events": ["ticket.created"]}, headers=admin.headers)
    error = refused(r, 422, "url", code)
    assert error["message"]
    # Nor can a webhook be moved there.
    made = create(client, admin)
    refused(client.patch(f"{API}/{made['id']}", json={"url": url}, headers=admin.headers),
            422, "url", code)
    assert client.get(f"{API}/{made['id']}", headers=admin.headers).json()["url"] == URL
    assert len(client.get(API, headers=admin.headers).json()) == 1


def test_the_refusal_says_which_host(client, admin):
    r = client.post(API, json={"url": "http://169.254.169.254/", "events": ["ticket.created"]},
                    headers=admin.headers)
    assert "169.254.169.254" in r.json()["error"]["message"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "http://localhost/",
                                 "http://10.0.0.5/", "http://[::1]:9000/"])
def test_private_receivers_are_taken_when_the_operator_allows_them(
        app, backend, client, admin, monkeypatch, url):
    allow_private(app, backend, monkeypatch)
    made = create(client, admin, url=url)
    assert made["url"] == url
    r = client.patch(f"{API}/{made['id']}", json={"url": "http://127.0.0.2/"},
                     headers=admin.headers)
    assert r.status_code == 200 and r.json()["url"] == "http://127.0.0.2/"
    # Still no other scheme, nor credentials.
    refused(client.post(API, json={"url": "ftp://127.0.0.1/", "events": ["ticket.created"]},
                        headers=admin.headers), 422, "url", "bad_url")


def test_a_url_of_2000_characters_is_the_longest(client, admin):
    base = "https://hooks.example.com/"
    longest = base + "a" * (2000 - len(base))
    assert create(client, admin, url=longest)["url"] == longest
    refused(client.post(API, json={"url": longest + "a", "events": ["ticket.created"]},
                        headers=admin.headers), 422, "url", "validation_error")


def test_surrounding_spaces_are_trimmed_from_the_url(client, admin):
    assert create(client, admin, url=f"  {URL}\n")["url"] == URL


# -- bad bodies --------------------------------------------------------------------------------

BAD_BODIES = [
    ({"url": URL, "events": ["ticket.deleted"]}, "events"),
    ({"url": URL, "events": ["ping"]}, "events"),
    ({"url": URL, "events": []}, "events"),
    ({"url": URL, "events": "ticket.created"}, "events"),
    ({"url": URL, "events": [None]}, "events"),
    ({"url": URL}, "events"),
    ({"events": ["ticket.created"]}, "url"),
    ({"url": "", "events": ["ticket.created"]}, "url"),
    ({"url": "   ", "events": ["ticket.created"]}, "url"),
    ({"url": 42, "events": ["ticket.created"]}, "url"),
    ({"url": f"{URL}\x00", "events": ["ticket.created"]}, "url"),
    ({"url": URL, "events": ["ticket.created"], "description": "Or\x00ders"}, "description"),
    ({"url": URL, "events": ["ticket.created"], "description": "x" * 121}, "description"),
    ({"url": URL, "events": ["ticket.created"], "active": "maybe"}, "active"),
    ({"url": URL, "events": ["ticket.created"], "secret": "whsec_mine"}, "secret"),
    ({"url": URL, "events": ["ticket.created"], "id": 7}, "id"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_a_bad_body_is_refused_naming_its_field(client, admin, body, field):
    r = client.post(API, json=body, headers=admin.headers)
    refused(r, 422, field, "validation_error")
    assert client.get(API, headers=admin.headers).json() == []


@pytest.mark.parametrize(("body", "field"), [
    ({"events": []}, "events"), ({"events": ["nothing"]}, "events"),
    ({"url": ""}, "url"), ({"description": "\x00"}, "description"),
    ({"active": "no way"}, "active"), ({"secret": "whsec_mine"}, "secret"),
])
def test_a_bad_patch_is_refused_naming_its_field(client, admin, body, field):
    made = create(client, admin)
    refused(client.patch(f"{API}/{made['id']}", json=body, headers=admin.headers), 422, field,
            "validation_error")
    got = client.get(f"{API}/{made['id']}", headers=admin.headers).json()
    assert got == {k: v for k, v in made.items() if k != "secret"}


def test_a_body_that_is_not_json_is_refused(client, admin):
    r = client.post(API, content=b"url=https://x", headers={
        **admin.headers, "Content-Type": "application/json"})
    assert r.status_code == 422


def test_markup_in_the_description_is_kept_as_typed(client, admin):
    typed = '<script>alert("x")</script> & <b>bold</b>'
    made = create(client, admin, description=typed)
    assert made["description"] == typed
    assert client.get(f"{API}/{made['id']}", headers=admin.headers).json()[
        "description"] == typed
    assert client.get(API, headers=admin.headers).json()[0]["description"] == typed


# -- what is not there, who may not ------------------------------------------------------------


def test_unknown_ids_are_404(client, admin, db):
    h = admin.headers
    missing = 987654
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/rotate-secret"),
                         ("POST", "/ping"), ("GET", "/deliveries"),
                         ("POST", "/deliveries/1/resend")):
        r = client.request(method, f"{API}/{missing}{path}", headers=h,
                           json={"active": False} if method == "PATCH" else None)
        assert r.status_code == 404, (method, path, r.text)
        assert str(missing) in r.json()["error"]["message"]
    made = create(client, admin)
    other = create(client, admin)
    theirs = ping(client, admin, other["id"])
    finish(db, theirs["id"], "delivered")
    for delivery_id in (missing, theirs["id"]):  # unknown, or another webhook's
        r = client.post(f"{API}/{made['id']}/deliveries/{delivery_id}/resend", headers=h)
        assert r.status_code == 404, r.text
    for bad in (0, -1, MAX_ID + 1, "abc"):
        r = client.get(f"{API}/{bad}", headers=h)
        refused(r, 422, "webhook_id", "validation_error")
    r = client.post(f"{API}/{made['id']}/deliveries/0/resend", headers=h)
    refused(r, 422, "delivery_id", "validation_error")


def test_agents_are_refused_and_strangers_asked_to_sign_in(app, client, admin, agent, db):
    made = create(client, admin)
    done = ping(client, admin, made["id"])
    finish(db, done["id"], "failed")
    calls = [("GET", API, None), ("POST", API, {"url": URL, "events": ["ticket.created"]}),
             ("GET", f"{API}/{made['id']}", None),
             ("PATCH", f"{API}/{made['id']}", {"active": False}),
             ("POST", f"{API}/{made['id']}/rotate-secret", None),
             ("GET", f"{API}/{made['id']}/deliveries", None),
             ("POST", f"{API}/{made['id']}/deliveries/{done['id']}/resend", None),
             ("POST", f"{API}/{made['id']}/ping", None),
             ("DELETE", f"{API}/{made['id']}", None)]
    for method, path, body in calls:
        r = client.request(method, path, json=body, headers=agent.headers)
        assert r.status_code == 403, (method, path, r.text)
        r = client.request(method, path, json=body,
                           headers={"Authorization": "Bearer not-a-token"})
        assert r.status_code == 401, (method, path, r.text)
        stranger = TestClient(app).request(method, path, json=body)  # no session, no token
        # An unsafe call without a session is stopped by the CSRF check even before.
        assert stranger.status_code == (401 if method == "GET" else 403), stranger.text
        assert "whsec_" not in r.text + stranger.text
    # Nothing of it happened.
    got = client.get(f"{API}/{made['id']}", headers=admin.headers).json()
    assert got == {k: v for k, v in made.items() if k != "secret"}
    assert len(client.get(f"{API}/{made['id']}/deliveries", headers=admin.headers).json()) == 1
    assert len(client.get(API, headers=admin.headers).json()) == 1
