"""The proactive messages admin pages, through HTTP with the session, like a browser."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from overture.proactive.models import DailyStat, ProactiveMessage
from tests.conftest import csrf_from, login

BASE = "/admin/proactive-messages"
XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
READY_MADE = ("Greet first-time visitors", "Offer help on the pricing page",
              "Welcome back returning customers")


@pytest.fixture
def csrf(client, admin) -> str:
    """Signed in as the admin; the session's CSRF token."""
    assert login(client, admin.email).status_code == 303
    return csrf_from(client.get(f"{BASE}/new").text)


@pytest.fixture
def clean(client, admin, csrf) -> str:
    """Signed in, with the ready-made drafts created once and deleted: an empty list."""
    for m in api_list(client, admin):
        client.delete(f"/api/v1/proactive-messages/{m['id']}", headers=admin.headers)
    assert api_list(client, admin) == []
    return csrf


def api_list(client, admin) -> list[dict]:
    return client.get("/api/v1/proactive-messages", headers=admin.headers).json()


def api_get(client, admin, mid: int) -> dict:
    return client.get(f"/api/v1/proactive-messages/{mid}", headers=admin.headers).json()


def api_create(client, admin, body: dict) -> dict:
    r = client.post("/api/v1/proactive-messages", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def api_action(client, admin, mid: int, action: str) -> dict:
    r = client.post(f"/api/v1/proactive-messages/{mid}/{action}", headers=admin.headers)
    assert r.status_code in (200, 201), r.text
    return r.json()


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]


def row_html(html: str, mid: int) -> str:
    m = re.search(rf'<tr data-id="{mid}">(.*?)</tr>', html, re.S)
    assert m, f"no row for message {mid}"
    return m.group(1)


def offered(html: str, mid: int) -> list[str]:
    return re.findall(r'data-action="(\w+)"', row_html(html, mid))


def post_action(client, csrf: str, mid: int, action: str, **extra):
    return client.post(f"{BASE}/{mid}/{action}", data={"csrf_token": csrf, **extra},
                       follow_redirects=False)


def save(client, csrf: str, path: str, payload) -> object:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(path, data={"csrf_token": csrf, "payload": body}, follow_redirects=False)


# -- the list -------------------------------------------------------------------------------


def test_first_visit_creates_the_three_ready_made_drafts_once(client, admin, setup, csrf):
    # (`csrf` already opened the editor, which does not create them; the list does.)
    html = client.get(BASE).text
    ids = row_ids(html)
    assert len(ids) == 3
    for name in READY_MADE:
        assert name in html
    for mid in ids:
        row = row_html(html, mid)
        assert 'data-status="draft">Draft</span>' in row
        assert "Website" in row  # the account's first web widget channel
    for header in ("Name", "Status", "Channel", "Sent", "Opened", "Replied", "Updated"):
        assert f">{header}</a>" in html or f">{header}<span" in html
    assert f'href="{BASE}/new"' in html and "New proactive message" in html

    assert row_ids(client.get(BASE).text) == ids  # a second visit adds nothing
    client.delete(f"/api/v1/proactive-messages/{ids[0]}", headers=admin.headers)
    assert sorted(row_ids(client.get(BASE).text)) == sorted(ids[1:])  # and they do not return


@pytest.fixture
def four(client, admin, setup, clean, db):
    """Four messages, one per status, with distinct names, channels, figures and dates."""
    h = admin.headers
    other = client.post("/api/v1/channels", headers=h, json={
        "brand_id": setup["brand"], "name": "alpha app", "kind": "ios_sdk"}).json()
    doomed = client.post("/api/v1/channels", headers=h, json={
        "brand_id": setup["brand"], "name": "Doomed", "kind": "web_widget"}).json()
    body = {"message": "Hi", "response": {"type": "agent", "follow_up": "Thanks"}}
    made = {
        "draft": api_create(client, admin, {**body, "name": "banana",
                                            "channel_id": setup["channel"]}),
        "live": api_create(client, admin, {**body, "name": "Apple", "channel_id": other["id"]}),
        "paused": api_create(client, admin, {**body, "name": "cherry",
                                             "channel_id": setup["channel"]}),
        "error": api_create(client, admin, {**body, "name": "Date", "channel_id": doomed["id"]}),
    }
    api_action(client, admin, made["live"]["id"], "publish")
    api_action(client, admin, made["paused"]["id"], "publish")
    api_action(client, admin, made["paused"]["id"], "pause")
    api_action(client, admin, made["error"]["id"], "publish")
    assert client.delete(f"/api/v1/channels/{doomed['id']}", headers=h).status_code == 204
    figures = {"draft": (5, 1, 9), "live": (40, 30, 1), "paused": (0, 0, 0),
               "error": (12, 8, 4)}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = {"draft": start + timedelta(days=3), "live": start,
              "paused": start + timedelta(days=1), "error": start + timedelta(days=2)}
    with db() as s:
        for status, m in made.items():
            sent, opened, replied = figures[status]
            s.execute(update(ProactiveMessage).where(ProactiveMessage.id == m["id"]).values(
                updated_at=stamps[status]))
            # Totals are sums over days and shards: split each figure across two rows.
            for day, shard, part in ((start.date(), 0, 1), (start.date(), 5, 0)):
                s.add(DailyStat(message_id=m["id"], day=day, shard=shard,
                                sent=part * sent, opened=part * opened, replied=part * replied,
                                showings=0, opens=0, dismissals=0, replies=0))
            if sent:
                s.add(DailyStat(message_id=m["id"], day=start.date() + timedelta(days=1),
                                shard=2, sent=0, opened=0, replied=0, showings=3, opens=0,
                                dismissals=0, replies=0))
    return {status: m["id"] for status, m in made.items()}


def test_every_column_sorts_both_ways(client, four):
    d, live, p, e = four["draft"], four["live"], four["paused"], four["error"]
    expected_asc = {
        "name": [live, d, p, e],           # Apple, banana, cherry, Date: case ignored
        "status": [d, e, live, p],         # draft, error, live, paused
        "channel": [live, d, p, e],        # alpha app, Website (by id), none last
        "sent": [p, d, e, live],
        "opened": [p, d, e, live],
        "replied": [p, live, e, d],
        "updated_at": [live, p, e, d],
    }
    for column, ascending in expected_asc.items():
        html = client.get(f"{BASE}?sort={column}&order=asc").text
        assert row_ids(html) == ascending, column
        th = re.search(rf'<th scope="col" data-column="{column}"[^>]*>', html).group(0)
        assert 'aria-sort="ascending"' in th
        # The active header's link flips the order.
        assert f'href="{BASE}?sort={column}&amp;order=desc"' in html

        html = client.get(f"{BASE}?sort={column}&order=desc").text
        descending = list(reversed(ascending))
        if column == "channel":  # no channel stays last either way
            descending = [p, d, live, e]
        assert row_ids(html) == descending, column
        assert 'aria-sort="descending"' in re.search(
            rf'<th scope="col" data-column="{column}"[^>]*>', html).group(0)
        assert f'href="{BASE}?sort={column}&amp;order=asc"' in html
        assert html.count("aria-sort=") == 1

    default = client.get(BASE).text  # newest first
    assert row_ids(default) == [d, e, p, live]
    assert row_ids(client.get(f"{BASE}?sort=bogus&order=sideways").text) == [d, e, p, live]
    # Other columns start with their natural order: names A→Z, figures biggest first.
    assert f'href="{BASE}?sort=name&amp;order=asc"' in default
    assert f'href="{BASE}?sort=sent&amp;order=desc"' in default


def test_the_options_menu_offers_exactly_the_actions_of_each_status(client, admin, setup,
                                                                    four):
    html = client.get(BASE).text
    assert offered(html, four["draft"]) == ["edit", "clone", "publish", "delete"]
    assert offered(html, four["live"]) == ["edit", "clone", "pause", "delete"]
    assert offered(html, four["paused"]) == ["edit", "clone", "resume", "delete"]
    assert offered(html, four["error"]) == ["edit", "delete"]
    for status, label in (("draft", "Draft"), ("live", "Live"), ("paused", "Paused"),
                          ("error", "Contains errors")):
        assert f'data-status="{status}">{label}</span>' in row_html(html, four[status])
    row = row_html(html, four["draft"])
    assert "<details class=\"menu\">" in row and "<summary>Options" in row
    assert f'action="{BASE}/{four["draft"]}/publish"' in row
    assert f'href="{BASE}/{four["draft"]}/delete"' in row
    assert 'name="csrf_token"' in row

    # Once its problems are fixed, a message with errors may be published again.
    r = client.patch(f"/api/v1/proactive-messages/{four['error']}", headers=admin.headers,
                     json={"channel_id": setup["channel"]})
    assert r.json()["status"] == "error"
    assert offered(client.get(BASE).text, four["error"]) == ["edit", "delete", "publish"]


# -- lifecycle through the page forms -------------------------------------------------------


def test_publish_pause_resume_clone_and_delete_through_the_forms(client, admin, complete,
                                                                 clean):
    mid = api_create(client, admin, complete)["id"]

    r = post_action(client, clean, mid, "publish")
    assert (r.status_code, r.headers["location"]) == (303, BASE)
    assert api_get(client, admin, mid)["status"] == "live"
    listing = client.get(BASE).text
    assert "Published" in listing
    assert offered(listing, mid) == ["edit", "clone", "pause", "delete"]

    r = post_action(client, clean, mid, "pause", back="edit")
    assert (r.status_code, r.headers["location"]) == (303, f"{BASE}/{mid}")
    assert api_get(client, admin, mid)["status"] == "paused"
    page = client.get(f"{BASE}/{mid}").text
    assert 'data-status="paused">Paused</span>' in page and "Paused:" in page

    assert post_action(client, clean, mid, "resume").status_code == 303
    assert api_get(client, admin, mid)["status"] == "live"

    r = post_action(client, clean, mid, "clone")
    assert r.status_code == 303
    copy_id = int(r.headers["location"].rsplit("/", 1)[1])
    copy = api_get(client, admin, copy_id)
    assert (copy["name"], copy["status"]) == ("Copy of Pricing help", "draft")
    assert copy["stats"] == {"sent": 0, "opened": 0, "replied": 0}
    page = client.get(r.headers["location"]).text
    assert "Copy of Pricing help" in page and 'data-status="draft">Draft</span>' in page

    confirm = client.get(f"{BASE}/{mid}/delete")
    assert confirm.status_code == 200
    assert "Delete Pricing help?" in confirm.text
    assert f'action="{BASE}/{mid}/delete"' in confirm.text
    assert api_get(client, admin, mid)["status"] == "live"  # asking deletes nothing
    r = client.post(f"{BASE}/{mid}/delete", data={"csrf_token": clean}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, BASE)
    listing = client.get(BASE).text
    assert row_ids(listing) == [copy_id]
    assert "Proactive message deleted." in listing


def test_an_action_not_offered_is_refused_with_its_reason(client, admin, complete, clean):
    mid = api_create(client, admin, complete)["id"]
    r = post_action(client, clean, mid, "pause")
    assert (r.status_code, r.headers["location"]) == (303, BASE)
    assert "cannot pause a message that is Draft" in client.get(BASE).text
    assert api_get(client, admin, mid)["status"] == "draft"

    assert post_action(client, clean, mid, "frobnicate").status_code == 404
    assert client.post(f"{BASE}/{mid}/publish", data={},
                       follow_redirects=False).status_code == 403  # no CSRF token
    assert api_get(client, admin, mid)["status"] == "draft"


def test_publishing_a_message_with_problems_shows_them_in_the_editor(client, admin, setup,
                                                                     clean):
    mid = api_create(client, admin, {"name": "Half done", "channel_id": setup["channel"]})["id"]
    r = post_action(client, clean, mid, "publish")
    assert (r.status_code, r.headers["location"]) == (303, f"{BASE}/{mid}")
    page = client.get(f"{BASE}/{mid}").text
    assert "Not published." in page
    assert "Before this message can be published:" in page
    assert "Write the message." in page
    assert api_get(client, admin, mid)["status"] == "draft"


def test_a_message_whose_channel_was_deleted_shows_its_errors(client, admin, complete, clean):
    mid = api_create(client, admin, complete)["id"]
    api_action(client, admin, mid, "publish")
    client.delete(f"/api/v1/channels/{complete['channel_id']}", headers=admin.headers)
    page = client.get(f"{BASE}/{mid}").text
    assert 'data-status="error">Contains errors</span>' in page
    assert 'role="alert"' in page
    assert "This message contains errors" in page
    assert "Choose a channel (the message has none, or it was deleted)." in page
    # Publish is not offered until fixed.
    assert 'data-action="publish"' not in page and 'data-action="delete"' in page


# -- the editor -----------------------------------------------------------------------------


def test_the_editor_carries_everything_the_script_needs(client, setup, clean):
    html = client.get(f"{BASE}/new").text
    assert '<meta name="csrf-token"' in html
    assert '<script src="/static/proactive-editor.js" defer></script>' in html
    assert 'name="payload"' in html
    context = json.loads(re.search(
        r'<script type="application/json" id="pe-context">(.*?)</script>', html, re.S).group(1))
    assert context["data"]["channel_id"] == setup["channel"]  # the only brand's widget
    assert context["data"]["brand_id"] == setup["brand"]
    assert [c["name"] for c in context["channels"]] == ["Website"]
    assert context["channels"][0]["sender_name"] is not None
    assert "visit_history" in context["fields"] and "attribute.NAME" in context["fields"]
    assert context["limits"]["min_conditions_to_nest"] == 3
    # Test a visit judges what is on the screen: a new message too.
    assert context["test_url"] == f"{BASE}/test-visit"
    strings = json.loads(re.search(
        r'<script type="application/json" id="pe-strings">(.*?)</script>', html, re.S).group(1))
    assert strings["add_condition"] == "Add condition"
    assert strings["add_nested"] == "Add nested condition"
    for words in ("Agent response", "Bot response", "Any time", "During business hours",
                  "Outside business hours", "Once per customer", "Once per visit",
                  "Every time the conditions are met", "Visitor loads the page",
                  "Visitor is on the page", "No bots yet"):
        assert words in html
    assert "Test a visit" in html


def test_a_social_channel_is_not_offered(client, admin, setup, clean):
    client.post("/api/v1/channels", headers=admin.headers, json={
        "brand_id": setup["brand"], "name": "WhatsApp line", "kind": "whatsapp"})
    html = client.get(f"{BASE}/new").text
    context = json.loads(re.search(r'id="pe-context">(.*?)</script>', html, re.S).group(1))
    assert [c["name"] for c in context["channels"]] == ["Website"]


def test_a_new_message_is_saved_from_the_payload(client, admin, complete, clean):
    r = save(client, clean, f"{BASE}/new", complete)
    assert r.status_code == 303
    [m] = api_list(client, admin)
    assert r.headers["location"] == f"{BASE}/{m['id']}"
    assert m["name"] == "Pricing help" and m["status"] == "draft"
    assert m["tags"] == ["pricing", "sales"]
    assert m["trigger"] == {"event": "on_page", "seconds": 20}
    page = client.get(r.headers["location"]).text
    assert "Proactive message created." in page
    assert "Test a visit" in page
    assert f"{BASE}/test-visit" in page


def test_an_edit_is_saved_and_raises_the_version(client, admin, complete, clean):
    mid = api_create(client, admin, complete)["id"]
    api_action(client, admin, mid, "publish")
    tree = {"all": [
        {"field": "page_url", "operator": "contains", "value": ["/pricing"]},
        {"field": "device_type", "operator": "is", "value": "desktop"},
        {"field": "visit_count", "operator": "gte", "value": 2},
        {"any": [{"field": "language", "operator": "is", "value": "pt"},
                 {"field": "attribute.plan", "operator": "is", "value": "pro"}]},
    ]}
    r = save(client, clean, f"{BASE}/{mid}", {**complete, "name": "Pricing, again",
                                              "conditions": tree})
    assert (r.status_code, r.headers["location"]) == (303, f"{BASE}/{mid}")
    m = api_get(client, admin, mid)
    assert (m["name"], m["status"], m["version"]) == ("Pricing, again", "live", 2)
    assert m["conditions"] == tree
    assert "Proactive message saved." in client.get(f"{BASE}/{mid}").text


@pytest.mark.parametrize(("change", "field"), [
    ({"conditions": {"all": [
        {"field": "page_url", "operator": "contains", "value": ["/a"]},
        {"field": "page_url", "operator": "contains", "value": ["/b"]},
        {"any": [{"field": "language", "operator": "bigger", "value": "pt"}]}]}},
     "<strong>Nested group 1, Condition 1 (Language), Operator</strong>"),
    ({"conditions": {"all": [
        {"field": "page_url", "operator": "contains", "value": ["/a"]},
        {"any": [{"field": "language", "operator": "is", "value": "pt"}]}]}},
     "<strong>Conditions</strong>"),  # two conditions may not nest: reported at the root
    ({"trigger": {"event": "on_page", "seconds": 0}},
     "<strong>Time on the page (minutes and seconds)</strong>"),
    ({"priority": "first"}, "<strong>Priority</strong>"),
    ({"name": ""}, "<strong>Name</strong>"),
    ({"tags": ["not a tag"]}, "<strong>Ticket tags</strong>"),
    ({"response": {"type": "agent", "follow_up": "Thanks 🎉"}},
     "<strong>Follow-up message</strong>"),
    ({"message": "Hi {{nickname}}"}, "<strong>Message</strong>"),
])
def test_a_bad_payload_is_shown_beside_the_form_and_nothing_is_stored(
        client, admin, complete, clean, change, field):
    r = save(client, clean, f"{BASE}/new", {**complete, **change})
    assert r.status_code == 422
    assert "Nothing was saved." in r.text
    assert field in r.text
    assert api_list(client, admin) == []
    # What was typed comes back to the editor, not what was there before.
    context = json.loads(re.search(r'id="pe-context">(.*?)</script>', r.text, re.S).group(1))
    key = next(iter(change))
    assert context["data"][key] == change[key]
    assert context["errors"]

    mid = api_create(client, admin, complete)["id"]
    before = api_get(client, admin, mid)
    r = save(client, clean, f"{BASE}/{mid}", {**complete, **change})
    assert r.status_code == 422
    assert field in r.text
    assert api_get(client, admin, mid) == before


def test_a_field_error_names_the_exact_place_in_the_tree(client, admin, complete, clean):
    tree = {"all": [
        {"field": "page_url", "operator": "contains", "value": ["/a"]},
        {"field": "page_url", "operator": "contains", "value": ["/b"]},
        {"any": [{"field": "visit_count", "operator": "gte", "value": "many"}]}]}
    r = save(client, clean, f"{BASE}/new", {**complete, "conditions": tree})
    assert r.status_code == 422
    assert "<strong>Nested group 1, Condition 1 (Visit count), Value</strong>" in r.text
    assert "value must be a whole number" in r.text
    # The path is for the script that marks the field, never shown.
    assert "conditions.all.2.any.0.value" not in r.text.split('id="pe-context"')[0]
    context = json.loads(re.search(r'id="pe-context">(.*?)</script>', r.text, re.S).group(1))
    assert context["errors"][0]["path"] == "conditions.all.2.any.0.value"


def test_a_payload_that_is_not_json_is_refused(client, admin, setup, clean):
    for payload in ("{not json", "[1, 2]", ""):
        r = save(client, clean, f"{BASE}/new", payload)
        assert r.status_code == 422
        assert "The form could not be read" in r.text
    assert api_list(client, admin) == []


def test_an_edit_that_would_break_a_live_message_is_refused_with_409(client, admin, complete,
                                                                     clean):
    mid = api_create(client, admin, complete)["id"]
    api_action(client, admin, mid, "publish")
    before = api_get(client, admin, mid)
    r = save(client, clean, f"{BASE}/{mid}", {**complete, "channel_id": None, "message": ""})
    assert r.status_code == 409
    assert "Nothing was saved." in r.text
    assert "Choose a channel" in r.text and "Write the message." in r.text
    assert api_get(client, admin, mid) == before


def test_unknown_messages_are_404(client, clean):
    assert client.get(f"{BASE}/999999").status_code == 404
    assert client.get(f"{BASE}/999999/delete").status_code == 404
    assert save(client, clean, f"{BASE}/999999", {"name": "x"}).status_code == 404


# -- safety ---------------------------------------------------------------------------------


def test_script_in_a_name_is_refused_and_stored_text_is_always_escaped(client, admin, setup,
                                                                       clean, db):
    r = save(client, clean, f"{BASE}/new", {"name": XSS, "channel_id": setup["channel"]})
    assert r.status_code == 422
    assert "HTML is not allowed" in r.text
    assert XSS not in r.text
    assert api_list(client, admin) == []

    # Text that reached the database some other way (an import, an older version) is still
    # only ever shown escaped: in the list, the editor and the delete confirmation.
    mid = api_create(client, admin, {"name": "placeholder",
                                     "channel_id": setup["channel"]})["id"]
    with db() as s:
        s.execute(update(ProactiveMessage).where(ProactiveMessage.id == mid).values(
            name=XSS, message=XSS + ' "><img src=x onerror=alert(2)>',
            tags=["</script><script>alert(3)</script>"]))
    listing = client.get(BASE).text
    assert XSS not in listing and ESCAPED in listing
    for path in (f"{BASE}/{mid}", f"{BASE}/{mid}/delete"):
        page = client.get(path).text
        assert XSS not in page
        assert "<img src=x" not in page
        assert "</script><script>alert(3)" not in page
        assert ESCAPED in page


def test_agents_cannot_use_the_pages(client, admin, agent, complete):
    mid = api_create(client, admin, complete)["id"]
    assert login(client, agent.email).status_code == 303
    for path in (BASE, f"{BASE}/new", f"{BASE}/{mid}", f"{BASE}/{mid}/delete"):
        assert client.get(path).status_code == 403, path
    token = csrf_from(client.get(BASE).text)  # the 403 page still has the locale form
    for path in (f"{BASE}/{mid}/publish", f"{BASE}/{mid}/delete", f"{BASE}/{mid}"):
        r = client.post(path, data={"csrf_token": token,
                                    "payload": json.dumps({"name": "Agent was here"})},
                        follow_redirects=False)
        assert r.status_code == 403, path
    m = api_get(client, admin, mid)
    assert (m["status"], m["name"]) == ("draft", "Pricing help")


def test_signed_out_visitors_are_sent_to_sign_in(client, admin):
    r = client.get(BASE, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_editor_shows_statistics_chart_and_csv_link(client, admin, complete):
    from tests.conftest import login

    m = client.post("/api/v1/proactive-messages", json=complete, headers=admin.headers).json()
    login(client, admin.email)
    page = client.get(f"/admin/proactive-messages/{m['id']}").text
    assert "Statistics" in page and "<svg" in page
    assert f"/api/v1/proactive-messages/{m['id']}/stats?format=csv" in page
    assert page.count("<rect ") == 90  # 30 days, three bars each
