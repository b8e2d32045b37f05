"""One origin policy for browser calls: a page of our own site is always allowed; another
site only when a list names it (the widget's channels), never for staff sockets."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import HTTPConnection


def own_origin(conn: HTTPConnection) -> str:
    scheme = {"ws": "http", "wss": "https"}.get(conn.url.scheme, conn.url.scheme)
    return f"{scheme}://{conn.url.netloc}"


def origin_allowed(origin: str | None, conn: HTTPConnection,
                   allowed: Iterable[str] = ()) -> bool:
    """No Origin header means no browser page made the call cross-site (an SDK, a server)."""
    if origin is None or origin == own_origin(conn):
        return True
    allowed = list(allowed or ())
    return "*" in allowed or origin.rstrip("/").lower() in allowed
