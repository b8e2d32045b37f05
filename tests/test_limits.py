"""Limits nobody walks around: a made-up X-Forwarded-For, a guessed channel key, or many
addresses trying one account's password."""

from __future__ import annotations

import secrets
import time

import httpx
from fastapi.testclient import TestClient

from overture.kit.clock import clock
from tests.conftest import login
from tests.scaleout.processes import ServerProcess


def _codes(server: ServerProcess, n: int) -> list[int]:
    """`n` calls with an unknown channel key, each claiming another forwarded address, all in
    one minute's window of the server's limiter (same machine, same clock)."""
    while time.time() % 60 > 55:
        time.sleep(0.2)
    with httpx.Client(base_url=server.url) as http:
        return [http.get("/widget/v1/no-such-key/config",
                         headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                for i in range(n)]


def test_forwarded_addresses_count_only_from_trusted_proxies(tmp_path):
    secret = secrets.token_urlsafe(32)
    for trusted, want in (("", [404] * 5 + [429] * 2), ("127.0.0.1", [404] * 7)):
        server = ServerProcess(f"sqlite:///{tmp_path}/limits.db", None, "limits:", secret,
                               OVERTURE_WIDGET_REQUESTS_PER_IP_PER_MINUTE="5",
                               OVERTURE_TRUSTED_PROXIES=trusted)
        try:
            server.wait_ready()
            # Refused calls (an unknown key) count against the caller's address too; behind
            # no trusted proxy, the address is the connection's, whatever the header says.
            assert _codes(server, 7) == want, trusted
        finally:
            server.stop()


def test_sign_in_is_throttled_per_account_from_any_address(app, admin):
    clock.freeze(clock.now().replace(second=10))  # every attempt in one minute's window
    app.state.settings.login_attempts_per_minute = 3
    try:
        codes = [login(TestClient(app, client=(f"198.51.100.{i}", 50000)), admin.email,
                       "wrong password").status_code for i in range(5)]
    finally:
        app.state.settings.login_attempts_per_minute = 1000
    assert codes == [400, 400, 400, 429, 429]
