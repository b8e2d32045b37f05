"""Each process's channel state: loaded once, dropped on change, never stored stale."""

from __future__ import annotations

from overture.kit import signals
from overture.widget.channel_state import ChannelStates, load_channel_state

API = "/api/v1/proactive-messages"


def test_a_load_that_raced_with_a_publish_is_not_kept(app, client, admin, live, site):
    """compile reads → a publish commits → invalidation → the stale compilation is dropped."""
    key = site["channel"]["key"]
    draft = live(name="Just published", publish=False)

    racing = [True]

    def load_then_publish(conn, channel_key):
        state = load_channel_state(conn, channel_key)  # reads: nothing is live yet
        if racing.pop() if racing else False:
            r = client.post(f"{API}/{draft['id']}/publish", headers=admin.headers)
            assert r.status_code == 200
        return state

    states = ChannelStates(loader=load_then_publish)

    def invalidate(_db, ids):
        states.invalidate(ids)

    signals.live_messages_changed.connect(invalidate)  # as wiring.follow_changes does
    try:
        with app.state.db.engine.connect() as conn:
            stale = states.load(conn, key)
            assert stale is not None and stale.entries == ()
            assert states.cached(key) is None  # not kept
            fresh = states.load(conn, key)
    finally:
        signals.live_messages_changed.disconnect(invalidate)
    assert [e.id for e in fresh.entries] == [draft["id"]]
    assert states.cached(key) is fresh


def test_a_load_without_a_race_is_kept_until_a_change(app, client, admin, live, site):
    key = site["channel"]["key"]
    states = ChannelStates()
    with app.state.db.engine.connect() as conn:
        first = states.load(conn, key)
        assert states.load(conn, key) is first and states.loads == 1
        states.invalidate([site["channel"]["id"] + 1000])  # another channel
        assert states.cached(key) is first
        states.invalidate([site["channel"]["id"]])
        assert states.cached(key) is None


def test_the_app_sees_a_publish_at_once(client, live, visitor):
    assert visitor.view()["show"] is None  # the channel's state is now cached, empty
    m = live()
    assert visitor.view()["show"]["message_id"] == m["id"]


def test_settings_changes_reach_the_widget_config(client, admin, site):
    key = site["channel"]["key"]
    assert client.get(f"/widget/v1/{key}/config").json()["locale"] == "en"
    r = client.patch("/api/v1/settings", headers=admin.headers, json={"default_locale": "pt_BR"})
    assert r.status_code == 200, r.text
    assert client.get(f"/widget/v1/{key}/config").json()["locale"] == "pt_BR"
