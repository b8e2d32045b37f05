"""The action table of SPEC §2.1, problems, Contains errors and the sort orders, over HTTP."""

from __future__ import annotations

import threading

import pytest

API = "/api/v1/proactive-messages"
ACTIONS = ("publish", "pause", "resume", "clone")
ALLOWED = {
    "draft": {"edit", "clone", "publish", "delete"},
    "live": {"edit", "clone", "pause", "delete"},
    "paused": {"edit", "clone", "resume", "delete"},
    "error": {"edit", "delete", "publish"},
}


def make(client, admin, body, status="draft"):
    h = admin.headers
    m = client.post(API, json=body, headers=h).json()
    if status in ("live", "paused", "error"):
        assert client.post(f"{API}/{m['id']}/publish", headers=h).status_code == 200
    if status == "paused":
        assert client.post(f"{API}/{m['id']}/pause", headers=h).status_code == 200
    if status == "error":
        client.patch("/api/v1/settings", json={"messaging_enabled": False}, headers=h)
        assert client.get(f"{API}/{m['id']}", headers=h).json()["status"] == "error"
        client.patch("/api/v1/settings", json={"messaging_enabled": True}, headers=h)
    return m


@pytest.mark.parametrize("status", ["draft", "live", "paused", "error"])
@pytest.mark.parametrize("action", [*ACTIONS, "edit", "delete"])
def test_every_action_in_every_status(client, admin, complete, status, action):
    h = admin.headers
    m = make(client, admin, complete, status)
    assert set(client.get(f"{API}/{m['id']}", headers=h).json()["actions"]) == ALLOWED[status]
    if action == "edit":
        r = client.patch(f"{API}/{m['id']}", json={"priority": 7}, headers=h)
    elif action == "delete":
        r = client.delete(f"{API}/{m['id']}", headers=h)
    else:
        r = client.post(f"{API}/{m['id']}/{action}", headers=h)
    if action in ALLOWED[status]:
        assert r.status_code in (200, 201, 204), r.text
    else:
        assert r.status_code == 409
        err = r.json()["error"]
        assert err["code"] == "action_not_allowed"
        assert "cannot" in err["message"]
        # nothing changed
        after = client.get(f"{API}/{m['id']}", headers=h).json()
        assert after["status"] == status
    expected = {
        "publish": "live", "pause": "paused", "resume": "live", "clone": status, "edit": status,
    }
    if action in ALLOWED[status] and action != "delete":
        after = client.get(f"{API}/{m['id']}", headers=h).json()
        assert after["status"] == expected[action]


def test_clone_is_a_draft_copy_without_statistics(client, admin, complete):
    m = make(client, admin, complete, "live")
    r = client.post(f"{API}/{m['id']}/clone", headers=admin.headers)
    assert r.status_code == 201
    c = r.json()
    assert c["name"] == "Copy of Pricing help"
    assert c["status"] == "draft" and c["published_at"] is None
    assert c["stats"] == {"sent": 0, "opened": 0, "replied": 0}
    assert c["conditions"] == m["conditions"] and c["id"] != m["id"]


def test_draft_may_be_incomplete_but_lists_its_problems(client, admin, setup):
    r = client.post(API, json={"name": "Half done"}, headers=admin.headers)
    assert r.status_code == 201
    m = r.json()
    fields = {p["field"] for p in m["problems"]}
    assert {"brand_id", "channel_id", "message", "response.follow_up"} <= fields
    r = client.post(f"{API}/{m['id']}/publish", headers=admin.headers)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "has_problems"
    assert {d["field"] for d in r.json()["error"]["details"]} == fields


def test_live_edit_applies_raises_version_and_refuses_problems(client, admin, complete):
    h = admin.headers
    m = make(client, admin, complete, "live")
    r = client.patch(f"{API}/{m['id']}", json={"message": "New text"}, headers=h)
    assert r.json()["version"] == m["version"] + 1
    assert r.json()["status"] == "live" and r.json()["message"] == "New text"
    r = client.patch(f"{API}/{m['id']}", json={"message": ""}, headers=h)
    assert r.status_code == 409
    assert "Write the message" in r.json()["error"]["message"]
    assert client.get(f"{API}/{m['id']}", headers=h).json()["message"] == "New text"


@pytest.mark.parametrize("change,problem_field", [
    ("delete_channel", "channel_id"),
    ("channel_kind", "channel_id"),
    ("channel_brand", "channel_id"),
    ("delete_schedule", "timing.schedule_id"),
    ("messaging_off", "settings"),
    ("workspace_off", "settings"),
])
@pytest.mark.parametrize("status", ["live", "paused"])
def test_dependency_changes_turn_messages_into_contains_errors(
        client, admin, complete, setup, change, problem_field, status):
    h = admin.headers
    body = {**complete, "timing": {"when": "business_hours", "schedule_id": setup["schedule"]}}
    m = make(client, admin, body, status)
    if change == "delete_channel":
        client.delete(f"/api/v1/channels/{setup['channel']}", headers=h)
    elif change == "channel_kind":
        client.patch(f"/api/v1/channels/{setup['channel']}", json={"kind": "sms"}, headers=h)
    elif change == "channel_brand":
        other = client.post("/api/v1/brands", json={"name": "Other"}, headers=h).json()
        client.patch(f"/api/v1/channels/{setup['channel']}", json={"brand_id": other["id"]},
                     headers=h)
    elif change == "delete_schedule":
        client.delete(f"/api/v1/schedules/{setup['schedule']}", headers=h)
    elif change == "messaging_off":
        client.patch("/api/v1/settings", json={"messaging_enabled": False}, headers=h)
    else:
        client.patch("/api/v1/settings", json={"agent_workspace_enabled": False}, headers=h)
    after = client.get(f"{API}/{m['id']}", headers=h).json()
    assert after["status"] == "error"
    assert problem_field in {p["field"] for p in after["problems"]}
    assert "publish" not in after["actions"]


def test_fixing_problems_and_publishing_brings_it_back(client, admin, complete, setup):
    h = admin.headers
    m = make(client, admin, complete, "live")
    client.delete(f"/api/v1/channels/{setup['channel']}", headers=h)
    assert client.get(f"{API}/{m['id']}", headers=h).json()["status"] == "error"
    new = client.post("/api/v1/channels", headers=h, json={
        "brand_id": setup["brand"], "name": "New site"}).json()
    r = client.patch(f"{API}/{m['id']}", json={"channel_id": new["id"]}, headers=h)
    assert r.json()["status"] == "error" and "publish" in r.json()["actions"]
    r = client.post(f"{API}/{m['id']}/publish", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "live"


def test_drafts_are_not_touched_by_dependency_changes(client, admin, complete, setup):
    h = admin.headers
    m = make(client, admin, complete, "draft")
    client.delete(f"/api/v1/channels/{setup['channel']}", headers=h)
    assert client.get(f"{API}/{m['id']}", headers=h).json()["status"] == "draft"


def test_ready_made_drafts_once_and_in_the_default_language(client, admin, setup):
    h = admin.headers
    client.patch("/api/v1/settings", json={"default_locale": "pt_BR"}, headers=h)
    first = client.get(API, headers=h).json()
    assert len(first) == 3
    assert all(m["status"] == "draft" for m in first)
    assert all(m["channel_id"] == setup["channel"] for m in first)
    assert "Cumprimentar quem visita pela primeira vez" in {m["name"] for m in first}
    assert all(m["conditions"]["all"] for m in first)
    for m in first:
        client.delete(f"{API}/{m['id']}", headers=h)
    assert client.get(API, headers=h).json() == []


SORTS = ["name", "status", "channel", "sent", "opened", "replied", "updated_at"]


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", SORTS)
def test_sort_orders(client, admin, app, complete, setup, sort, order):
    from overture.proactive.models import ProactiveMessage

    h = admin.headers
    client.get(API, headers=h)  # the ready-made drafts
    other = client.post("/api/v1/channels", headers=h, json={
        "brand_id": setup["brand"], "name": "Android app", "kind": "android_sdk"}).json()
    a = make(client, admin, {**complete, "name": "alpha", "channel_id": other["id"]}, "live")
    b = make(client, admin, {**complete, "name": "Beta"}, "paused")
    with app.state.db.unit_of_work() as s:
        for mid, (sent, opened, replied) in ((a["id"], (5, 3, 1)), (b["id"], (9, 1, 2))):
            row = s.get(ProactiveMessage, mid)
            row.sent, row.opened, row.replied = sent, opened, replied
    rows = client.get(API, params={"sort": sort, "order": order}, headers=h).json()
    key = {
        "name": lambda m: m["name"].lower(), "status": lambda m: m["status"],
        "channel": lambda m: m["channel_name"].lower(), "sent": lambda m: m["stats"]["sent"],
        "opened": lambda m: m["stats"]["opened"], "replied": lambda m: m["stats"]["replied"],
        "updated_at": lambda m: m["updated_at"],
    }[sort]
    values = [key(m) for m in rows]
    assert values == sorted(values, reverse=order == "desc")
    assert len(rows) == 5


def test_bad_sort_is_422(client, admin):
    r = client.get(API, params={"sort": "priority"}, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"] == ["query", "sort"]


@pytest.mark.parametrize("body,loc", [
    ({"name": "x", "message": "a" * 5000}, ["message"]),
    ({"name": "<script>alert(1)</script>"}, ["name"]),
    ({"name": "x", "message": "Hi <script>alert(1)</script>"}, ["message"]),
    ({"name": "x", "message": "Hi {{last_name}}"}, ["message"]),
    ({"name": "x", "conditions": {"all": [
        {"field": "page_url", "operator": "is", "value": "a"},
        {"any": [{"field": "language", "operator": "is", "value": "pt"}]}]}}, ["conditions"]),
    ({"name": "x", "conditions": {"all": [
        {"field": "page_url", "operator": "is", "value": "a"},
        {"field": "page_url", "operator": "is", "value": "b"},
        {"any": [{"field": "language", "operator": "gt", "value": "pt"}]}]}},
     ["conditions", "all", 2, "any", 0, "operator"]),
    ({"name": "x", "conditions": {"all": [{"field": "shoe_size", "operator": "is", "value": "9"}]}},
     ["conditions", "all", 0, "field"]),
    ({"name": "x", "conditions": {"all": [{"field": "page_url", "operator": "is", "value": 3}]}},
     ["conditions", "all", 0, "value"]),
    ({"name": "x", "conditions": {"all": [
        {"field": "visit_count", "operator": "gt", "value": i} for i in range(31)]}},
     ["conditions"]),
    ({"name": "x", "trigger": {"event": "on_page", "seconds": 0}}, ["trigger", "on_page", "seconds"]),
    ({"name": "x", "trigger": {"event": "on_page", "seconds": 3601}}, ["trigger", "on_page", "seconds"]),
    ({"name": "x", "tags": ["two words"]}, ["tags"]),
    ({"name": "x", "tags": [f"t{i}" for i in range(21)]}, ["tags"]),
    ({"name": "x", "frequency": "hourly"}, ["frequency"]),
    ({"name": "x", "priority": 0}, ["priority"]),
    ({"name": "x", "response": {"type": "agent", "follow_up": "Thanks 😀"}},
     ["response", "agent", "follow_up"]),
    ({"name": "x", "response": {"type": "agent", "follow_up": "**Thanks**"}},
     ["response", "agent", "follow_up"]),
    ({"name": "x", "response": {"type": "agent", "follow_up": "x" * 301}},
     ["response", "agent", "follow_up"]),
    ({"name": "x", "timing": {"when": "sometimes"}}, ["timing"]),
    ({"name": "x", "unknown": 1}, ["unknown"]),
])
def test_invalid_bodies_are_refused_naming_the_place(client, admin, body, loc):
    h = admin.headers
    client.get(API, headers=h)
    before = client.get(API, headers=h).json()
    r = client.post(API, json=body, headers=h)
    assert r.status_code == 422, r.text
    locs = [d["loc"] for d in r.json()["error"]["details"]]
    assert any(found[:len(loc)] == loc for found in locs), locs
    assert client.get(API, headers=h).json() == before


def test_invalid_patch_changes_nothing(client, admin, complete):
    m = make(client, admin, complete, "live")
    r = client.patch(f"{API}/{m['id']}", json={"name": "ok", "priority": "high"},
                     headers=admin.headers)
    assert r.status_code == 422
    after = client.get(f"{API}/{m['id']}", headers=admin.headers).json()
    assert after["name"] == m["name"] and after["version"] == m["version"]


def test_unknown_ids_and_agents(client, admin, agent):
    assert client.get(f"{API}/999", headers=admin.headers).status_code == 404
    assert client.post(f"{API}/999/publish", headers=admin.headers).status_code == 404
    assert client.get(API, headers=agent.headers).status_code == 403
    assert client.get(API).status_code == 401


def test_test_a_visit(client, admin, complete, setup):
    from datetime import UTC, datetime

    from overture.kit.clock import clock

    h = admin.headers
    body = {**complete, "conditions": {"all": [
        {"field": "page_url", "operator": "contains", "value": ["/pricing"]},
        {"field": "language", "operator": "is", "value": "pt"},
        {"any": [{"field": "visit_history", "operator": "is", "value": "returning"},
                 {"field": "visit_count", "operator": "gte", "value": 3}]}]},
        "timing": {"when": "business_hours", "schedule_id": setup["schedule"]}}
    m = make(client, admin, body, "live")
    clock.freeze(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))  # Wed 12:00 in São Paulo: open
    visit = {"url": "https://shop.example/PRICING", "language": "pt-BR",
             "visit_history": "returning", "seconds_on_page": 30}
    r = client.post(f"{API}/{m['id']}/test", json=visit, headers=h).json()
    assert r["matches"] is True and r["would_show"] is True and r["reasons"] == []
    r = client.post(f"{API}/{m['id']}/test", json={**visit, "language": "en",
                                                   "seconds_on_page": 5}, headers=h).json()
    assert r["matches"] is False and r["would_show"] is False
    assert [c["result"] for c in r["conditions"]["all"][:2]] == [True, False]
    assert any("20 seconds" in reason for reason in r["reasons"])
    clock.freeze(datetime(2026, 11, 25, 23, 0, tzinfo=UTC))  # 20:00 in São Paulo: closed
    r = client.post(f"{API}/{m['id']}/test", json=visit, headers=h).json()
    assert r["matches"] is True and r["would_show"] is False
    assert any("outside business hours" in reason for reason in r["reasons"])
    bad = client.post(f"{API}/{m['id']}/test", json={"visit_count": "many"}, headers=h)
    assert bad.status_code == 422


def test_concurrent_publish_and_pause_leave_one_consistent_state(app, client, admin, complete):
    from fastapi.testclient import TestClient

    m = make(client, admin, complete, "draft")
    results: list[int] = []

    def act(action: str) -> None:
        c = TestClient(app)
        results.append(c.post(f"{API}/{m['id']}/{action}", headers=admin.headers).status_code)

    for _ in range(5):
        threads = [threading.Thread(target=act, args=(a,)) for a in ("publish", "pause") * 3]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = client.get(f"{API}/{m['id']}", headers=admin.headers).json()
        assert final["status"] in ("live", "paused")
        assert set(final["actions"]) == ALLOWED[final["status"]]
        if final["status"] == "paused":
            client.post(f"{API}/{m['id']}/resume", headers=admin.headers)
    assert 500 not in results
    assert set(results) <= {200, 409}


def test_unknown_or_absurd_ids_are_clear_4xx(client, admin, agent, complete, setup):
    h = admin.headers
    huge = 2**63
    for path in (f"{API}/{huge}", f"/api/v1/brands/{huge}", f"/api/v1/channels/{huge}",
                 f"/api/v1/schedules/{huge}", f"/api/v1/tickets/{huge}", f"{API}/0"):
        assert client.get(path, headers=h).status_code == 422, path
    assert client.get("/api/v1/channels", params={"brand_id": huge}, headers=h).status_code == 422
    for field, value in (("channel_id", 999), ("brand_id", 999), ("channel_id", huge)):
        r = client.post(API, json={**complete, field: value}, headers=h)
        assert r.status_code == 422, (field, value, r.text)
        assert r.json()["error"]["details"][0]["loc"][-1] == field
    r = client.post(API, json={**complete, "timing": {"when": "business_hours",
                                                       "schedule_id": 999}}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"] == ["timing", "schedule_id"]
    m = client.post(API, json=complete, headers=h).json()
    r = client.patch(f"{API}/{m['id']}", json={"channel_id": 12345}, headers=h)
    assert r.status_code == 422
    assert client.get(f"{API}/{m['id']}", headers=h).json()["channel_id"] == setup["channel"]


def test_a_message_whose_schedule_was_deleted_can_still_be_edited(client, admin, complete, setup):
    h = admin.headers
    body = {**complete, "timing": {"when": "business_hours", "schedule_id": setup["schedule"]}}
    m = make(client, admin, body, "live")
    client.delete(f"/api/v1/schedules/{setup['schedule']}", headers=h)
    r = client.patch(f"{API}/{m['id']}", json={"name": "Renamed"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "error"
    r = client.patch(f"{API}/{m['id']}", json={"timing": {"when": "any_time"}}, headers=h)
    assert r.status_code == 200 and r.json()["problems"] == []
    assert client.post(f"{API}/{m['id']}/publish", headers=h).json()["status"] == "live"


def test_the_list_itself_is_for_admins(app, admin, agent):
    """The routes refuse agents, and so does the list they call."""
    from overture.accounts.models import User
    from overture.kit.errors import Forbidden
    from overture.proactive import service

    with app.state.db.unit_of_work() as db:
        assert service.list_messages(db, db.get(User, admin.id)) is not None
        with pytest.raises(Forbidden):
            service.list_messages(db, db.get(User, agent.id))


@pytest.mark.parametrize("kind", ["whatsapp", "third_party_bot"])
def test_a_channel_that_cannot_carry_proactive_messages_is_refused(client, admin, setup,
                                                                   complete, kind):
    """Only messaging channels reach visitors: the API stores no message on any other, on
    creation or by an edit, and what was stored stays as it was."""
    h = admin.headers
    social = client.post("/api/v1/channels", headers=h, json={
        "brand_id": setup["brand"], "name": "<b>Line</b>", "kind": kind}).json()
    stored = client.get(API, headers=h).json()
    r = client.post(API, json={**complete, "channel_id": social["id"]}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "channel_kind"
    assert r.json()["error"]["details"][0]["loc"] == ["channel_id"]
    assert "<b>Line</b>" in r.json()["error"]["message"] and kind in r.json()["error"]["message"]
    assert client.get(API, headers=h).json() == stored

    m = make(client, admin, complete, "live")
    before = client.get(f"{API}/{m['id']}", headers=h).json()
    r = client.patch(f"{API}/{m['id']}", json={"channel_id": social["id"]}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "channel_kind"
    assert client.get(f"{API}/{m['id']}", headers=h).json() == before
