"""The realtime hub: publish/subscribe by topic, in-process or across processes via Redis.

Topics are plain strings ("channel:abc123", "conversation:42"); messages are JSON-serialisable
dicts. Every subscriber of a topic gets every message published to it after its
``async with hub.subscribe(...)`` has been entered, in publish order per publisher.
"""

from __future__ import annotations

from typing import Protocol

from overture.realtime.base import HubClosed, Message, Subscription, SubscriptionClosed
from overture.realtime.memory import MemoryHub
from overture.realtime.redis import RedisHub

__all__ = [
    "Hub",
    "HubClosed",
    "MemoryHub",
    "Message",
    "RedisHub",
    "Subscription",
    "SubscriptionClosed",
    "make_hub",
]


class Hub(Protocol):
    """What the app uses; MemoryHub and RedisHub both provide it."""

    async def start(self) -> None:
        """Connect and spawn the listener; binds the hub to the running event loop."""
        ...

    async def stop(self) -> None:
        """Close every subscription and connection; idempotent."""
        ...

    async def publish(self, topic: str, message: Message) -> None:
        """Send a JSON-serialisable dict to every subscriber of ``topic``."""
        ...

    def publish_threadsafe(self, topic: str, message: Message) -> None:
        """Fire-and-forget publish from any thread after start(); logs backend errors."""
        ...

    def subscribe(self, *topics: str) -> Subscription:
        """Async context manager and async iterator of ``(topic, message)``."""
        ...


def make_hub(redis_url: str | None, *, prefix: str = "overture:") -> Hub:
    """A Redis hub when ``redis_url`` is set, else an in-process one (single process only)."""
    if redis_url:
        return RedisHub(redis_url, prefix=prefix)
    return MemoryHub()
