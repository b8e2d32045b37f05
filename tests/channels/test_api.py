from __future__ import annotations

import pytest


@pytest.fixture
def brand(client, admin):
    return client.post("/api/v1/brands", json={"name": "Acme"}, headers=admin.headers).json()


def test_channel_crud_with_key_and_secret(client, admin, agent, brand):
    h = admin.headers
    r = client.post("/api/v1/channels", headers=h, json={
        "brand_id": brand["id"], "name": "Website", "kind": "web_widget",
        "allowed_origins": ["https://www.Example.com/"], "sender_name": "Support",
        "launcher_text": "Chat", "color": "#112233"})
    assert r.status_code == 201
    ch = r.json()
    assert len(ch["key"]) >= 12 and ch["jwt_secret"]
    assert ch["allowed_origins"] == ["https://www.example.com"]
    assert ch["can_carry_proactive"] is True
    # The secret is shown when the channel is made or changed, never when it is read.
    assert "jwt_secret" not in client.get(f"/api/v1/channels/{ch['id']}", headers=h).json()
    assert client.get(f"/api/v1/channels/{ch['id']}", headers=agent.headers).status_code == 403
    r = client.patch(f"/api/v1/channels/{ch['id']}", json={"kind": "whatsapp"}, headers=h)
    assert r.json()["can_carry_proactive"] is False
    assert client.delete(f"/api/v1/channels/{ch['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/channels/{ch['id']}", headers=h).status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"kind": "telegram"}, "kind"),
    ({"allowed_origins": ["example.com"]}, "allowed_origins"),
    ({"allowed_origins": ["https://x.com/path"]}, "allowed_origins"),
    ({"color": "blue"}, "color"),
    ({"sender_avatar_url": "javascript:alert(1)"}, "sender_avatar_url"),
    ({"name": ""}, "name"),
    ({"launcher_text": "x" * 81}, "launcher_text"),
])
def test_bad_channel_fields_are_named(client, admin, brand, body, field):
    payload = {"brand_id": brand["id"], "name": "Web", **body}
    r = client.post("/api/v1/channels", json=payload, headers=admin.headers)
    assert r.status_code == 422
    assert field in [d["loc"][0] for d in r.json()["error"]["details"]]
    assert client.get("/api/v1/channels", headers=admin.headers).json() == []


def test_unknown_brand_or_schedule(client, admin, brand):
    r = client.post("/api/v1/channels", json={"brand_id": 999, "name": "W"}, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"] == ["brand_id"]
    r = client.post("/api/v1/channels", json={"brand_id": brand["id"], "name": "W",
                                              "schedule_id": 999}, headers=admin.headers)
    assert r.status_code == 422


def test_deleting_a_schedule_unlinks_the_channel(client, admin, brand):
    h = admin.headers
    s = client.post("/api/v1/schedules", headers=h, json={"name": "S", "timezone": "UTC"}).json()
    ch = client.post("/api/v1/channels", headers=h, json={
        "brand_id": brand["id"], "name": "W", "schedule_id": s["id"]}).json()
    assert client.delete(f"/api/v1/schedules/{s['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/channels/{ch['id']}", headers=h).json()["schedule_id"] is None
