"""Sessions that end: a copied cookie is worth nothing after sign-out, a password change, a
deactivation or "sign out everywhere", on every process; sessions expire when idle; revoked
API tokens are refused everywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.websockets import WebSocketDisconnect

from overture.app import create_app
from overture.brands.models import Brand
from overture.kit.clock import clock
from tests.conftest import PASSWORD, csrf_from, login

NEW_PASSWORD = "a brand new passphrase"


def signed_in(app, email: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    assert login(client, email, password).status_code == 303
    return client


def copy_of(app, client: TestClient) -> TestClient:
    """Another browser holding the same cookies (a stolen or copied cookie)."""
    return TestClient(app, base_url="http://testserver", cookies=dict(client.cookies))


def csrf(client: TestClient) -> str:
    return csrf_from(client.get("/account").text)


def refused_everywhere(client: TestClient, token: str) -> None:
    """The cookie opens no page, reads no API and writes nothing, even with its old token."""
    page = client.get("/admin", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get("/api/v1/users").status_code == 401
    created = client.post("/api/v1/brands", json={"name": "Stolen"},
                          headers={"X-CSRF-Token": token})
    assert created.status_code in (401, 403), created.text


def brands_named(db, name: str) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(Brand)
                              .where(Brand.name == name)) or 0


def test_a_copied_cookie_is_refused_after_sign_out(app, admin, db):
    browser = signed_in(app, admin.email)
    token = csrf(browser)
    thief = copy_of(app, browser)
    assert thief.get("/api/v1/users").status_code == 200  # the copy works while signed in

    assert browser.post("/logout", data={"csrf_token": token},
                        follow_redirects=False).status_code == 303

    refused_everywhere(thief, token)
    assert brands_named(db, "Stolen") == 0


def test_signing_in_makes_a_new_session_and_ends_the_browsers_previous_one(app, admin):
    browser = signed_in(app, admin.email)
    before = copy_of(app, browser)
    assert login(browser, admin.email).status_code == 303
    assert browser.get("/api/v1/me").status_code == 200
    assert before.get("/api/v1/me").status_code == 401  # the cookie from before is worthless


def test_a_planted_anonymous_cookie_is_not_signed_in_by_someone_elses_login(app, admin):
    attacker = TestClient(app, base_url="http://testserver")
    attacker.get("/login")  # an anonymous session, planted in the victim's browser
    victim = copy_of(app, attacker)
    assert login(victim, admin.email).status_code == 303
    assert victim.get("/api/v1/me").status_code == 200
    assert attacker.get("/api/v1/me").status_code == 401


def test_changing_the_password_ends_every_other_session(app, agent):
    here, elsewhere = signed_in(app, agent.email), signed_in(app, agent.email)
    r = here.post("/account/password", data={"csrf_token": csrf(here),
                                             "current_password": PASSWORD,
                                             "new_password": NEW_PASSWORD},
                  follow_redirects=False)
    assert r.status_code == 303
    assert here.get("/api/v1/me").status_code == 200  # the browser that changed it stays in
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert login(TestClient(app), agent.email).status_code == 400  # the old password
    assert login(TestClient(app), agent.email, NEW_PASSWORD).status_code == 303


def test_a_wrong_current_password_changes_nothing(app, agent):
    here, elsewhere = signed_in(app, agent.email), signed_in(app, agent.email)
    r = here.post("/account/password", data={"csrf_token": csrf(here),
                                             "current_password": "not my password",
                                             "new_password": NEW_PASSWORD})
    assert r.status_code == 422
    assert "current password is not right" in r.text
    assert elsewhere.get("/api/v1/me").status_code == 200
    assert login(TestClient(app), agent.email).status_code == 303


def test_the_password_api_checks_the_current_password(client, agent):
    wrong = client.post("/api/v1/me/password", headers=agent.headers,
                        json={"current_password": "nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "wrong_password"
    short = client.post("/api/v1/me/password", headers=agent.headers,
                        json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422
    ok = client.post("/api/v1/me/password", headers=agent.headers,
                     json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204


def test_deactivation_ends_sessions_and_tokens_at_once_and_for_good(app, client, admin, agent):
    browser = signed_in(app, agent.email)
    assert browser.get("/agent").status_code == 200
    r = client.patch(f"/api/v1/users/{agent.id}", json={"is_active": False},
                     headers=admin.headers)
    assert r.status_code == 200 and r.json()["is_active"] is False

    page = browser.get("/agent", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get("/api/v1/me", headers=agent.headers).status_code == 401
    assert login(TestClient(app), agent.email).status_code == 400

    # Back on: they may sign in again, but the old session and token stay dead.
    assert client.patch(f"/api/v1/users/{agent.id}", json={"is_active": True},
                        headers=admin.headers).status_code == 200
    assert browser.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=agent.headers).status_code == 401
    assert login(TestClient(app), agent.email).status_code == 303


def test_the_users_page_deactivates_and_signs_out(app, admin, agent):
    agents_browser = signed_in(app, agent.email)
    page = signed_in(app, admin.email)
    token = csrf_from(page.get("/admin/users").text)
    r = page.post(f"/admin/users/{agent.id}/sign-out", data={"csrf_token": token})
    assert r.status_code == 200 and "signed out everywhere (1 sessions ended)" in r.text
    assert agents_browser.get("/api/v1/me").status_code == 401

    r = page.post(f"/admin/users/{agent.id}/deactivate", data={"csrf_token": token})
    assert "is deactivated" in r.text
    assert f'action="/admin/users/{agent.id}/activate"' in r.text
    assert login(TestClient(app), agent.email).status_code == 400


def test_an_admin_cannot_deactivate_or_demote_themselves(app, client, admin):
    """So that the account always keeps an admin who can undo things."""
    for change in ({"is_active": False}, {"role": "agent"}):
        own = client.patch(f"/api/v1/users/{admin.id}", json=change, headers=admin.headers)
        assert own.status_code == 409 and own.json()["error"]["code"] == "own_account"
    page = signed_in(app, admin.email)
    r = page.post(f"/admin/users/{admin.id}/deactivate",
                  data={"csrf_token": csrf_from(page.get("/admin/users").text)})
    assert r.status_code == 409
    assert "your own account" in r.text
    assert page.get("/api/v1/me").json()["is_active"] is True


def test_sign_out_everywhere_ends_this_browser_too(app, agent):
    here, elsewhere = signed_in(app, agent.email), signed_in(app, agent.email)
    r = here.post("/account/sign-out-everywhere", data={"csrf_token": csrf(here)},
                  follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    for browser in (here, elsewhere):
        assert browser.get("/api/v1/me").status_code == 401


def test_an_idle_session_expires_and_an_active_one_lives_on(app, admin):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock.freeze(start)
    idle, active = signed_in(app, admin.email), signed_in(app, admin.email)
    for hours in (6, 12):  # 12 h idle is the default limit; the active one is used every 6 h
        clock.freeze(start + timedelta(hours=hours))
        assert active.get("/api/v1/me").status_code == 200
    clock.freeze(start + timedelta(hours=12, minutes=1))
    assert idle.get("/api/v1/me").status_code == 401
    assert active.get("/api/v1/me").status_code == 200


def test_no_session_outlives_its_absolute_limit(app, admin):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock.freeze(start)
    browser = signed_in(app, admin.email)
    for hours in range(11, 14 * 24, 11):  # used twice a day: never idle for long
        clock.freeze(start + timedelta(hours=hours))
        assert browser.get("/api/v1/me").status_code == 200, hours
    clock.freeze(start + timedelta(days=14, minutes=1))
    assert browser.get("/api/v1/me").status_code == 401


def test_the_account_page_makes_and_revokes_tokens(app, client, agent):
    browser = signed_in(app, agent.email)
    r = browser.post("/account/tokens", data={"csrf_token": csrf(browser),
                                              "name": "<b>report</b> script"})
    assert r.status_code == 200
    assert "&lt;b&gt;report&lt;/b&gt; script" in r.text  # shown as text
    secret = r.text.split("data-new-token>", 1)[1].split("<", 1)[0]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()[
        "email"] == agent.email
    assert secret not in browser.get("/account").text  # shown once

    listed = client.get("/api/v1/me/tokens", headers=agent.headers).json()
    made = next(t for t in listed if t["name"] == "<b>report</b> script")
    assert made["revoked_at"] is None and "token" not in made
    r = browser.post(f"/account/tokens/{made['id']}/revoke",
                     data={"csrf_token": csrf(browser)})
    assert r.status_code == 200 and "is revoked" in r.text
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 401


def test_another_users_token_is_not_found(client, admin, agent):
    made = client.post("/api/v1/me/tokens", json={"name": "mine"}, headers=agent.headers)
    assert made.status_code == 201
    token_id = made.json()["id"]
    gone = client.delete(f"/api/v1/me/tokens/{token_id}", headers=admin.headers)
    assert gone.status_code == 404
    assert client.get("/api/v1/me", headers={
        "Authorization": f"Bearer {made.json()['token']}"}).status_code == 200


@pytest.fixture
def second_process(app, backend):
    """Another server process's app on the same database (and Redis, when there is one)."""
    other = create_app(backend.settings())
    with TestClient(other, base_url="http://testserver") as client:
        yield client


def test_a_revoked_token_and_an_ended_session_are_refused_by_every_process(
        app, client, second_process, agent):
    made = client.post("/api/v1/me/tokens", json={"name": "ci"}, headers=agent.headers).json()
    bearer = {"Authorization": f"Bearer {made['token']}"}
    browser = signed_in(app, agent.email)
    elsewhere = TestClient(second_process.app, base_url="http://testserver",
                           cookies=dict(browser.cookies))
    assert second_process.get("/api/v1/me", headers=bearer).status_code == 200
    assert elsewhere.get("/api/v1/me").status_code == 200

    assert client.delete(f"/api/v1/me/tokens/{made['id']}", headers=agent.headers
                         ).status_code == 204
    assert client.post("/api/v1/me/sign-out-everywhere", headers=agent.headers
                       ).status_code == 204
    assert second_process.get("/api/v1/me", headers=bearer).status_code == 401
    assert elsewhere.get("/api/v1/me").status_code == 401


def test_an_agents_open_socket_closes_when_the_session_ends(app, client, agent):
    """(On another process too: tests/scaleout/test_two_process_chat.py.)"""
    browser = signed_in(app, agent.email)
    with browser.websocket_connect("/agent/ws", headers={"Origin": "http://testserver"}) as ws:
        assert client.post("/api/v1/me/sign-out-everywhere", headers=agent.headers
                           ).status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_text()
    assert closed.value.code == 4401


def _overture(backend, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OVERTURE_ENVIRONMENT": "test", "OVERTURE_SECRET_KEY": "k" * 48,
           "OVERTURE_PASSWORD_HASH_PROFILE": "test",
           "OVERTURE_DATABASE_URL": backend.database_url}
    done = subprocess.run([sys.executable, "-m", "overture.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def test_the_operator_commands_end_sessions_and_revoke_tokens(app, backend, client, agent):
    browser = signed_in(app, agent.email)
    _overture(backend, "deactivate", agent.email)
    assert browser.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=agent.headers).status_code == 401
    _overture(backend, "activate", agent.email)
    browser = signed_in(app, agent.email)

    _overture(backend, "set-password", agent.email, "--password", NEW_PASSWORD)
    assert browser.get("/api/v1/me").status_code == 401
    browser = signed_in(app, agent.email, NEW_PASSWORD)
    _overture(backend, "sign-out", agent.email)
    assert browser.get("/api/v1/me").status_code == 401

    made = client.post("/api/v1/me/tokens", json={"name": "nightly export"},
                       headers={"Authorization": f"Bearer {_token_of(app, agent)}"}).json()
    listed = _overture(backend, "tokens", agent.email).stdout
    assert f"{made['id']}\tnightly export" in listed
    _overture(backend, "revoke-token", str(made["id"]))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {made['token']}"}
                      ).status_code == 401
    assert "revoked" in _overture(backend, "tokens", agent.email).stdout


def _token_of(app, person) -> str:
    """A fresh token of `person` (the fixture's own was revoked by the deactivation)."""
    from overture.accounts.models import User
    from overture.accounts.service import create_token

    with app.state.db.unit_of_work() as session:
        return create_token(session, session.get(User, person.id), "setup")[1]


def test_sessions_that_expired_unseen_are_cleared_away(app, admin, agent, db):
    from overture.accounts.models import UserSession

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock.freeze(start)
    signed_in(app, agent.email)  # a browser closed for good
    clock.freeze(start + timedelta(hours=13))
    browser = signed_in(app, admin.email)
    with db() as session:
        left = session.scalars(select(UserSession.user_id)).all()
    assert left == [admin.id]
    assert "this browser" in browser.get("/account").text
