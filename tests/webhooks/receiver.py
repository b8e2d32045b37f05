"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records what it gets
and answers from a script.

    with Receiver(script=[500, 500, 200]) as r:
        ...                      # point a webhook at r.url (allow private addresses)
        r.wait_for(3, timeout=10)
        headers, body = r.requests[0]

`script` is how it answers its requests, one item each, in order; once it runs out, every
further request gets `then` (200 unless given). An item is:
- an HTTP status (int): answered with an empty body (a 3xx with `Location: <url>/moved`);
- `HANG`: no answer until `release()` (or the receiver's end), then 200;
- `CLOSE`: the connection is closed without an answer.
Every request is recorded when it has arrived whole, before it is answered: `requests` is a
list of `Request(headers, body)`, `headers` case-insensitive (`http.client.HTTPMessage`),
`body` the raw bytes; `paths` has each one's path and query string, in the same order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

HANG = "hang"
CLOSE = "close"
Behaviour = int | str


class Request(NamedTuple):
    headers: object  # http.client.HTTPMessage: .get("Overture-Signature"), case-insensitive
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # kept-alive connections end with their sender
    request_queue_size = 128  # many senders connecting at once are not made to retry


class Receiver:
    def __init__(self, script: Iterable[Behaviour] = (), *, then: Behaviour = 200) -> None:
        self._script = list(script)
        self._then = then
        for item in [*self._script, then]:
            if not (isinstance(item, int) or item in (HANG, CLOSE)):
                raise ValueError(f"not a receiver behaviour: {item!r}")
        self.requests: list[Request] = []
        self.paths: list[str] = []
        self._arrived = threading.Condition()
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where to point the webhook (http://127.0.0.1:<port>/hook)."""
        assert self._server is not None, "the receiver is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Request]:
        """Wait until at least `n` requests have arrived; AssertionError if they don't within
        `timeout` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= n, timeout):
                raise AssertionError(f"the receiver got {len(self.requests)} request(s) "
                                     f"within {timeout} s, not {n}")
            return list(self.requests)

    def release(self) -> None:
        """Let every request held by `HANG` (now or later) be answered."""
        self._released.set()

    def _next(self) -> Behaviour:
        # Called with the request recorded, under the lock: its place decides its answer.
        index = len(self.requests) - 1
        return self._script[index] if index < len(self._script) else self._then

    def _record(self, path: str, request: Request) -> Behaviour:
        with self._arrived:
            self.paths.append(path)
            self.requests.append(request)
            behaviour = self._next()
            self._arrived.notify_all()
        return behaviour

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                behaviour = receiver._record(self.path, Request(self.headers, body))
                if behaviour == CLOSE:
                    self.close_connection = True
                    return
                if behaviour == HANG:
                    receiver._released.wait()
                    behaviour = 200
                self._answer(int(behaviour))

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

            def _answer(self, status: int) -> None:
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", receiver.url.replace("/hook", "/moved"))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up waiting and closed the connection
                    self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        server = _Server(("127.0.0.1", 0), Handler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="webhook-receiver",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
