"""Sockets opened by signed-in users close when their session ends, on every process: the
sign-out is announced on the hub, and checked again now and then (an operator's command, or a
session that simply expired, announces nothing)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from fastapi import WebSocket

from overture.accounts import sessions
from overture.accounts.models import User
from overture.kit.admission import run_unit
from overture.kit.origins import origin_allowed
from overture.realtime.ws import run_together

RECHECK_SECONDS = 30.0
SIGNED_OUT = 4401  # the close code the workspace reads as "sign in again"


def signed_in(ws: WebSocket) -> tuple[User, str] | None:
    """The user and session behind a socket of our own pages (cookies ride along on cross-site
    WebSockets too, so another site's page is refused). Runs in a thread."""
    from overture.deps import SESSION_KEY

    secret = ws.session.get(SESSION_KEY) if "session" in ws.scope else None
    if not isinstance(secret, str) or not origin_allowed(ws.headers.get("origin"), ws):
        return None
    with ws.app.state.db.unit_of_work() as db:
        found = sessions.current(db, secret, ws.app.state.settings.session_lifetime)
        if found is None:
            return None
        user, session = found
        db.expunge(user)
        return user, session.id


def session_alive(ws: WebSocket, session_id: str) -> bool:
    with ws.app.state.db.unit_of_work() as db:
        return sessions.still_valid(db, session_id, ws.app.state.settings.session_lifetime)


async def while_signed_in(ws: WebSocket, user_id: int, session_id: str,
                          serve: Callable[[], Awaitable[None]]) -> None:
    """Run the accepted socket's `serve` until it ends, or until the session does: then the
    socket is closed with 4401."""
    ended = False

    async def watch() -> None:
        nonlocal ended
        async with ws.app.state.hub.subscribe(sessions.SIGNED_OUT_TOPIC) as sub:
            while True:
                try:
                    _topic, event = await sub.get(timeout=RECHECK_SECONDS)
                except TimeoutError:
                    event = {"type": "resync"}
                if session_id in event.get("sessions", ()):
                    ended = True
                    return
                recheck = event.get("type") == "resync" or event.get("user_id") == user_id
                if recheck and not await run_unit(ws.app, session_alive, ws, session_id):
                    ended = True
                    return

    await run_together(serve, watch)
    if ended:
        with contextlib.suppress(RuntimeError):  # already closed by the peer
            await ws.close(code=SIGNED_OUT)
