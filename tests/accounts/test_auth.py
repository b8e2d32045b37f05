"""Sign-in, sessions, CSRF, API tokens and roles, through HTTP."""

from __future__ import annotations

from overture.cli import main as cli
from tests.conftest import PASSWORD, csrf_from, login


def test_login_sets_httponly_lax_session_and_lands_on_admin(client, admin):
    r = login(client, admin.email)
    assert r.status_code == 303
    assert r.headers["location"] == "/admin"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/admin").status_code == 200


def test_agent_lands_on_agent_workspace_and_cannot_reach_admin(client, agent):
    r = login(client, agent.email)
    assert r.headers["location"] == "/agent"
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/brands").status_code == 403


def test_wrong_password_is_refused_with_a_message(client, admin):
    r = login(client, admin.email, "wrong password!")
    assert r.status_code == 400
    assert "Wrong email or password" in r.text
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_login_without_csrf_token_is_refused(client, admin):
    client.get("/login")
    r = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert r.status_code == 403
    assert "CSRF" in r.text


def test_pages_redirect_to_login_when_signed_out(client):
    r = client.get("/admin/brands", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/admin/brands")


def test_login_is_rate_limited(app, admin):
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from overture.kit.clock import clock

    clock.freeze(datetime(2026, 11, 25, 12, 0, 10, tzinfo=UTC))  # well inside one window
    app.state.settings.login_attempts_per_minute = 3
    try:
        c = TestClient(app)
        codes = [login(c, admin.email, "nope nope nope").status_code for _ in range(5)]
    finally:
        app.state.settings.login_attempts_per_minute = 1000
    assert codes[:3] == [400, 400, 400]
    assert codes[3:] == [429, 429]
    clock.freeze(datetime(2026, 11, 25, 12, 1, 10, tzinfo=UTC))  # the next minute
    assert login(c, admin.email, "nope nope nope").status_code == 400


def test_logout_needs_csrf_and_ends_the_session(client, admin):
    login(client, admin.email)
    assert client.post("/logout").status_code == 403
    token = csrf_from(client.get("/admin").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 200  # → /login
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_open_redirect_after_login_is_ignored(client, admin):
    token = csrf_from(client.get("/login").text)
    r = client.post("/login", data={"email": admin.email, "password": PASSWORD,
                                    "csrf_token": token, "next": "//evil.example/"},
                    follow_redirects=False)
    assert r.headers["location"] == "/admin"


def test_api_needs_auth_and_admin_role(client, admin, agent):
    assert client.get("/api/v1/brands").status_code == 401
    assert client.get("/api/v1/brands", headers={"Authorization": "Bearer ovt_nope"}).status_code == 401
    assert client.get("/api/v1/brands", headers=agent.headers).status_code == 403
    r = client.post("/api/v1/brands", json={"name": "X"}, headers=agent.headers)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert client.post("/api/v1/brands", json={"name": "X"}, headers=admin.headers).status_code == 201


def test_session_api_calls_need_the_csrf_header(client, admin):
    login(client, admin.email)
    assert client.get("/api/v1/brands").status_code == 200
    assert client.post("/api/v1/brands", json={"name": "A"}).status_code == 403
    token = csrf_from(client.get("/admin").text)
    r = client.post("/api/v1/brands", json={"name": "A"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201


def test_settings_defaults_and_patch(client, admin, agent):
    assert client.get("/api/v1/settings", headers=agent.headers).status_code == 403
    r = client.get("/api/v1/settings", headers=admin.headers)
    assert r.json()["visit_timeout_minutes"] == 30
    assert r.json()["messaging_enabled"] is True
    r = client.patch("/api/v1/settings", json={"visit_timeout_minutes": 45,
                                              "default_locale": "pt_BR"}, headers=admin.headers)
    assert r.status_code == 200
    assert client.get("/api/v1/settings", headers=admin.headers).json()["default_locale"] == "pt_BR"
    bad = client.patch("/api/v1/settings", json={"visit_timeout_minutes": "soon",
                                                "default_locale": "fr"}, headers=admin.headers)
    assert bad.status_code == 422
    fields = {tuple(d["loc"]) for d in bad.json()["error"]["details"]}
    assert ("visit_timeout_minutes",) in fields and ("default_locale",) in fields
    assert client.patch("/api/v1/settings", json={"messaging_enabled": False},
                        headers=agent.headers).status_code == 403


def test_cli_creates_admin_and_a_token_that_works(app, client, backend, monkeypatch, capsys):
    monkeypatch.setenv("OVERTURE_DATABASE_URL", backend.database_url)
    from overture.config import get_settings

    get_settings.cache_clear()
    try:
        cli(["create-admin", "root@example.test", "--name", "Root", "--password", PASSWORD])
        cli(["create-token", "root@example.test", "--name", "ci"])
    finally:
        get_settings.cache_clear()
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("ovt_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["email"] == "root@example.test"
    assert me.json()["role"] == "admin"


def test_language_follows_browser_then_choice(client, admin):
    r = client.get("/login", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})
    assert 'lang="pt-BR"' in r.text
    token = csrf_from(r.text)
    client.post("/locale", data={"locale": "en", "csrf_token": token, "next": "/login"})
    r = client.get("/login", headers={"Accept-Language": "pt-BR"})
    assert 'lang="en"' in r.text
