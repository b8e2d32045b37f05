"""Every widget POST takes its JSON as `text/plain` (a CORS simple request: no preflight, fit
for `fetch(…, {keepalive: true})` and `sendBeacon`) or without a Content-Type, and answers with
the CORS header for an allowed origin — errors included."""

from __future__ import annotations

import json

import pytest

from tests.widget.helpers import ORIGIN, Browser, make_jwt, new_id

PLAIN = "text/plain;charset=UTF-8"


def _post(client, key: str, path: str, body, content_type: str | None = PLAIN,
          origin: str = ORIGIN):
    headers = {"Origin": origin}
    if content_type is not None:
        headers["Content-Type"] = content_type
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(f"/widget/v1/{key}/{path}", content=data, headers=headers)


def _cors(r) -> None:
    assert r.headers.get("access-control-allow-origin") == ORIGIN, dict(r.headers)
    assert "Origin" in r.headers.get("vary", "")


@pytest.fixture
def shown(live, visitor):
    live(response={"type": "agent", "collect": [], "follow_up": "Thanks!"})
    visitor.view()
    assert visitor.last["show"] is not None
    return visitor


@pytest.mark.parametrize("content_type", [PLAIN, "text/plain", None])
def test_each_post_takes_json_as_plain_text(client, site, shown, content_type):
    v, key = shown, shown.key
    r = _post(client, key, "page-views", {
        "visitor_id": v.visitor_id, "session_id": v.session_id, "event_id": new_id("e"),
        "url": "https://shop.example/plain", "title": "Plain", "language": "en"}, content_type)
    assert r.status_code == 200, r.text
    _cors(r)
    page_view_id = r.json()["page_view_id"]
    delivery_id = r.json()["show"]["delivery_id"]

    r = _post(client, key, "check", {"visitor_id": v.visitor_id, "page_view_id": page_view_id},
              content_type)
    assert r.status_code == 200, r.text
    _cors(r)

    r = _post(client, key, "events", {"visitor_id": v.visitor_id, "event_id": new_id("e"),
                                      "delivery_id": delivery_id, "kind": "opened"},
              content_type)
    assert r.status_code == 200 and r.json() == {"ok": True, "duplicate": False}, r.text
    _cors(r)

    token = make_jwt(site["channel"]["jwt_secret"], "cust-plain", "Ana")
    r = _post(client, key, "identify", {"visitor_id": v.visitor_id, "token": token},
              content_type)
    assert r.status_code == 200 and r.json()["name"] == "Ana", r.text
    _cors(r)

    r = _post(client, key, "conversations", {
        "visitor_id": v.visitor_id, "delivery_id": delivery_id, "client_id": new_id("c"),
        "message": "Olá, ação e café"}, content_type)
    assert r.status_code == 201, r.text
    _cors(r)
    cid = r.json()["conversation_id"]
    assert r.json()["messages"][1]["body"] == "Olá, ação e café"

    r = _post(client, key, f"conversations/{cid}/messages", {
        "visitor_id": v.visitor_id, "client_id": new_id("c"), "body": "Mais uma coisa"},
        content_type)
    assert r.status_code == 201 and r.json()["body"] == "Mais uma coisa", r.text
    _cors(r)


def test_a_launcher_conversation_as_plain_text(client, visitor):
    r = _post(client, visitor.key, "conversations", {
        "visitor_id": visitor.visitor_id, "client_id": new_id("c"), "message": "Hi"})
    assert r.status_code == 201, r.text
    _cors(r)


@pytest.mark.parametrize("raw", [b"", b"{", b"not json", b'{"visitor_id": ', b"\xff\xfe",
                                 b"[]", b"null", b'"text"'])
def test_malformed_plain_text_is_a_clear_422_with_cors(client, shown, raw):
    v = shown
    conv = _post(client, v.key, "conversations", {
        "visitor_id": v.visitor_id, "delivery_id": v.last["show"]["delivery_id"],
        "client_id": new_id("c"), "message": "Hi"})
    assert conv.status_code == 201
    paths = ("page-views", "check", "events", "identify", "conversations",
             f"conversations/{conv.json()['conversation_id']}/messages")
    for path in paths:
        r = _post(client, v.key, path, raw)
        assert r.status_code == 422, (path, r.status_code, r.text)
        error = r.json()["error"]
        assert error["code"] == "validation_error" and error["details"], (path, r.text)
        _cors(r)


def test_a_refused_origin_is_403_whatever_the_body(client, visitor):
    for path in ("page-views", "conversations"):
        r = _post(client, visitor.key, path, b"{", origin="https://evil.example")
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in r.headers


def test_a_bad_field_in_a_plain_text_conversation_body_is_named(client, visitor):
    r = _post(client, visitor.key, "conversations", {
        "visitor_id": visitor.visitor_id, "client_id": new_id("c"), "message": "a\x00b"})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"] == ["message"]
    _cors(r)


def test_a_message_body_of_ten_thousand_wide_characters_fits(client, shown):
    """The conversation routes keep the app's body limit (256 KiB), not the 16 KiB of page
    views: 10,000 characters may take 40 KB of UTF-8."""
    v = shown
    r = _post(client, v.key, "conversations", {
        "visitor_id": v.visitor_id, "delivery_id": v.last["show"]["delivery_id"],
        "client_id": new_id("c"), "message": "😀" * 10_000})
    assert r.status_code == 201, r.text[:300]


def test_the_openapi_document_describes_the_conversation_bodies(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    start = paths["/widget/v1/{channel_key}/conversations"]["post"]
    schema = start["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"visitor_id", "delivery_id", "client_id", "name",
                                         "email", "message"}
    assert set(schema["required"]) == {"visitor_id", "client_id"}
    assert {"200", "201"} <= set(start["responses"])
    post = paths["/widget/v1/{channel_key}/conversations/{conversation_id}/messages"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"visitor_id", "client_id", "body"}


def test_a_browser_without_preflight_never_needs_options(client, site):
    """A simple request is sent without a preflight; the answer alone carries the header."""
    b = Browser(client, site["channel"]["key"])
    r = _post(client, b.key, "page-views", {
        "visitor_id": b.visitor_id, "session_id": b.session_id, "event_id": new_id("e"),
        "url": "https://shop.example/"})
    assert r.status_code == 200
    _cors(r)
