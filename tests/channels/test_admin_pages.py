"""The channel admin pages, through HTTP form posts with the session, like a browser."""

from __future__ import annotations

import pytest
from markupsafe import escape

from tests.conftest import csrf_from, login

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def brand(client, admin):
    return client.post("/api/v1/brands", json={"name": "Acme"}, headers=admin.headers).json()


@pytest.fixture
def csrf(client, admin) -> str:
    """Signed in as the admin; the session's CSRF token."""
    assert login(client, admin.email).status_code == 303
    return csrf_from(client.get("/admin/channels").text)


def channels(client, admin) -> list[dict]:
    return client.get("/api/v1/channels", headers=admin.headers).json()


def form(csrf: str, brand: int | str, **fields) -> dict:
    values = {"csrf_token": csrf, "brand_id": str(brand), "name": "Website",
              "kind": "web_widget", "allowed_origins": "https://www.example.com\n",
              "sender_name": "Support", "sender_avatar_url": "", "launcher_text": "Chat",
              "color": "#112233", "schedule_id": ""}
    values.update(fields)
    return values


def test_new_form_offers_every_field_and_kind(client, csrf, brand):
    r = client.get("/admin/channels/new")
    assert r.status_code == 200
    for name in ("brand_id", "name", "kind", "allowed_origins", "sender_name",
                 "sender_avatar_url", "launcher_text", "color", "schedule_id"):
        assert f'name="{name}"' in r.text
    assert 'type="color"' in r.text
    assert "— none —" in r.text
    for kind in ("web_widget", "ios_sdk", "android_sdk", "whatsapp", "facebook_messenger",
                 "instagram", "sms", "third_party_bot"):
        assert f'value="{kind}"' in r.text
    assert "WhatsApp (no proactive messages)" in r.text
    assert "Web widget (no proactive messages)" not in r.text


def test_create_edit_and_delete_through_the_forms(client, admin, csrf, brand):
    schedule = client.post("/api/v1/schedules", headers=admin.headers,
                           json={"name": "Office", "timezone": "Europe/Lisbon"}).json()
    r = client.post("/admin/channels/new", data=form(
        csrf, brand["id"], allowed_origins="https://www.Example.com/\n\n  http://localhost:8000 \n",
        schedule_id=str(schedule["id"])), follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/channels"
    [created] = channels(client, admin)
    assert created["name"] == "Website"
    assert created["allowed_origins"] == ["https://www.example.com", "http://localhost:8000"]
    assert created["schedule_id"] == schedule["id"]
    assert created["color"] == "#112233"

    listing = client.get("/admin/channels")
    assert "Channel created." in listing.text
    for shown in ("Website", "Acme", "Web widget", created["key"]):
        assert shown in listing.text

    page = client.get(f"/admin/channels/{created['id']}")
    assert page.status_code == 200
    snippet = (f'<script src="http://testserver/widget.js" data-channel="{created["key"]}" '
               f"async></script>")
    assert '<pre class="snippet"' in page.text
    assert str(escape(snippet)) in page.text
    assert "https://www.example.com\nhttp://localhost:8000</textarea>" in page.text

    r = client.post(f"/admin/channels/{created['id']}", data=form(
        csrf, brand["id"], name="Support app", kind="whatsapp", allowed_origins="",
        sender_avatar_url="https://cdn.example.com/a.png", color="#abcdef", schedule_id=""),
        follow_redirects=False)
    assert r.status_code == 303
    [edited] = channels(client, admin)
    assert edited["key"] == created["key"]
    assert (edited["name"], edited["kind"], edited["allowed_origins"]) == (
        "Support app", "whatsapp", [])
    assert edited["sender_avatar_url"] == "https://cdn.example.com/a.png"
    assert edited["schedule_id"] is None and edited["can_carry_proactive"] is False
    assert "no proactive messages" in client.get("/admin/channels").text

    confirm = client.get(f"/admin/channels/{created['id']}/delete")
    assert confirm.status_code == 200
    assert "Delete Support app?" in confirm.text
    assert channels(client, admin) != []  # asking is not deleting
    r = client.post(f"/admin/channels/{created['id']}/delete", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    assert channels(client, admin) == []
    assert client.get(f"/admin/channels/{created['id']}").status_code == 404


def reveal(client, csrf: str, channel_id: int) -> str:
    """What the page's Reveal button fetches."""
    r = client.post(f"/admin/channels/{channel_id}/secret",
                    headers={"X-CSRF-Token": csrf, "Accept": "application/json"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    return r.json()["secret"]


def test_rotate_secret_makes_a_new_secret(client, admin, csrf, brand):
    made = client.post("/api/v1/channels", headers=admin.headers,
                       json={"brand_id": brand["id"], "name": "Web"}).json()
    page = client.get(f"/admin/channels/{made['id']}").text
    assert "Rotate secret" in page
    assert reveal(client, csrf, made["id"]) == made["jwt_secret"]
    r = client.post(f"/admin/channels/{made['id']}/rotate-secret", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/admin/channels/{made['id']}"
    after = client.patch(f"/api/v1/channels/{made['id']}", json={},
                         headers=admin.headers).json()
    assert after["jwt_secret"] != made["jwt_secret"]
    assert after["key"] == made["key"]
    assert reveal(client, csrf, made["id"]) == after["jwt_secret"]


def test_the_identity_secret_is_in_the_page_only_once_asked_for(client, admin, csrf, brand):
    made = client.post("/api/v1/channels", headers=admin.headers,
                       json={"brand_id": brand["id"], "name": "Web"}).json()
    page = client.get(f"/admin/channels/{made['id']}").text
    assert made["jwt_secret"] not in page
    assert '<code class="secret" id="channel-secret" hidden></code>' in page
    assert f'action="/admin/channels/{made["id"]}/secret"' in page
    assert ">Reveal</button>" in page
    # Without JavaScript the form is sent, and the page comes back with the secret shown.
    r = client.post(f"/admin/channels/{made['id']}/secret", data={"csrf_token": csrf})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert f'<code class="secret" id="channel-secret">{made["jwt_secret"]}</code>' in r.text
    assert f'<a class="button" href="/admin/channels/{made["id"]}">Hide</a>' in r.text
    assert made["jwt_secret"] not in client.get(f"/admin/channels/{made['id']}").text
    # Never for a GET, a forged post, or an agent.
    assert client.get(f"/admin/channels/{made['id']}/secret").status_code == 405
    forged = client.post(f"/admin/channels/{made['id']}/secret",
                         headers={"Accept": "application/json"})
    assert forged.status_code == 403 and made["jwt_secret"] not in forged.text


def test_the_embed_snippet_comes_with_a_copy_button(client, admin, csrf, brand):
    made = client.post("/api/v1/channels", headers=admin.headers,
                       json={"brand_id": brand["id"], "name": "Web"}).json()
    page = client.get(f"/admin/channels/{made['id']}").text
    snippet = (f'&lt;script src=&#34;http://testserver/widget.js&#34; '
               f'data-channel=&#34;{made["key"]}&#34; async&gt;&lt;/script&gt;')
    assert '<pre class="snippet" id="embed-snippet"' in page and snippet in page
    assert '<button type="button" data-copy="embed-snippet" data-copied="Copied"' in page
    assert '<span class="copy-status" aria-live="polite"></span>' in page


def test_typed_html_comes_back_escaped(client, admin, csrf):
    evil = client.post("/api/v1/brands", json={"name": XSS}, headers=admin.headers).json()
    r = client.post("/admin/channels/new", data=form(
        csrf, evil["id"], name=XSS, sender_name=XSS, launcher_text='"><b>x</b>'),
        follow_redirects=False)
    assert r.status_code == 303
    [made] = channels(client, admin)
    for path in ("/admin/channels", f"/admin/channels/{made['id']}",
                 f"/admin/channels/{made['id']}/delete", "/admin/channels/new"):
        html = client.get(path).text
        assert XSS not in html, path
        assert ESCAPED in html, path
    assert "<b>x</b>" not in client.get(f"/admin/channels/{made['id']}").text


@pytest.mark.parametrize("fields,label", [
    ({"name": ""}, "Name"),
    ({"name": "x" * 121}, "Name"),
    ({"allowed_origins": "https://ok.example\nexample.com"}, "Allowed origins, line 2"),
    ({"allowed_origins": "https://x.example/path"}, "Allowed origins, line 1"),
    ({"color": "blue"}, "Colour"),
    ({"sender_avatar_url": "javascript:alert(1)"}, "Sender avatar URL"),
    ({"launcher_text": "x" * 81}, "Launcher text"),
    ({"kind": "telegram"}, "Kind"),
    ({"brand_id": ""}, "Brand"),
    ({"brand_id": "99999"}, "Brand"),
    ({"schedule_id": "99999"}, "Schedule"),
])
def test_invalid_input_is_shown_beside_the_form_and_stores_nothing(
        client, admin, csrf, brand, fields, label):
    fields = dict(fields)  # the parameters are shared by both backends' runs
    r = client.post("/admin/channels/new", data=form(csrf, fields.pop("brand_id", brand["id"]),
                                                     **fields))
    assert r.status_code == 422
    assert "Please fix the following" in r.text
    assert f"<strong>{label}</strong>" in r.text
    assert 'name="name"' in r.text  # the form is shown again, with what was typed
    assert channels(client, admin) == []


def test_invalid_edit_changes_nothing(client, admin, csrf, brand):
    made = client.post("/api/v1/channels", headers=admin.headers,
                       json={"brand_id": brand["id"], "name": "Web"}).json()
    r = client.post(f"/admin/channels/{made['id']}",
                    data=form(csrf, brand["id"], name="Renamed", color="red"))
    assert r.status_code == 422
    assert "<strong>Colour</strong>" in r.text
    assert 'value="Renamed"' in r.text
    assert made["key"] in r.text  # still the channel's page, snippet and all
    [now] = channels(client, admin)
    assert now["name"] == "Web" and now["color"] == made["color"]


ADMIN_PAGES = ["/admin/channels", "/admin/channels/new", "/admin/channels/{id}",
               "/admin/channels/{id}/delete"]
ADMIN_POSTS = ["/admin/channels/new", "/admin/channels/{id}", "/admin/channels/{id}/delete",
               "/admin/channels/{id}/rotate-secret"]


def test_agents_get_403_on_every_channel_page(client, admin, agent, brand):
    made = client.post("/api/v1/channels", headers=admin.headers,
                       json={"brand_id": brand["id"], "name": "Web"}).json()
    login(client, agent.email)
    token = csrf_from(client.get("/login").text)
    for path in ADMIN_PAGES:
        assert client.get(path.format(id=made["id"])).status_code == 403, path
    for path in ADMIN_POSTS:
        r = client.post(path.format(id=made["id"]),
                        data=form(token, brand["id"], name="Agent was here"))
        assert r.status_code == 403, path
    [still] = channels(client, admin)
    assert still["name"] == "Web"
    secret = client.patch(f"/api/v1/channels/{made['id']}", json={}, headers=admin.headers)
    assert secret.json()["jwt_secret"] == made["jwt_secret"]


def test_signed_out_pages_go_to_login(client):
    r = client.get("/admin/channels", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_posts_without_the_csrf_token_are_refused(client, admin, csrf, brand):
    made = client.post("/api/v1/channels", headers=admin.headers,
                       json={"brand_id": brand["id"], "name": "Web"}).json()
    for path in ADMIN_POSTS:
        data = form("", brand["id"], name="Forged")
        del data["csrf_token"]
        r = client.post(path.format(id=made["id"]), data=data)
        assert r.status_code == 403, path
        assert "CSRF" in r.text
        r = client.post(path.format(id=made["id"]), data=form("not-the-token", brand["id"]))
        assert r.status_code == 403, path
    [still] = channels(client, admin)
    assert still["name"] == "Web"
    secret = client.patch(f"/api/v1/channels/{made['id']}", json={}, headers=admin.headers)
    assert secret.json()["jwt_secret"] == made["jwt_secret"]


def test_a_brand_with_channels_cannot_be_deleted(client, admin, csrf, brand):
    client.post("/admin/channels/new", data=form(csrf, brand["id"]))
    r = client.delete(f"/api/v1/brands/{brand['id']}", headers=admin.headers)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "brand_in_use"
    page = client.post(f"/admin/brands/{brand['id']}/delete", data={"csrf_token": csrf})
    assert page.status_code == 409
    assert "still has 1 channel(s); delete or move them first" in page.text
    assert client.get(f"/api/v1/brands/{brand['id']}", headers=admin.headers).status_code == 200
    assert len(channels(client, admin)) == 1
