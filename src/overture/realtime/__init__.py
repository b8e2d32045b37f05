"""Realtime fan-out of events to connected browsers; see overture.realtime.hub."""

from overture.realtime.hub import (
    Hub,
    HubClosed,
    MemoryHub,
    Message,
    RedisHub,
    Subscription,
    SubscriptionClosed,
    make_hub,
)

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
