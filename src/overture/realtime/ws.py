"""A chat WebSocket over the hub: resume from the last message id, heartbeats, flood control.

Protocol (JSON text frames):
  server → client  {"type": "message", "message": {...}}   stored messages, ids ascending
                   {"type": "status", ...}                  conversation/ticket status changes
                   {"type": "ping"}                         every `heartbeat` seconds
                   {"type": "error", "code": …, "message": …}
  client → server  {"type": "message", "client_id": "…", "body": "…"}
                   {"type": "pong"}

The socket subscribes to the topic *before* reading what was missed, then skips anything
already sent, so a reconnect with `after=<last id>` delivers every message once, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from overture.kit.errors import DomainError

log = logging.getLogger(__name__)

LoadAfter = Callable[[int], Awaitable[list[dict[str, Any]]]]
# Stores a message (idempotent by client id) and returns it as sent to clients.
OnMessage = Callable[[str, str], Awaitable[dict[str, Any]]]


class FloodGate:
    """At most `limit` messages per `window` seconds from one author — a visitor or an agent —
    whatever number of sockets (tabs, processes) they write through: the count is the app's
    rate limiter's, shared through Redis when there is one."""

    def __init__(self, limiter, author: str, limit: int = 20, window: int = 10) -> None:
        self.limiter, self.key = limiter, f"chat:{author}"
        self.limit, self.window = limit, window

    def allow(self) -> bool:
        return self.limiter.hit_many([(self.key, self.limit, self.window)])[0]


def heartbeat_loop(send: Callable[[dict[str, Any]], Awaitable[None]],
                   seconds: float) -> Callable[[], Awaitable[None]]:
    """A ping every `seconds`, so proxies keep an idle socket open and dead peers show."""

    async def ping() -> None:
        while True:
            await asyncio.sleep(seconds)
            await send({"type": "ping"})

    return ping


async def run_together(*jobs: Callable[[], Awaitable[None]]) -> None:
    """Run a socket's jobs until the first one ends (the peer left, or a send failed), then
    cancel the others."""
    tasks = [asyncio.create_task(job()) for job in jobs]
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect):
                log.warning("socket ended: %r", exc)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def serve_chat(
    ws: WebSocket,
    hub,
    topic: str,
    *,
    after: int,
    load_after: LoadAfter,
    on_message: OnMessage,
    heartbeat: float = 20.0,
    gate: FloodGate,
    hello: Callable[[], Awaitable[dict[str, Any]]] | None = None,
) -> None:
    """Every message after `after` is sent first, then `hello` (e.g. the conversation's
    status, which a reconnect may have missed), then live events."""
    last_sent = after
    sent: set[int] = set()
    send_lock = asyncio.Lock()

    async def send(data: dict[str, Any]) -> None:
        async with send_lock:
            await ws.send_text(json.dumps(data))

    async def send_message(message: dict[str, Any]) -> None:
        nonlocal last_sent
        mid = message["id"]
        if mid in sent or (mid <= after):
            return  # already delivered (caught up from the database, or a duplicate)
        sent.add(mid)
        last_sent = max(last_sent, mid)
        await send({"type": "message", "message": message})

    async with hub.subscribe(topic) as sub:
        for message in await load_after(after):
            await send_message(message)
        if hello is not None:
            # Read once subscribed, like the messages: a change made before is in it, one made
            # after comes as an event (a status read before subscribing could miss both).
            await send(await hello())

        async def forward() -> None:
            async for _topic, event in sub:
                if event.get("type") == "message":
                    # Read back from the database: hub events of concurrent writers may
                    # arrive out of id order, and the database has them all, in order.
                    for message in await load_after(last_sent):
                        await send_message(message)
                    await send_message(event["message"])  # a late lower id: still sent once
                elif event.get("type") == "resync":
                    # Events may have been lost while the hub was cut off: the database has
                    # every message and the current status.
                    for message in await load_after(last_sent):
                        await send_message(message)
                    if hello is not None:
                        await send(await hello())
                else:
                    await send(event)

        async def receive() -> None:
            while True:
                raw = await ws.receive_text()
                try:
                    data = json.loads(raw)
                except ValueError:
                    await send({"type": "error", "code": "bad_json", "message": "not JSON"})
                    continue
                if not isinstance(data, dict) or data.get("type") == "pong":
                    continue
                if data.get("type") != "message":
                    await send(
                        {
                            "type": "error",
                            "code": "bad_type",
                            "message": "type must be message or pong",
                        }
                    )
                    continue
                if not gate.allow():
                    await send(
                        {
                            "type": "error",
                            "code": "rate_limited",
                            "message": "too many messages; slow down",
                            "client_id": data.get("client_id"),
                        }
                    )
                    continue
                body, client_id = data.get("body"), data.get("client_id")
                if not isinstance(body, str) or not isinstance(client_id, str):
                    await send(
                        {
                            "type": "error",
                            "code": "invalid",
                            "message": "body and client_id must be text",
                        }
                    )
                    continue
                try:
                    stored = await on_message(client_id, body)
                except DomainError as exc:
                    await send({"type": "error", "code": exc.code, "message": exc.message,
                                "client_id": client_id})
                else:
                    # A re-sent client id publishes nothing new: answer with the stored copy.
                    await send_message(stored)

        await run_together(forward, heartbeat_loop(send, heartbeat), receive)
