"""Settings that don't surprise: switching a feature off names the live messages it stops and
waits for a confirmation; switched back on, the list publishes again in one step every message
whose problems are gone. And the account's time zone, over the API and the page."""

from __future__ import annotations

import re

import pytest

from overture.channels.models import Channel
from overture.proactive.models import ProactiveMessage
from tests.conftest import csrf_from, login
from tests.querycount import assert_statement_count

API = "/api/v1/proactive-messages"
LIST = "/admin/proactive-messages"
XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
# A message's name is plain text; what HTML would read is escaped where it is shown.
AMP = 'Fish & "Chips"'
AMP_ESCAPED = "Fish &amp; &#34;Chips&#34;"
FORM = {"agent_workspace_enabled": "on", "messaging_enabled": "on",
        "visit_timeout_minutes": "30", "default_locale": "en", "time_zone": "UTC"}


@pytest.fixture
def csrf(client, admin) -> str:
    assert login(client, admin.email).status_code == 303
    return csrf_from(client.get("/admin/settings").text)


@pytest.fixture
def world(client, admin, db) -> dict[str, int]:
    """Two live messages (one with a name to escape), a paused one, a draft, and the ids of
    their brand and channel; no ready-made drafts."""
    h = admin.headers
    client.get(API, headers=h)
    for m in client.get(API, headers=h).json():
        client.delete(f"{API}/{m['id']}", headers=h)
    brand = client.post("/api/v1/brands", json={"name": "Acme"}, headers=h).json()["id"]
    channel = client.post("/api/v1/channels", headers=h, json={
        "brand_id": brand, "name": "Website", "kind": "web_widget"}).json()["id"]
    ids = {"brand": brand, "channel": channel}
    for name, actions in (("Welcome back", ["publish"]), (AMP, ["publish"]),
                          ("Pricing help", ["publish", "pause"]), ("Half done", [])):
        body = {"name": name, "channel_id": channel, "message": "Hello",
                "response": {"type": "agent", "collect": [], "follow_up": "Thanks"}}
        r = client.post(API, json=body, headers=h)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
        for action in actions:
            assert client.post(f"{API}/{ids[name]}/{action}", headers=h).status_code == 200
    return ids


def statuses(client, admin) -> dict[str, str]:
    return {m["name"]: m["status"] for m in
            client.get(API, headers=admin.headers).json()}


def settings(client, admin) -> dict:
    return client.get("/api/v1/settings", headers=admin.headers).json()


def post_settings(client, csrf: str, **changes):
    data = {k: v for k, v in (FORM | changes).items() if v is not None}
    return client.post("/admin/settings", data={"csrf_token": csrf, **data},
                       follow_redirects=False)


# -- switching off asks first, naming what stops ------------------------------------------------


@pytest.mark.parametrize("off, title", [
    ("messaging_enabled", "Turn off messaging?"),
    ("agent_workspace_enabled", "Turn off the agent workspace?"),
])
def test_switching_a_feature_off_names_the_live_messages_and_changes_nothing_yet(
        client, admin, csrf, world, off, title):
    r = post_settings(client, csrf, **{off: None})
    assert r.status_code == 200
    html = r.text
    assert title in html
    assert "These 2 live messages stop at once" in html
    named = re.findall(r'<ul class="stopped-names">(.*?)</ul>', html, re.S)[0]
    assert "Welcome back" in named and AMP_ESCAPED in named and AMP not in html
    assert "Pricing help" not in named and "Half done" not in named  # not live
    assert 'name="confirm" value="stop-live-messages"' in html
    assert f'name="{off}"' not in html.split('name="confirm"')[1].split("</form>")[0]
    # Nothing changed: the feature is on, the messages live.
    assert settings(client, admin)[off] is True
    assert statuses(client, admin) == {"Welcome back": "live", AMP: "live",
                                       "Pricing help": "paused", "Half done": "draft"}


def test_both_off_at_once_asks_once_for_both(client, admin, csrf, world):
    html = post_settings(client, csrf, messaging_enabled=None,
                         agent_workspace_enabled=None).text
    assert "Turn off messaging and the agent workspace?" in html
    assert "Turn off and stop 2 messages" in html


def test_confirmed_the_feature_goes_off_and_the_messages_stop(client, admin, csrf, world):
    r = post_settings(client, csrf, messaging_enabled=None, confirm="stop-live-messages")
    assert (r.status_code, r.headers["location"]) == (303, "/admin/settings")
    assert settings(client, admin)["messaging_enabled"] is False
    assert statuses(client, admin) == {"Welcome back": "error", AMP: "error",
                                       "Pricing help": "error", "Half done": "draft"}
    assert ("Settings saved. 2 live messages stopped; their status is now “Contains errors”."
            in client.get("/admin/settings").text)


def test_without_live_messages_switching_off_asks_nothing(client, admin, csrf, world):
    for name in ("Welcome back", AMP):
        client.post(f"{API}/{world[name]}/pause", headers=admin.headers)
    r = post_settings(client, csrf, agent_workspace_enabled=None)
    assert r.status_code == 303
    assert settings(client, admin)["agent_workspace_enabled"] is False


def test_other_changes_with_the_feature_left_on_ask_nothing(client, admin, csrf, world):
    r = post_settings(client, csrf, visit_timeout_minutes="45")
    assert r.status_code == 303 and settings(client, admin)["visit_timeout_minutes"] == 45
    assert statuses(client, admin)["Welcome back"] == "live"


def test_a_refused_value_is_said_before_any_confirmation(client, admin, csrf, world):
    r = post_settings(client, csrf, messaging_enabled=None, visit_timeout_minutes="0")
    assert r.status_code == 422 and "must be at least 1" in r.text
    assert "stop at once" not in r.text
    assert settings(client, admin)["messaging_enabled"] is True


# -- switched back on: publish again, in one step --------------------------------------------


def test_switched_back_on_the_list_publishes_again_those_without_problems(
        app, client, admin, csrf, world, db):
    post_settings(client, csrf, messaging_enabled=None, confirm="stop-live-messages")
    # One of the stopped messages has a problem of its own now: its channel is another kind.
    with db() as session:
        other = Channel(brand_id=world["brand"], name="WhatsApp", kind="whatsapp",
                        key="wa", jwt_secret="s" * 40)
        session.add(other)
        session.flush()
        session.get(ProactiveMessage, world["Pricing help"]).channel_id = other.id
    # While messaging is off, nothing can be published again.
    assert "Publish again" not in client.get(LIST).text

    r = post_settings(client, csrf)
    assert r.status_code == 303
    assert ("2 messages can be published again from the Proactive messages list."
            in client.get("/admin/settings").text)
    html = client.get(LIST).text
    offer = re.findall(r'<section class="republish".*?</section>', html, re.S)[0]
    assert "2 messages in Contains errors have no problems any more" in offer
    assert "Welcome back" in offer and AMP_ESCAPED in offer and "Pricing help" not in offer
    assert "Publish again (2 messages)" in offer

    token = csrf_from(html)
    r = client.post(f"{LIST}/publish-again", data={"csrf_token": token},
                    follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, LIST)
    html = client.get(LIST).text
    assert "Published again: 2 messages. Visitors who match can see them now." in html
    assert 'class="republish"' not in html
    assert statuses(client, admin) == {"Welcome back": "live", AMP: "live",
                                       "Pricing help": "error", "Half done": "draft"}

    # Nothing left to publish again: said so, and nothing changes.
    r = client.post(f"{LIST}/publish-again", data={"csrf_token": token},
                    follow_redirects=False)
    assert "No message was ready to publish again." in client.get(LIST).text


@pytest.mark.parametrize("n", [2, 60])
def test_publishing_again_costs_the_same_for_2_or_60_messages(app, client, admin, csrf, world,
                                                               db, n):
    h = admin.headers
    body = {"channel_id": world["channel"], "message": "Hello",
            "response": {"type": "agent", "collect": [], "follow_up": "Thanks"}}
    for i in range(n - 2):
        mid = client.post(API, json=body | {"name": f"More {i}"}, headers=h).json()["id"]
        client.post(f"{API}/{mid}/publish", headers=h)
    post_settings(client, csrf, messaging_enabled=None, confirm="stop-live-messages")
    post_settings(client, csrf)
    # The session with its user, the settings, the messages in Contains errors (locked), their
    # brand and channel with them; the update of those published.
    with assert_statement_count(app, 4):
        r = client.post(f"{LIST}/publish-again", data={"csrf_token": csrf},
                        follow_redirects=False)
    assert r.status_code == 303
    # The n that were live, and the one that was paused: every one without problems.
    assert list(statuses(client, admin).values()).count("live") == n + 1


def test_only_admins_publish_again(client, agent, admin, world):
    assert login(client, agent.email).status_code == 303
    token = csrf_from(client.get("/agent").text)
    r = client.post(f"{LIST}/publish-again", data={"csrf_token": token},
                    follow_redirects=False)
    assert r.status_code in (303, 403)
    assert r.status_code == 403 or r.headers["location"].startswith("/login")


# -- the account's time zone ----------------------------------------------------------------


def test_the_time_zone_is_utc_until_set_and_is_checked(client, admin):
    assert settings(client, admin)["time_zone"] == "UTC"
    r = client.patch("/api/v1/settings", json={"time_zone": "America/Sao_Paulo"},
                     headers=admin.headers)
    assert r.status_code == 200 and r.json()["time_zone"] == "America/Sao_Paulo"
    for bad in ("Mars/Olympus_Mons", "", "utc", 3):
        r = client.patch("/api/v1/settings", json={"time_zone": bad}, headers=admin.headers)
        assert r.status_code == 422, bad
        assert r.json()["error"]["details"][0]["loc"][-1] == "time_zone"
    assert settings(client, admin)["time_zone"] == "America/Sao_Paulo"


def test_the_page_offers_common_zones_first_and_saves_the_choice(client, admin, csrf):
    html = client.get("/admin/settings").text
    common = html.index('label="Common time zones"')
    every = html.index('label="All time zones"')
    assert common < html.index('value="America/Sao_Paulo"') < every
    assert every < html.index('value="Pacific/Auckland"')
    assert '<option value="UTC" selected>' in html
    assert post_settings(client, csrf, time_zone="Asia/Kolkata").status_code == 303
    assert settings(client, admin)["time_zone"] == "Asia/Kolkata"
    assert '<option value="Asia/Kolkata" selected>' in client.get("/admin/settings").text


def test_an_unknown_zone_from_the_page_is_refused_beside_the_form(client, admin, csrf):
    r = post_settings(client, csrf, time_zone=XSS)
    assert r.status_code == 422
    assert "Time zone" in r.text and "is not an IANA time zone" in r.text
    assert XSS not in r.text
    assert settings(client, admin)["time_zone"] == "UTC"
