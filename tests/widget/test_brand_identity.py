"""Identity shared by a brand's channels, by choice: a channel that uses its brand's identity
secret verifies tokens with it, and the customers they name are the brand's — one customer,
one conversation history, on every channel of the brand that shares it. A channel that keeps
its own secret, or a channel of another brand, never reaches them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from overture.visitors.models import Visitor
from tests.conftest import csrf_from, login
from tests.widget.helpers import ORIGIN, Browser, new_id


@pytest.fixture
def brand_channels(client, admin, site):
    """The site's channel and a second one of its brand, both sharing the brand's secret,
    and a third of the same brand that keeps its own."""
    h = admin.headers

    def channel(name: str, shared: bool) -> dict:
        r = client.post("/api/v1/channels", headers=h, json={
            "brand_id": site["brand"]["id"], "name": name, "allowed_origins": [ORIGIN],
            "identity_shared_with_brand": shared})
        assert r.status_code == 201, r.text
        return r.json()

    first = client.patch(f"/api/v1/channels/{site['channel']['id']}", headers=h,
                         json={"identity_shared_with_brand": True}).json()
    assert first["identity_shared_with_brand"] is True
    return {"a": first, "b": channel("App site", True), "own": channel("Partner site", False),
            "secret": site["brand"]["identity_secret"]}


def start(visitor: Browser, **body):
    return visitor._post("conversations", {
        "visitor_id": visitor.visitor_id, "delivery_id": visitor.last["show"]["delivery_id"],
        "client_id": new_id("c"), **body})


def read(visitor: Browser, conversation_id: int):
    return visitor.client.get(f"/widget/v1/{visitor.key}/conversations/{conversation_id}",
                              params={"visitor_id": visitor.visitor_id},
                              headers={"Origin": ORIGIN})


def customers(db, external_id: str) -> dict[str, int]:
    """The customers named `external_id`, by scope."""
    with db() as session:
        rows = session.scalars(select(Visitor).where(Visitor.external_id == external_id))
        return {v.identity_scope: v.id for v in rows}


def test_two_sharing_channels_have_one_customer_and_one_conversation(
        client, db, live, site, brand_channels):
    live(message="Need help?")
    secret = brand_channels["secret"]
    laptop = Browser(client, brand_channels["a"]["key"])
    assert laptop.identify(secret, "cust-1", "Maria").status_code == 200
    laptop.view()
    conv = start(laptop, name="Maria", email="maria@example.com").json()["conversation_id"]
    # Another device, on the brand's other sharing channel: the same customer, the same
    # conversation, which goes on from there.
    phone = Browser(client, brand_channels["b"]["key"])
    assert phone.identify(secret, "cust-1", "Maria").status_code == 200
    assert list(customers(db, "cust-1")) == [f"brand:{site['brand']['id']}"]
    assert read(phone, conv).status_code == 200
    sent = phone._post(f"conversations/{conv}/messages", {
        "visitor_id": phone.visitor_id, "client_id": new_id("c"), "body": "From my phone"})
    assert sent.status_code == 201, sent.text
    assert "From my phone" in [m["body"] for m in read(laptop, conv).json()["messages"]]
    # While shared, the channel's own secret vouches for nobody on it.
    own = Browser(client, brand_channels["a"]["key"])
    assert own.identify(brand_channels["a"]["jwt_secret"], "cust-1").status_code == 401


def test_a_channel_keeping_its_own_secret_never_reaches_the_brands_customers(
        client, admin, db, live, site, brand_channels):
    live(message="Need help?")
    maria = Browser(client, brand_channels["a"]["key"])
    maria.identify(brand_channels["secret"], "cust-2", "Maria")
    maria.view()
    conv = start(maria, name="Maria", email="maria@example.com").json()["conversation_id"]
    # The brand's token means nothing to the channel that keeps its own secret ...
    partner = brand_channels["own"]
    assert Browser(client, partner["key"]).identify(
        brand_channels["secret"], "cust-2").status_code == 401
    # ... and its own token for the same id names another customer, who reaches nothing of
    # Maria's, through either channel.
    mallory = Browser(client, partner["key"])
    assert mallory.identify(partner["jwt_secret"], "cust-2", "Mallory").status_code == 200
    assert set(customers(db, "cust-2")) == {f"brand:{site['brand']['id']}",
                                            f"channel:{partner['id']}"}
    assert read(mallory, conv).status_code == 404
    on_shared = Browser(client, brand_channels["a"]["key"], visitor_id=mallory.visitor_id)
    assert read(on_shared, conv).status_code == 404
    # A channel of another brand that shares its own brand's secret: another scope again.
    h = admin.headers
    other_brand = client.post("/api/v1/brands", json={"name": "Other"}, headers=h).json()
    other = client.post("/api/v1/channels", headers=h, json={
        "brand_id": other_brand["id"], "name": "Other site", "allowed_origins": [ORIGIN],
        "identity_shared_with_brand": True}).json()
    stranger = Browser(client, other["key"])
    assert stranger.identify(brand_channels["secret"], "cust-2").status_code == 401
    assert stranger.identify(other_brand["identity_secret"], "cust-2").status_code == 200
    assert len(customers(db, "cust-2")) == 3
    assert read(Browser(client, brand_channels["a"]["key"], visitor_id=stranger.visitor_id),
                conv).status_code == 404
    assert read(maria, conv).status_code == 200


def test_switching_sharing_changes_new_tokens_only(client, admin, db, live, site):
    """Customers identified before a switch keep the scope that vouched for them (and their
    conversations); tokens verified after it follow the channel's current setting."""
    live(message="Need help?")
    channel, h = site["channel"], admin.headers
    brand_secret = site["brand"]["identity_secret"]
    maria = Browser(client, channel["key"])
    maria.identify(channel["jwt_secret"], "cust-3", "Maria")
    maria.view()
    conv = start(maria, name="Maria", email="maria@example.com").json()["conversation_id"]

    client.patch(f"/api/v1/channels/{channel['id']}", json={"identity_shared_with_brand": True},
                 headers=h)
    assert read(maria, conv).status_code == 200  # identified before: still herself
    assert Browser(client, channel["key"]).identify(channel["jwt_secret"], "cust-3") \
        .status_code == 401
    tablet = Browser(client, channel["key"])
    assert tablet.identify(brand_secret, "cust-3").status_code == 200
    scopes = customers(db, "cust-3")
    assert set(scopes) == {f"channel:{channel['id']}", f"brand:{site['brand']['id']}"}
    assert read(tablet, conv).status_code == 404  # the brand's cust-3 is not that customer

    client.patch(f"/api/v1/channels/{channel['id']}", json={"identity_shared_with_brand": False},
                 headers=h)
    assert Browser(client, channel["key"]).identify(brand_secret, "cust-3").status_code == 401
    desktop = Browser(client, channel["key"])
    assert desktop.identify(channel["jwt_secret"], "cust-3").status_code == 200
    assert read(desktop, conv).status_code == 200  # the channel's cust-3 again
    assert customers(db, "cust-3") == scopes  # nobody new, nobody moved


def test_rotating_the_brand_secret_refuses_old_tokens(client, admin, db, live, site,
                                                      brand_channels):
    live(message="Need help?")
    old = brand_channels["secret"]
    maria = Browser(client, brand_channels["a"]["key"])
    maria.identify(old, "cust-4", "Maria")
    maria.view()
    conv = start(maria, name="Maria", email="maria@example.com").json()["conversation_id"]
    r = client.post(f"/api/v1/brands/{site['brand']['id']}/rotate-secret", headers=admin.headers)
    assert r.status_code == 200
    new = r.json()["identity_secret"]
    assert new and new != old
    for key in (brand_channels["a"]["key"], brand_channels["b"]["key"]):
        assert Browser(client, key).identify(old, "cust-4").status_code == 401
    phone = Browser(client, brand_channels["b"]["key"])
    assert phone.identify(new, "cust-4").status_code == 200
    assert len(customers(db, "cust-4")) == 1  # the brand's customer, as before
    assert read(phone, conv).status_code == 200


def test_the_admin_pages_show_which_secret_applies(client, admin, site):
    assert login(client, admin.email).status_code == 303
    brand, channel = site["brand"], site["channel"]
    page = client.get(f"/admin/brands/{brand['id']}").text
    # Each secret stays out of its page until Reveal asks for it.
    assert brand["identity_secret"] not in page and "Rotate secret" in page
    csrf = csrf_from(page)

    def revealed(path: str) -> str:
        r = client.post(f"{path}/secret", data={"csrf_token": csrf},
                        headers={"Accept": "application/json"})
        assert r.status_code == 200 and r.headers["cache-control"].startswith("no-store")
        return r.json()["secret"]

    assert revealed(f"/admin/brands/{brand['id']}") == brand["identity_secret"]
    # The channel form's checkbox, ticked and saved.
    page = client.get(f"/admin/channels/{channel['id']}").text
    assert 'name="identity_shared_with_brand"' in page and channel["jwt_secret"] not in page
    assert revealed(f"/admin/channels/{channel['id']}") == channel["jwt_secret"]
    r = client.post(f"/admin/channels/{channel['id']}", follow_redirects=False, data={
        "csrf_token": csrf, "brand_id": str(brand["id"]), "name": channel["name"],
        "kind": "web_widget", "allowed_origins": ORIGIN, "color": "#1f73b7",
        "identity_shared_with_brand": "on"})
    assert r.status_code == 303
    got = client.get(f"/api/v1/channels/{channel['id']}", headers=admin.headers).json()
    assert got["identity_shared_with_brand"] is True
    page = client.get(f"/admin/channels/{channel['id']}").text
    assert "shared secret of its brand" in page and f'href="/admin/brands/{brand["id"]}"' in page
    assert channel["jwt_secret"] not in page
    assert "Shop site" in client.get(f"/admin/brands/{brand['id']}").text  # listed as sharing
    # Rotating the brand's secret from its page.
    r = client.post(f"/admin/brands/{brand['id']}/rotate-secret", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/brands/{brand['id']}"
    assert revealed(f"/admin/brands/{brand['id']}") not in (brand["identity_secret"], "")
    # Unticked: the channel's own secret again.
    r = client.post(f"/admin/channels/{channel['id']}", follow_redirects=False, data={
        "csrf_token": csrf, "brand_id": str(brand["id"]), "name": channel["name"],
        "kind": "web_widget", "allowed_origins": ORIGIN, "color": "#1f73b7"})
    assert r.status_code == 303
    assert client.get(f"/api/v1/channels/{channel['id']}",
                      headers=admin.headers).json()["identity_shared_with_brand"] is False
