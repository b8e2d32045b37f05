"""Bounded request heads at the HTTP protocol level.

The parser (httptools) keeps a header's bytes until the header ends, and uvicorn keeps every
header until the head ends: a client could make a process hold a 64 MB header. Here each
request head (request line and headers) is measured as it arrives, and one over the limit is
answered `431 Request Header Fields Too Large` and its connection closed, keeping nothing more.

Measured by the reads it spans, which costs nothing per header: a head that ends within one
read no bigger than the limit is within it, so the common request pays a comparison. A head
still unfinished at the end of a read is refused as soon as its reads pass the limit, so a
header that never ends costs at most one read (256 KiB) past it; a head that ends after more
bytes than the limit is counted exactly, from what the parser handed over. (A head pipelined
behind another request in the same read doesn't count that read: one more read of slack.)
"""

from __future__ import annotations

import asyncio
from typing import Any

# After a refusal the rest of what the client sends is read and dropped for a little while
# before the socket closes: closing with unread bytes makes the kernel send a reset, which can
# destroy the 431 before the client reads it.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024
STATUS_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
REFUSAL = b"request header fields too large"


def uvicorn_http_options(max_header_bytes: int) -> dict[str, Any]:
    """uvicorn.run's arguments for bounded heads: our httptools protocol, or h11's own bound
    when httptools is not installed. h11's bounds what it holds of a head not yet complete:
    memory stays bounded, but it answers 400 rather than 431, and a head that arrives whole
    in one read (up to 256 KiB) passes."""
    try:
        protocol = bounded_httptools_protocol(max_header_bytes)
    except ImportError:
        return {"http": "h11", "h11_max_incomplete_event_size": max_header_bytes}
    return {"http": protocol}


def bounded_httptools_protocol(max_header_bytes: int) -> type[asyncio.Protocol]:
    import httptools
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, refusing request heads over `max_header_bytes`."""

        max_head = max_header_bytes

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._head_open = False  # between a request's first byte and the end of its head
            self._head_reads = 0  # bytes of the reads the head has spanned, whole
            self._shared_read = 0  # of those, a first read shared with an earlier request
            self._read_bytes = 0  # the read being parsed
            self._completed_in_read = False  # a request ended in the read being parsed
            self._refused = False
            self._answer_waits = False
            self._linger: asyncio.TimerHandle | None = None

        def data_received(self, data: bytes) -> None:
            if self._refused:  # lingering after a refusal: drop it, keep nothing
                self._head_reads += len(data)
                if self._head_reads > LINGER_BYTES:
                    self.transport.close()
                return
            self._unset_keepalive_if_required()
            continued = self._head_open
            self._read_bytes = len(data)
            self._completed_in_read = False
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
                return
            except httptools.HttpParserError:
                if self._refused:  # on_headers_complete refused the head and stopped the parser
                    return
                msg = "Invalid HTTP request received."
                self.logger.warning(msg)
                self.send_400_response(msg)
                return
            if self._head_open:  # unfinished: all of this read from the head's start is head
                self._head_reads += len(data)
                if not continued and self._completed_in_read:
                    # Pipelined behind a request that ended in this read: how much of the
                    # read is this head's is unknown, so it doesn't count against it.
                    self._shared_read = len(data)
                if self._head_reads - self._shared_read > self.max_head:
                    self._refuse()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_open = True
            self._head_reads = self._shared_read = 0

        def on_headers_complete(self) -> None:
            self._head_open = False
            if (self._head_reads + self._read_bytes > self.max_head
                    and self._known_head() > self.max_head):
                self._refuse()
                raise HeadTooLarge  # stops the parser: nothing of this request runs
            super().on_headers_complete()

        def _known_head(self) -> int:
            """The URL and the whole headers the parser has handed over, as sent."""
            return len(self.url) + sum(len(name) + len(value) + 4  # ": " and CRLF
                                       for name, value in self.headers)

        def on_message_complete(self) -> None:
            self._completed_in_read = True
            super().on_message_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._linger is not None:
                self._linger.cancel()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            if self._answer_waits and not self.pipeline:
                self._answer_waits = False
                self.server_state.total_requests += 1
                if not self.transport.is_closing():
                    self._answer_431()
                return
            super().on_response_complete()

        def _refuse(self) -> None:
            self._refused = True
            self._head_open = False
            self._head_reads = 0
            self.logger.warning("Request head over %d bytes refused with 431.", self.max_head)
            if self.cycle is not None and not self.cycle.response_complete:
                # Requests pipelined before this one are still being answered: the 431
                # follows their responses (on_response_complete).
                self._answer_waits = True
            else:
                self._answer_431()

        def _answer_431(self) -> None:
            head = [STATUS_431]
            for name, value in self.server_state.default_headers:
                head += [name, b": ", value, b"\r\n"]
            head += [b"content-type: text/plain; charset=utf-8\r\n",
                     b"content-length: %d\r\n" % len(REFUSAL), b"connection: close\r\n\r\n",
                     REFUSAL]
            self.transport.write(b"".join(head))
            if self.transport.can_write_eof():
                self.transport.write_eof()  # the answer is complete: the client may close
            self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    return BoundedHttpToolsProtocol


class HeadTooLarge(Exception):
    """Raised from a parser callback to stop the parser once the head is refused."""
