"""Limits nobody walks around: a made-up X-Forwarded-For, a guessed channel key, many
addresses trying one account's password, or a request head too big to keep."""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from websockets.sync.client import connect

from overture.kit.clock import clock
from tests.conftest import login
from tests.scaleout.processes import ServerProcess
from tests.scaleout.test_redis_outage import WIDGET, _cli, _start


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


# Request heads: the server is started by `overture serve` itself, since the bound lives in
# the HTTP protocol uvicorn runs, below the app.

LIMIT = 32 * 1024  # OVERTURE_MAX_HEADER_BYTES's default


@pytest.fixture(scope="module")
def head_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("heads")
    secret = secrets.token_urlsafe(32)
    database = f"sqlite:///{tmp}/heads.db"
    server = ServerProcess(database, None, "heads:", secret)
    try:
        server.wait_ready()
        _cli({**os.environ, "OVERTURE_DATABASE_URL": database, "OVERTURE_SECRET_KEY": secret,
              "OVERTURE_ENVIRONMENT": "test", "OVERTURE_PASSWORD_HASH_PROFILE": "test"}, "demo")
        yield server
    finally:
        server.stop()


def _exchange(server: ServerProcess, *parts: bytes) -> bytes:
    """Send `parts` on one connection (each its own write), then read until the server
    closes it; what a real client sees, status line first."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        for part in parts:
            s.sendall(part)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer


def _statuses(answer: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]


def _get(extra: bytes = b"", connection: bytes = b"close") -> bytes:
    return (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra
            + b"Connection: " + connection + b"\r\n\r\n")


def test_a_head_over_the_limit_is_refused_with_431_and_the_server_goes_on(head_server):
    one_big_header = b"X-Big: " + b"a" * (LIMIT + 1024) + b"\r\n"
    many_small_headers = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 20) for i in range(1500))
    long_url = b"GET /healthz?" + b"q" * (LIMIT + 1024) + b" HTTP/1.1\r\n\r\n"
    for refused in (
        [_get(one_big_header)],
        [_get(many_small_headers)],  # 40 KiB in headers of 30 bytes each
        [long_url],
        # A head that never ends, sent in pieces: refused without waiting for its end.
        [b"GET /healthz HTTP/1.1\r\n"] + [b"X-Slow: " + b"c" * 4000 + b"\r\n"] * 10,
        # The second request of a kept-alive connection: the first is answered, not the second.
        [_get(connection=b"keep-alive"), _get(one_big_header)],
        # A WebSocket upgrade goes through the same protocol.
        [b"GET /agent/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
         b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + one_big_header + b"\r\n"],
    ):
        statuses = _statuses(_exchange(head_server, *refused))
        assert statuses[-1] == 431, statuses
        assert statuses[:-1] == [200] * (len(statuses) - 1)
        assert httpx.get(f"{head_server.url}/healthz").status_code == 200


def test_heads_under_the_limit_are_served(head_server):
    assert _statuses(_exchange(head_server, _get(b"Cookie: " + b"k" * 20 * 1024 + b"\r\n"))) \
        == [200]
    # A body sent along with its head is not head: 100 KiB of it in one write is fine.
    body = b'{"pad": "' + b"p" * 100 * 1024 + b'"}'
    post = (b"POST /widget/v1/no-such-key/page-views HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % len(body)) + body
    assert _statuses(_exchange(head_server, post))[0] not in (400, 431)
    # Two requests pipelined in one write are both answered.
    assert _statuses(_exchange(head_server, _get(connection=b"keep-alive") + _get())) \
        == [200, 200]


def test_websocket_upgrades_still_work(head_server):
    with httpx.Client(base_url=head_server.url, timeout=10) as http:
        visitor, _session, conversation = _start(http)
    ws_url = re.sub(r"^http", "ws", head_server.url)
    with connect(f"{ws_url}{WIDGET}/conversations/{conversation}/ws"
                 f"?visitor_id={visitor}&after=0", open_timeout=10,
                 additional_headers={"Cookie": "k" * 6000}) as ws:
        frames = [json.loads(ws.recv(timeout=10)) for _ in range(2)]  # the message, the reply
        assert [frame["message"]["body"] for frame in frames][-1] == "Hello?"


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_64_mb_header_is_cut_off_not_kept(head_server):
    before = _rss_kib(head_server.proc.pid)
    with socket.create_connection(("127.0.0.1", head_server.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nX-Big: ")
        chunk = b"a" * (1024 * 1024)
        with pytest.raises(OSError):  # the server stops reading and closes, long before
            for _ in range(64):
                s.sendall(chunk)
    # Without the bound the process held the whole header (about 64 MB more).
    assert _rss_kib(head_server.proc.pid) - before < 16 * 1024
    assert httpx.get(f"{head_server.url}/healthz").status_code == 200
