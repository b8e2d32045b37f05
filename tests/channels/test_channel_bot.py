"""A channel's connected bot (SPEC §1): one of the channel's brand's bots, or none."""

from __future__ import annotations

import pytest

CHANNELS = "/api/v1/channels"
BOTS = "/api/v1/bots"


@pytest.fixture
def world(client, admin):
    """Two brands, each with a bot; a channel of the first."""
    h = admin.headers
    acme = client.post("/api/v1/brands", json={"name": "Acme"}, headers=h).json()
    globex = client.post("/api/v1/brands", json={"name": "Globex"}, headers=h).json()
    bot = client.post(BOTS, json={"brand_id": acme["id"], "name": "Acme bot"}, headers=h).json()
    foreign = client.post(BOTS, json={"brand_id": globex["id"], "name": "Globex bot"},
                          headers=h).json()
    channel = client.post(CHANNELS, json={"brand_id": acme["id"], "name": "Website"},
                          headers=h).json()
    return {"acme": acme["id"], "globex": globex["id"], "bot": bot["id"],
            "foreign": foreign["id"], "channel": channel["id"]}


def channel(client, admin, world):
    return client.get(f"{CHANNELS}/{world['channel']}", headers=admin.headers).json()


def bot(client, admin, bot_id):
    return client.get(f"{BOTS}/{bot_id}", headers=admin.headers).json()


def connect(client, admin, world, bot_id):
    return client.patch(f"{CHANNELS}/{world['channel']}", json={"bot_id": bot_id},
                        headers=admin.headers)


def test_a_channel_has_no_bot_until_one_is_connected(client, admin, world):
    assert channel(client, admin, world)["bot_id"] is None
    r = connect(client, admin, world, world["bot"])
    assert r.status_code == 200, r.text
    assert r.json()["bot_id"] == world["bot"]
    assert channel(client, admin, world)["bot_id"] == world["bot"]
    assert bot(client, admin, world["bot"])["channel_ids"] == [world["channel"]]
    # Other changes leave the bot connected.
    r = client.patch(f"{CHANNELS}/{world['channel']}", json={"name": "Site"},
                     headers=admin.headers)
    assert r.json()["bot_id"] == world["bot"]

    r = connect(client, admin, world, None)
    assert r.status_code == 200 and r.json()["bot_id"] is None
    assert channel(client, admin, world)["bot_id"] is None
    assert bot(client, admin, world["bot"])["channel_ids"] == []


def test_a_bot_may_answer_on_several_channels(client, admin, world):
    h = admin.headers
    app_channel = client.post(CHANNELS, headers=h, json={
        "brand_id": world["acme"], "name": "App", "kind": "ios_sdk", "bot_id": world["bot"]})
    assert app_channel.status_code == 201, app_channel.text
    assert app_channel.json()["bot_id"] == world["bot"]
    connect(client, admin, world, world["bot"])
    assert sorted(bot(client, admin, world["bot"])["channel_ids"]) == sorted(
        [world["channel"], app_channel.json()["id"]])


def test_a_bot_of_another_brand_is_refused(client, admin, world):
    r = connect(client, admin, world, world["foreign"])
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "other_brand" and error["details"][0]["loc"] == ["bot_id"]
    assert "Globex bot" in error["message"]
    assert channel(client, admin, world)["bot_id"] is None
    r = client.post(CHANNELS, json={"brand_id": world["acme"], "name": "Other",
                                    "bot_id": world["foreign"]}, headers=admin.headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "other_brand"
    assert [c["name"] for c in client.get(CHANNELS, headers=admin.headers).json()] == ["Website"]


@pytest.mark.parametrize("value,code", [(999, "unknown_reference"), (0, None), ("1", None),
                                        (True, None), (2**40, None)])
def test_a_bot_that_is_not_one_is_refused(client, admin, world, value, code):
    r = connect(client, admin, world, value)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["loc"] == ["bot_id"]
    if code:
        assert r.json()["error"]["code"] == code
    assert channel(client, admin, world)["bot_id"] is None


def test_a_connected_bot_does_not_move_to_another_brand(client, admin, world):
    h = admin.headers
    connect(client, admin, world, world["bot"])
    r = client.patch(f"{BOTS}/{world['bot']}", json={"brand_id": world["globex"]}, headers=h)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "bot_in_use"
    assert "“Website”" in r.json()["error"]["message"]
    assert bot(client, admin, world["bot"])["brand_id"] == world["acme"]
    # Disconnected, it may.
    connect(client, admin, world, None)
    r = client.patch(f"{BOTS}/{world['bot']}", json={"brand_id": world["globex"]}, headers=h)
    assert r.status_code == 200 and r.json()["brand_id"] == world["globex"]


def test_a_channel_with_a_bot_moves_to_another_brand_only_without_it(client, admin, world):
    h = admin.headers
    url = f"{CHANNELS}/{world['channel']}"
    connect(client, admin, world, world["bot"])
    r = client.patch(url, json={"brand_id": world["globex"]}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "other_brand"
    assert channel(client, admin, world)["brand_id"] == world["acme"]
    # Moved with the other brand's bot, or with none.
    r = client.patch(url, json={"brand_id": world["globex"], "bot_id": world["foreign"]},
                     headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["brand_id"], r.json()["bot_id"]) == (world["globex"], world["foreign"])
    r = client.patch(url, json={"brand_id": world["acme"], "bot_id": None}, headers=h)
    assert r.status_code == 200 and r.json()["bot_id"] is None


def test_deleting_a_bot_disconnects_it(client, admin, world):
    h = admin.headers
    connect(client, admin, world, world["bot"])
    assert client.delete(f"{BOTS}/{world['bot']}", headers=h).status_code == 204
    after = channel(client, admin, world)
    assert after["bot_id"] is None and after["name"] == "Website"
    # Nothing points at the deleted bot: any other change to the channel goes through.
    r = client.patch(f"{CHANNELS}/{world['channel']}", json={"name": "Site"}, headers=h)
    assert r.status_code == 200 and r.json()["bot_id"] is None


def test_deleting_a_channel_leaves_its_bot(client, admin, world):
    h = admin.headers
    connect(client, admin, world, world["bot"])
    assert client.delete(f"{CHANNELS}/{world['channel']}", headers=h).status_code == 204
    assert bot(client, admin, world["bot"])["channel_ids"] == []


def test_a_brand_with_bots_cannot_be_deleted(client, admin, world):
    h = admin.headers
    client.delete(f"{CHANNELS}/{world['channel']}", headers=h)
    r = client.delete(f"/api/v1/brands/{world['acme']}", headers=h)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "brand_in_use"
    assert "1 bot" in r.json()["error"]["message"]
    assert bot(client, admin, world["bot"])["brand_id"] == world["acme"]
    assert client.delete(f"{BOTS}/{world['bot']}", headers=h).status_code == 204
    assert client.delete(f"/api/v1/brands/{world['acme']}", headers=h).status_code == 204
