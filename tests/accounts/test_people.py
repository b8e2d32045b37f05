"""People and access, through HTTP as a browser does it: an admin edits a user, changes their
role, deactivates them, sets or makes up their password; each user keeps their own API tokens;
an agent is kept out of the admin pages with a page that says so."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from overture.kit.clock import clock
from tests.conftest import PASSWORD, csrf_from, login

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
NEW_PASSWORD = "a fresh long passphrase"


def signed_in(app, email: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    assert login(client, email, password).status_code == 303
    return client


def can_sign_in(app, email: str, password: str) -> bool:
    return login(TestClient(app, base_url="http://testserver"), email, password
                 ).status_code == 303


@pytest.fixture
def browser(app, admin) -> TestClient:
    """The admin's browser."""
    return signed_in(app, admin.email)


def token_of(client: TestClient) -> str:
    return csrf_from(client.get("/admin").text)


def user(client, admin, user_id: int) -> dict:
    return client.get(f"/api/v1/users/{user_id}", headers=admin.headers).json()


# -- editing a user --------------------------------------------------------------------------


def test_the_users_list_links_to_each_users_page(browser, admin, agent):
    html = browser.get("/admin/users").text
    assert f'<a href="/admin/users/{agent.id}" aria-label="Edit Agent">Edit</a>' in html
    page = browser.get(f"/admin/users/{agent.id}")
    assert page.status_code == 200
    assert '<h1>Agent</h1>' in page.text
    assert f'value="{agent.email}"' in page.text
    assert '<option value="agent" selected>Agent</option>' in page.text
    assert f'action="/admin/users/{agent.id}/deactivate"' in page.text
    assert f'action="/admin/users/{agent.id}/password"' in page.text


def test_an_admin_edits_name_email_and_role(app, client, browser, admin, agent):
    agents_browser = signed_in(app, agent.email)
    assert agents_browser.get("/admin").status_code == 403
    r = browser.post(f"/admin/users/{agent.id}", data={
        "csrf_token": token_of(browser), "name": "Bea Lead", "email": "Bea@Example.com",
        "role": "admin"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/users/{agent.id}"
    assert "bea@example.com is saved." in browser.get(f"/admin/users/{agent.id}").text
    now = user(client, admin, agent.id)
    assert (now["name"], now["email"], now["role"]) == ("Bea Lead", "bea@example.com", "admin")
    # The role counts from the next click of the session already open.
    assert agents_browser.get("/admin").status_code == 200
    assert can_sign_in(app, "bea@example.com", PASSWORD)
    assert not can_sign_in(app, agent.email, PASSWORD)

    r = browser.post(f"/admin/users/{agent.id}", data={
        "csrf_token": token_of(browser), "name": "Bea Lead", "email": "bea@example.com",
        "role": "agent"}, follow_redirects=False)
    assert r.status_code == 303
    assert agents_browser.get("/admin").status_code == 403


@pytest.mark.parametrize("fields,label,words,status", [
    ({"email": "not an email"}, "Email", "enter a valid email address", 422),
    ({"email": "Taken@Example.com"}, "", "a user with email taken@example.com already exists",
     409),
    ({"name": ""}, "Name", "this field is required", 422),
    ({"name": "a" * 121}, "Name", "at most 120 characters", 422),
    ({"role": "owner"}, "Role", "choose one of the offered values", 422),
])
def test_a_refused_edit_names_the_field_and_changes_nothing(
        client, browser, admin, agent, fields, label, words, status):
    client.post("/api/v1/users", headers=admin.headers, json={
        "email": "taken@example.com", "name": "Taken", "role": "agent", "password": "x" * 12})
    before = user(client, admin, agent.id)
    data = {"csrf_token": token_of(browser), "name": "Changed", "email": "changed@example.com",
            "role": "admin", **fields}
    r = browser.post(f"/admin/users/{agent.id}", data=data)
    assert r.status_code == status
    assert words in r.text
    if label:
        assert re.search(rf'<li data-path="{next(iter(fields))}"[^>]*><strong>{label}</strong>',
                         r.text)
    assert f'name="email" value="{data["email"]}"' in r.text  # shown again as typed
    assert user(client, admin, agent.id) == before


def test_the_api_edits_the_email_too(client, admin, agent):
    r = client.patch(f"/api/v1/users/{agent.id}", json={"email": "New@Example.com"},
                     headers=admin.headers)
    assert r.status_code == 200 and r.json()["email"] == "new@example.com"
    client.patch(f"/api/v1/users/{admin.id}", json={"email": "boss@example.com"},
                 headers=admin.headers)
    taken = client.patch(f"/api/v1/users/{agent.id}", json={"email": "BOSS@example.com"},
                         headers=admin.headers)
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"
    bad = client.patch(f"/api/v1/users/{agent.id}", json={"email": "nope"},
                       headers=admin.headers)
    assert bad.status_code == 422
    assert user(client, admin, agent.id)["email"] == "new@example.com"


def test_typed_html_is_shown_as_text(client, browser, admin, agent):
    r = browser.post(f"/admin/users/{agent.id}", data={
        "csrf_token": token_of(browser), "name": XSS, "email": agent.email, "role": "agent"},
        follow_redirects=False)
    assert r.status_code == 303
    for path in ("/admin/users", f"/admin/users/{agent.id}"):
        html = browser.get(path).text
        assert XSS not in html and ESCAPED in html, path


def test_an_admin_cannot_change_their_own_role_or_shut_themselves_out(client, browser, admin):
    page = browser.get(f"/admin/users/{admin.id}").text
    assert '<select name="role" disabled' in page
    assert "You cannot change your own role" in page
    assert f'action="/admin/users/{admin.id}/deactivate"' not in page
    assert f'action="/admin/users/{admin.id}/password"' not in page
    assert 'href="/account"' in page

    # Their own name and email, yes (a disabled select is not sent: the role stays).
    r = browser.post(f"/admin/users/{admin.id}", data={
        "csrf_token": token_of(browser), "name": "Ada Root", "email": admin.email},
        follow_redirects=False)
    assert r.status_code == 303
    assert user(client, admin, admin.id)["name"] == "Ada Root"

    # A forged post: refused with the reason, nothing changed.
    r = browser.post(f"/admin/users/{admin.id}", data={
        "csrf_token": token_of(browser), "name": "Ada", "email": admin.email, "role": "agent"})
    assert r.status_code == 409 and "your own account" in r.text
    r = browser.post(f"/admin/users/{admin.id}/deactivate", data={
        "csrf_token": token_of(browser), "back": f"/admin/users/{admin.id}"})
    assert r.status_code == 409 and "your own account" in r.text
    assert "<h1>Ada Root</h1>" in r.text  # the user's page, not the list
    r = browser.post(f"/admin/users/{admin.id}/password", data={
        "csrf_token": token_of(browser), "password": NEW_PASSWORD})
    assert r.status_code == 409 and "on your account page" in r.text
    now = user(client, admin, admin.id)
    assert (now["name"], now["role"], now["is_active"]) == ("Ada Root", "admin", True)
    assert browser.get("/admin").status_code == 200  # still signed in, still an admin


# -- deactivating ----------------------------------------------------------------------------


def test_deactivating_from_the_users_page_ends_sessions_and_tokens_at_once(
        app, client, browser, admin, agent):
    agents_browser = signed_in(app, agent.email)
    assert client.get("/api/v1/me", headers=agent.headers).status_code == 200
    back = f"/admin/users/{agent.id}"
    r = browser.post(f"/admin/users/{agent.id}/deactivate",
                     data={"csrf_token": token_of(browser), "back": back},
                     follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == back
    page = browser.get(back).text
    assert "is deactivated: their sessions ended and their API tokens are revoked." in page
    assert '<span class="badge">inactive</span>' in page
    assert f'action="/admin/users/{agent.id}/activate"' in page

    gone = agents_browser.get("/agent", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/login?next=/agent"
    assert client.get("/api/v1/me", headers=agent.headers).status_code == 401
    assert not can_sign_in(app, agent.email, PASSWORD)

    r = browser.post(f"/admin/users/{agent.id}/activate",
                     data={"csrf_token": token_of(browser), "back": back},
                     follow_redirects=False)
    assert r.headers["location"] == back
    assert "can sign in again" in browser.get(back).text
    assert can_sign_in(app, agent.email, PASSWORD)
    assert client.get("/api/v1/me", headers=agent.headers).status_code == 401  # stays revoked


def test_back_goes_only_to_the_users_pages(browser, agent):
    for forged in ("https://evil.example/", "//evil.example", "/admin/settings"):
        r = browser.post(f"/admin/users/{agent.id}/sign-out",
                         data={"csrf_token": token_of(browser), "back": forged},
                         follow_redirects=False)
        assert r.headers["location"] == "/admin/users", forged


# -- passwords -------------------------------------------------------------------------------


def test_an_admin_sets_a_password_they_typed(app, client, browser, admin, agent):
    agents_browser = signed_in(app, agent.email)
    r = browser.post(f"/admin/users/{agent.id}/password",
                     data={"csrf_token": token_of(browser), "password": NEW_PASSWORD},
                     follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/users/{agent.id}"
    assert "has a new password: their sessions ended" in browser.get(r.headers["location"]).text
    assert agents_browser.get("/api/v1/me").status_code == 401
    assert can_sign_in(app, agent.email, NEW_PASSWORD)
    assert not can_sign_in(app, agent.email, PASSWORD)
    # Their programs go on: a password is not a token.
    assert client.get("/api/v1/me", headers=agent.headers).status_code == 200


def test_a_password_too_short_is_refused_and_changes_nothing(app, browser, agent):
    agents_browser = signed_in(app, agent.email)
    r = browser.post(f"/admin/users/{agent.id}/password",
                     data={"csrf_token": token_of(browser), "password": "short"})
    assert r.status_code == 422
    assert re.search(r'<li data-path="password"[^>]*><strong>Password</strong>', r.text)
    assert "at least 10 characters" in r.text
    assert agents_browser.get("/api/v1/me").status_code == 200
    assert can_sign_in(app, agent.email, PASSWORD)


def test_an_admin_has_a_password_made_up_and_sees_it_once(app, browser, agent):
    agents_browser = signed_in(app, agent.email)
    r = browser.post(f"/admin/users/{agent.id}/password",
                     data={"csrf_token": token_of(browser), "generate": "1"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    found = re.search(r'<code class="secret" id="generated-password" data-generated-password>'
                      r'([^<]+)</code>', r.text)
    assert found, r.text
    made = found.group(1)
    assert re.fullmatch(r"[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}", made)
    assert 'data-copy="generated-password"' in r.text
    assert agents_browser.get("/api/v1/me").status_code == 401
    assert can_sign_in(app, agent.email, made)
    assert not can_sign_in(app, agent.email, PASSWORD)
    assert made not in browser.get(f"/admin/users/{agent.id}").text  # shown once
    again = browser.post(f"/admin/users/{agent.id}/password",
                         data={"csrf_token": token_of(browser), "generate": "1"}).text
    assert made not in again  # a new one each time


# -- one's own API tokens --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "agent"])
def test_each_user_makes_sees_and_revokes_their_own_tokens(app, client, admin, agent, who):
    person = admin if who == "admin" else agent
    own = signed_in(app, person.email)
    token = csrf_from(own.get("/account").text)
    r = own.post("/account/tokens", data={"csrf_token": token, "name": "Reports"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    secret = re.search(r'data-new-token>([^<]+)<', r.text).group(1)
    assert '<button type="button" data-copy="new-token" data-copied="Copied"' in r.text

    listed = own.get("/account").text
    row = listed.split("<td>Reports", 1)[1].split("</tr>", 1)[0]
    assert "never" in row  # not used yet
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                      ).json()["email"] == person.email
    row = own.get("/account").text.split("<td>Reports", 1)[1].split("</tr>", 1)[0]
    assert "never" not in row and re.search(r"\d+ \w+ \d{4}, \d\d:\d\d <span class=\"tz\">UTC",
                                            row)
    assert "data-confirm=" in row and "Revoke token Reports" in row

    made = next(t for t in client.get("/api/v1/me/tokens", headers=person.headers).json()
                if t["name"] == "Reports")
    r = own.post(f"/account/tokens/{made['id']}/revoke", data={"csrf_token": token},
                 follow_redirects=False)
    assert r.status_code == 303
    assert "is revoked" in own.get("/account").text
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 401


def test_token_times_are_in_the_accounts_time_zone(app, client, admin, agent):
    client.patch("/api/v1/settings", json={"time_zone": "America/Sao_Paulo"},
                 headers=admin.headers)
    clock.freeze(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    own = signed_in(app, agent.email)
    made = client.post("/api/v1/me/tokens", json={"name": "Reports"}, headers=agent.headers)
    clock.freeze(datetime(2026, 3, 3, 1, 30, tzinfo=UTC))
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {made.json()['token']}"})
    row = own.get("/account").text.split("<td>Reports", 1)[1].split("</tr>", 1)[0]
    created, used = re.findall(r'<time datetime="([^"]+)" title="America/Sao_Paulo">'
                               r'([^<]+)<span class="tz">([^<]+)</span>', row)
    assert created[1:] == ("2 Mar 2026, 12:00 ", "UTC-3")
    assert used[1:] == ("2 Mar 2026, 22:30 ", "UTC-3")  # the evening before, in São Paulo
    assert used[0].startswith("2026-03-03T01:30")


def test_no_one_revokes_another_users_token_from_their_page(app, client, admin, agent):
    made = client.post("/api/v1/me/tokens", json={"name": "Admin's"}, headers=admin.headers)
    agents_browser = signed_in(app, agent.email)
    r = agents_browser.post(f"/account/tokens/{made.json()['id']}/revoke",
                            data={"csrf_token": csrf_from(agents_browser.get("/account").text)})
    assert r.status_code == 404
    assert client.get("/api/v1/me", headers={
        "Authorization": f"Bearer {made.json()['token']}"}).status_code == 200


# -- an agent at an admin page ---------------------------------------------------------------

ADMIN_PAGES = ["/admin", "/admin/proactive-messages", "/admin/proactive-messages/new",
               "/admin/brands", "/admin/brands/new", "/admin/channels", "/admin/channels/new",
               "/admin/schedules", "/admin/schedules/new", "/admin/bots", "/admin/bots/new",
               "/admin/users", "/admin/users/{admin}", "/admin/settings"]


def test_an_agent_gets_a_page_that_says_it_is_for_admins(app, admin, agent):
    agents_browser = signed_in(app, agent.email)
    for path in ADMIN_PAGES:
        r = agents_browser.get(path.format(admin=admin.id))
        assert r.status_code == 403, path
        assert "<h1>This page is for admins</h1>" in r.text, path
        assert "You are signed in as an agent." in r.text
        assert '<a href="/agent">Back to the agent workspace</a>' in r.text
        nav = r.text.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
        assert "/admin" not in nav, path  # the agent's own menu, no way into the admin
        assert 'href="/agent"' in nav
    token = csrf_from(agents_browser.get("/account").text)
    for path in (f"/admin/users/{admin.id}", f"/admin/users/{admin.id}/password",
                 f"/admin/users/{admin.id}/deactivate"):
        r = agents_browser.post(path, data={"csrf_token": token, "name": "Agent",
                                            "email": agent.email, "role": "agent",
                                            "password": NEW_PASSWORD})
        assert r.status_code == 403 and "This page is for admins" in r.text, path
    assert can_sign_in(app, admin.email, PASSWORD)


def test_an_admin_refused_elsewhere_still_gets_the_plain_error(browser):
    r = browser.get("/admin/users/999999")
    assert r.status_code == 404
    assert "Something is not right" in r.text and "This page is for admins" not in r.text
