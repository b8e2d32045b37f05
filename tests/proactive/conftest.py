from __future__ import annotations

import pytest


@pytest.fixture
def setup(client, admin):
    """A brand with a web widget channel and a schedule; returns their ids."""
    h = admin.headers
    brand = client.post("/api/v1/brands", json={"name": "Acme"}, headers=h).json()
    channel = client.post("/api/v1/channels", headers=h, json={
        "brand_id": brand["id"], "name": "Website", "kind": "web_widget"}).json()
    schedule = client.post("/api/v1/schedules", headers=h, json={
        "name": "Office", "timezone": "America/Sao_Paulo",
        "intervals": [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]}).json()
    return {"brand": brand["id"], "channel": channel["id"], "schedule": schedule["id"]}


@pytest.fixture
def complete(setup):
    """The body of a message with no problems."""
    return {
        "name": "Pricing help", "channel_id": setup["channel"],
        "message": "Need help choosing a **plan**, {{first_name}}?",
        "response": {"type": "agent", "collect": ["email"], "follow_up": "Thanks, we will reply."},
        "conditions": {"all": [{"field": "page_url", "operator": "contains",
                                "value": ["/pricing"]}]},
        "trigger": {"event": "on_page", "seconds": 20},
        "tags": ["Pricing", "sales"], "frequency": "once_per_visit", "priority": 2,
    }
