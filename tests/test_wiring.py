"""Cross-feature reactions come from one wiring point, not from which modules were imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

API = "/api/v1/proactive-messages"

SCRIPT = textwrap.dedent("""
    import sys
    {wire}
    from overture.channels.service import delete_channel
    from overture.channels.models import Channel
    from overture.db import Database

    db = Database(sys.argv[1])
    with db.unit_of_work() as s:
        delete_channel(s, s.get(Channel, int(sys.argv[2])))
""")


@pytest.fixture
def site(client, admin) -> dict:
    brand = client.post("/api/v1/brands", json={"name": "Shop"}, headers=admin.headers).json()
    channel = client.post("/api/v1/channels", headers=admin.headers, json={
        "brand_id": brand["id"], "name": "Shop site"}).json()
    return {"brand": brand, "channel": channel}


def _run(backend, channel_id: int, wire: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(wire=wire), backend.database_url, str(channel_id)],
        capture_output=True, text=True, timeout=60)


def _message(client, admin, site) -> dict:
    m = client.post(API, headers=admin.headers, json={
        "name": "Hi", "channel_id": site["channel"]["id"], "message": "Hi",
        "response": {"type": "agent", "follow_up": "Thanks"}}).json()
    return client.post(f"{API}/{m['id']}/publish", headers=admin.headers).json()


def test_a_plain_script_using_the_wiring_marks_messages_contains_errors(
        backend, client, admin, site):
    m = _message(client, admin, site)
    assert m["status"] == "live"
    done = _run(backend, site["channel"]["id"],
                "from overture import wiring; wiring.connect()")
    assert done.returncode == 0, done.stderr
    after = client.get(f"{API}/{m['id']}", headers=admin.headers).json()
    assert after["status"] == "error"
    assert any(p["field"] == "channel_id" for p in after["problems"])


def test_a_script_that_forgets_the_wiring_fails_loudly_and_changes_nothing(
        backend, client, admin, site):
    m = _message(client, admin, site)
    done = _run(backend, site["channel"]["id"], "")
    assert done.returncode != 0 and "wiring.connect()" in done.stderr
    assert client.get(f"/api/v1/channels/{site['channel']['id']}",
                      headers=admin.headers).status_code == 200
    assert client.get(f"{API}/{m['id']}", headers=admin.headers).json()["status"] == "live"
