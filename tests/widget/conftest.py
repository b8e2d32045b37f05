from __future__ import annotations

import pytest

from tests.widget.helpers import ORIGIN, Browser

API = "/api/v1/proactive-messages"


@pytest.fixture
def site(client, admin):
    """A brand, a web widget channel allowing ORIGIN, a São Paulo office-hours schedule."""
    h = admin.headers
    brand = client.post("/api/v1/brands", json={"name": "Shop"}, headers=h).json()
    channel = client.post("/api/v1/channels", headers=h, json={
        "brand_id": brand["id"], "name": "Shop site", "allowed_origins": [ORIGIN],
        "sender_name": "Shop Support"}).json()
    schedule = client.post("/api/v1/schedules", headers=h, json={
        "name": "Office", "timezone": "America/Sao_Paulo",
        "intervals": [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)],
        "holidays": [{"name": "Christmas", "first_day": "2026-12-24",
                      "last_day": "2026-12-26"}]}).json()
    return {"brand": brand, "channel": channel, "schedule": schedule}


@pytest.fixture
def live(client, admin, site):
    """Create and publish a message on the site's channel; returns its JSON."""
    def make(name: str = "Hello", message: str = "Hello there", *, publish: bool = True,
             **fields) -> dict:
        body = {"name": name, "channel_id": site["channel"]["id"], "message": message,
                "response": {"type": "agent", "collect": ["name", "email"],
                             "follow_up": "Thanks!"},
                "frequency": "every_time", **fields}
        m = client.post(API, json=body, headers=admin.headers)
        assert m.status_code == 201, m.text
        m = m.json()
        if publish:
            r = client.post(f"{API}/{m['id']}/publish", headers=admin.headers)
            assert r.status_code == 200, r.text
            m = r.json()
        return m
    return make


@pytest.fixture
def visitor(client, site):
    return Browser(client, site["channel"]["key"])


@pytest.fixture
def new_visitor(client, site):
    return lambda: Browser(client, site["channel"]["key"])
