"""Cross-feature reactions, registered in one visible place.

`connect()` is called by `create_app`, the command line and the benchmarks; any script that
changes data through the services must call it too (a signal sent before it raises). Nothing
depends on which modules happen to be imported.

- a channel changes or is deleted → its messages turn Contains errors if now invalid
  (in the transaction);
- a schedule is deleted → the messages that use it turn Contains errors (in the transaction);
- a bot is unpublished, deleted, changed or loses an answer → the messages whose bot response
  it is turn Contains errors if now invalid (in the transaction); a channel's bot is
  disconnected → as a channel change;
- messaging or the agent workspace is switched off → every Live or Paused message turns
  Contains errors (in the transaction);
- live messages, a channel, a schedule or the settings changed → every process drops the
  channel states it holds (after commit: at once here, through the hub elsewhere).

§4 rule 1 (nothing while a conversation is open) is not a reaction: the page view loads it
with the customer's state (visitors/state.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from overture.kit import signals
from overture.proactive import service as proactive

RULES_TOPIC = "proactive-rules"


def connect() -> None:
    """Register every in-transaction reaction (idempotent)."""
    signals.channel_changed.connect(proactive.on_channel_changed)
    signals.channel_deleted.connect(proactive.on_channel_deleted)
    signals.schedule_changed.connect(proactive.on_schedule_changed)
    signals.schedule_deleted.connect(proactive.on_schedule_deleted)
    signals.settings_changed.connect(proactive.on_settings_changed)
    signals.bot_changed.connect(proactive.on_bot_changed)
    signals.bot_deleted.connect(proactive.on_bot_deleted)
    signals.Signal.wired = True


@asynccontextmanager
async def follow_changes(app) -> AsyncIterator[None]:
    """While the app runs: after-commit changes drop this process's channel states at once
    and every other process's through the hub."""
    hub, states = app.state.hub, app.state.channels
    # This process dropped its states at once: its own announcement, coming back through the
    # hub, would only make it load them again.
    origin = secrets.token_hex(8)

    def on_change(_db, channel_ids: set[int]) -> None:
        states.invalidate(channel_ids)
        hub.publish_threadsafe(RULES_TOPIC, {"channels": sorted(channel_ids), "origin": origin})

    async def listen(ready: asyncio.Event) -> None:
        async with hub.subscribe(RULES_TOPIC) as sub:
            ready.set()
            async for _topic, message in sub:
                if message.get("origin") != origin:  # a resync has no origin: drop them all
                    states.invalidate(message.get("channels") or [-1])

    ready = asyncio.Event()
    follower = asyncio.create_task(listen(ready))
    await asyncio.wait_for(ready.wait(), 10)
    signals.live_messages_changed.connect(on_change)
    try:
        yield
    finally:
        signals.live_messages_changed.disconnect(on_change)
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await follower
