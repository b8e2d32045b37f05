"""The settings and users admin pages, through HTTP form posts with the session."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from, login

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def csrf(client, admin) -> str:
    assert login(client, admin.email).status_code == 303
    return csrf_from(client.get("/admin/settings").text)


def settings(client, admin) -> dict:
    return client.get("/api/v1/settings", headers=admin.headers).json()


def users(client, admin) -> list[dict]:
    return client.get("/api/v1/users", headers=admin.headers).json()


def test_settings_page_shows_the_current_values(client, admin, csrf):
    client.patch("/api/v1/settings", json={"messaging_enabled": False,
                                           "visit_timeout_minutes": 45}, headers=admin.headers)
    html = client.get("/admin/settings").text
    assert 'name="agent_workspace_enabled" value="on" checked' in html
    assert 'name="messaging_enabled" value="on" >' in html
    assert 'name="visit_timeout_minutes" value="45"' in html
    assert '<option value="en" selected>' in html and '<option value="pt_BR" >' in html


def test_settings_are_saved_from_the_form(client, admin, csrf):
    r = client.post("/admin/settings", data={
        "csrf_token": csrf, "agent_workspace_enabled": "on", "visit_timeout_minutes": "45",
        "default_locale": "pt_BR"}, follow_redirects=False)  # messaging left unticked
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/settings"
    now = settings(client, admin)
    assert now["agent_workspace_enabled"] is True
    assert now["messaging_enabled"] is False
    assert now["visit_timeout_minutes"] == 45
    assert now["default_locale"] == "pt_BR"
    assert "Settings saved." in client.get("/admin/settings").text

    r = client.post("/admin/settings", data={
        "csrf_token": csrf, "messaging_enabled": "on", "visit_timeout_minutes": "30",
        "default_locale": "en"}, follow_redirects=False)
    assert r.status_code == 303
    now = settings(client, admin)
    assert (now["agent_workspace_enabled"], now["messaging_enabled"]) == (False, True)


def test_the_api_and_the_page_share_the_same_rules(client, admin, csrf):
    r = client.patch("/api/v1/settings", json={"visit_timeout_minutes": 0},
                     headers=admin.headers)
    assert r.status_code == 422
    r = client.patch("/api/v1/settings", json={"visit_timeout_minutes": 20},
                     headers=admin.headers)
    assert r.status_code == 200 and r.json()["visit_timeout_minutes"] == 20
    assert 'name="visit_timeout_minutes" value="20"' in client.get("/admin/settings").text


@pytest.mark.parametrize("fields,label", [
    ({"visit_timeout_minutes": "0"}, "Visit timeout (minutes)"),
    ({"visit_timeout_minutes": "1441"}, "Visit timeout (minutes)"),
    ({"visit_timeout_minutes": "soon"}, "Visit timeout (minutes)"),
    ({"visit_timeout_minutes": ""}, "Visit timeout (minutes)"),
    ({"default_locale": "fr"}, "Default language"),
])
def test_invalid_settings_are_refused_and_change_nothing(client, admin, csrf, fields, label):
    before = settings(client, admin)
    data = {"csrf_token": csrf, "visit_timeout_minutes": "10", "default_locale": "pt_BR",
            **fields}  # both boxes unticked: would switch both off if it were saved
    r = client.post("/admin/settings", data=data)
    assert r.status_code == 422
    assert f"<strong>{label}</strong>" in r.text
    after = settings(client, admin)
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"}


def test_users_page_lists_users_and_creates_one(client, admin, agent, csrf):
    html = client.get("/admin/users").text
    assert admin.email in html and agent.email in html
    assert "<td>Admin</td>" in html and "<td>Agent</td>" in html
    r = client.post("/admin/users", data={
        "csrf_token": csrf, "email": "New.Person@Example.com", "name": "New Person",
        "role": "agent", "password": "a long enough password"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/users"
    made = {u["email"]: u for u in users(client, admin)}["new.person@example.com"]
    assert (made["name"], made["role"]) == ("New Person", "agent")
    html = client.get("/admin/users").text
    assert "User new.person@example.com created." in html
    assert "New Person" in html

    # The new user can sign in with that password.
    other = login(client, "new.person@example.com", "a long enough password")
    assert other.status_code == 303 and other.headers["location"] == "/agent"


@pytest.mark.parametrize("fields,label", [
    ({"email": "not an email"}, "Email"),
    ({"name": ""}, "Name"),
    ({"role": "owner"}, "Role"),
    ({"password": "short"}, "Password"),
    ({"email": "ADMIN@example.test"}, "Email"),  # taken
])
def test_invalid_users_are_refused_and_stored_nowhere(client, admin, csrf, fields, label):
    before = users(client, admin)
    data = {"csrf_token": csrf, "email": "someone@example.com", "name": "Someone",
            "role": "agent", "password": "secret password 1", **fields}
    r = client.post("/admin/users", data=data)
    assert r.status_code == 422
    assert f"<strong>{label}</strong>" in r.text
    assert "secret password 1" not in r.text  # a password is never sent back
    assert users(client, admin) == before


def test_typed_html_comes_back_escaped(client, admin, csrf):
    r = client.post("/admin/users", data={
        "csrf_token": csrf, "email": "x@example.com", "name": XSS, "role": "agent",
        "password": "long enough password"}, follow_redirects=False)
    assert r.status_code == 303
    html = client.get("/admin/users").text
    assert XSS not in html and ESCAPED in html
    r = client.post("/admin/users", data={
        "csrf_token": csrf, "email": "y@example.com", "name": XSS, "role": "agent",
        "password": "short"})
    assert r.status_code == 422
    assert XSS not in r.text and ESCAPED in r.text


def test_agents_get_403_on_every_account_page(client, admin, agent):
    login(client, agent.email)
    token = csrf_from(client.get("/login").text)
    for path in ("/admin/settings", "/admin/users"):
        assert client.get(path).status_code == 403, path
    r = client.post("/admin/settings", data={"csrf_token": token, "visit_timeout_minutes": "5",
                                             "default_locale": "en"})
    assert r.status_code == 403
    r = client.post("/admin/users", data={"csrf_token": token, "email": "me@example.com",
                                          "name": "Me", "role": "admin",
                                          "password": "promote me please"})
    assert r.status_code == 403
    assert settings(client, admin)["visit_timeout_minutes"] == 30
    assert settings(client, admin)["messaging_enabled"] is True
    assert "me@example.com" not in [u["email"] for u in users(client, admin)]


def test_posts_without_the_csrf_token_are_refused(client, admin, csrf):
    r = client.post("/admin/settings", data={"visit_timeout_minutes": "5",
                                             "default_locale": "en"})
    assert r.status_code == 403
    assert "CSRF" in r.text
    r = client.post("/admin/users", data={"csrf_token": "forged", "email": "me@example.com",
                                          "name": "Me", "role": "admin",
                                          "password": "promote me please"})
    assert r.status_code == 403
    assert settings(client, admin)["visit_timeout_minutes"] == 30
    assert "me@example.com" not in [u["email"] for u in users(client, admin)]
