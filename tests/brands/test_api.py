from __future__ import annotations


def test_brand_crud(client, admin):
    h = admin.headers
    r = client.post("/api/v1/brands", json={"name": "  Acme  "}, headers=h)
    assert r.status_code == 201
    brand = r.json()
    assert brand["name"] == "Acme"
    assert client.get(f"/api/v1/brands/{brand['id']}", headers=h).json()["name"] == "Acme"
    r = client.patch(f"/api/v1/brands/{brand['id']}", json={"name": "Acme Inc"}, headers=h)
    assert r.json()["name"] == "Acme Inc"
    assert [b["name"] for b in client.get("/api/v1/brands", headers=h).json()] == ["Acme Inc"]
    assert client.delete(f"/api/v1/brands/{brand['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/brands/{brand['id']}", headers=h).status_code == 404


def test_duplicate_name_is_a_conflict(client, admin):
    client.post("/api/v1/brands", json={"name": "Acme"}, headers=admin.headers)
    r = client.post("/api/v1/brands", json={"name": "acme"}, headers=admin.headers)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "name_taken"


def test_deleting_a_brand_with_channels_is_refused(client, admin):
    h = admin.headers
    brand = client.post("/api/v1/brands", json={"name": "Acme"}, headers=h).json()
    client.post("/api/v1/channels", json={"brand_id": brand["id"], "name": "Web"}, headers=h)
    r = client.delete(f"/api/v1/brands/{brand['id']}", headers=h)
    assert r.status_code == 409
    assert "channel" in r.json()["error"]["message"]
    assert client.get(f"/api/v1/brands/{brand['id']}", headers=h).status_code == 200


def test_bad_input(client, admin):
    h = admin.headers
    for body, field in [({}, "name"), ({"name": ""}, "name"), ({"name": 5}, "name"),
                        ({"name": "x" * 121}, "name"), ({"name": "A", "extra": 1}, "extra")]:
        r = client.post("/api/v1/brands", json=body, headers=h)
        assert r.status_code == 422, body
        assert [field] in [d["loc"] for d in r.json()["error"]["details"]], body
    r = client.post("/api/v1/brands", content=b"{not json", headers={**h, "content-type": "application/json"})
    assert r.status_code == 422
    assert client.get("/api/v1/brands/999", headers=h).status_code == 404
    assert client.get("/api/v1/brands/abc", headers=h).status_code == 422
    big = client.post("/api/v1/brands", content=b"x" * 400_000, headers={**h, "content-type": "application/json"})
    assert big.status_code == 413
    assert client.get("/api/v1/brands", headers=h).json() == []


def test_script_in_name_is_stored_as_typed_and_escaped_in_pages(client, admin):
    from tests.conftest import login

    name = "<script>alert(1)</script>"
    client.post("/api/v1/brands", json={"name": name}, headers=admin.headers)
    assert client.get("/api/v1/brands", headers=admin.headers).json()[0]["name"] == name
    login(client, admin.email)
    page = client.get("/admin/brands").text
    assert name not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_form_errors_speak_the_admins_language(client, admin):
    from tests.conftest import csrf_from, login

    login(client, admin.email)
    page = client.get("/admin/brands/new", headers={"Accept-Language": "pt-BR"}).text
    token = csrf_from(page)
    client.post("/locale", data={"locale": "pt_BR", "csrf_token": token, "next": "/admin"})
    r = client.post("/admin/brands/new", data={"name": "", "csrf_token": token})
    assert r.status_code == 422
    assert "este campo é obrigatório" in r.text
    r = client.post("/admin/brands/new", data={"name": "x" * 121, "csrf_token": token})
    assert "no máximo 120 caracteres" in r.text


def test_a_chunked_body_over_the_limit_is_413(client, admin):
    def chunks():  # no Content-Length: the size shows only while the body is read
        for _ in range(40):
            yield b"x" * 10_000

    r = client.post("/api/v1/brands", content=chunks(),
                    headers={**admin.headers, "content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["error"]["message"] == "request body over 262144 bytes"
    assert client.get("/api/v1/brands", headers=admin.headers).json() == []


def test_the_identity_secret_is_shown_to_admins_and_rotated(client, admin, agent):
    h = admin.headers
    made = client.post("/api/v1/brands", json={"name": "Acme"}, headers=h).json()
    assert len(made["identity_secret"]) >= 32
    # Like a channel's: in what a write answers, not in the listings.
    assert "identity_secret" not in client.get(f"/api/v1/brands/{made['id']}", headers=h).json()
    patched = client.patch(f"/api/v1/brands/{made['id']}", json={"name": "Acme"}, headers=h)
    assert patched.json()["identity_secret"] == made["identity_secret"]
    rotated = client.post(f"/api/v1/brands/{made['id']}/rotate-secret", headers=h)
    assert rotated.status_code == 200
    assert rotated.json()["identity_secret"] not in ("", made["identity_secret"])
    assert client.post("/api/v1/brands/999/rotate-secret", headers=h).status_code == 404
    assert client.post(f"/api/v1/brands/{made['id']}/rotate-secret",
                       headers=agent.headers).status_code == 403


def test_a_channel_chooses_to_share_its_brands_secret(client, admin):
    h = admin.headers
    brand = client.post("/api/v1/brands", json={"name": "Acme"}, headers=h).json()
    ch = client.post("/api/v1/channels", json={"brand_id": brand["id"], "name": "Web"},
                     headers=h).json()
    assert ch["identity_shared_with_brand"] is False  # its own secret unless chosen
    for bad in ("yes", 1, None):
        r = client.post("/api/v1/channels", headers=h, json={
            "brand_id": brand["id"], "name": "Web", "identity_shared_with_brand": bad})
        assert r.status_code == 422, bad
    r = client.patch(f"/api/v1/channels/{ch['id']}", json={"identity_shared_with_brand": True},
                     headers=h)
    assert r.status_code == 200 and r.json()["identity_shared_with_brand"] is True
    assert client.get(f"/api/v1/channels/{ch['id']}",
                      headers=h).json()["identity_shared_with_brand"] is True
