"""What every hub backend shares: the subscription queue, topic bookkeeping and lifecycle."""

from __future__ import annotations

import asyncio
import json
import logging
from abc import ABC, abstractmethod
from collections import deque
from types import TracebackType
from typing import Any

log = logging.getLogger("overture.realtime")

Message = dict[str, Any]

DEFAULT_QUEUE_SIZE = 1000

_NEW, _RUNNING, _STOPPED = "new", "running", "stopped"


class HubClosed(RuntimeError):
    """The hub is stopped: nothing can be subscribed or published any more."""


class SubscriptionClosed(RuntimeError):
    """The subscription was left or its hub stopped, and its queue is empty."""


def encode(message: Message) -> str:
    """Serialise a message up front so a bad one fails in the caller, on every backend."""
    if not isinstance(message, dict):
        raise TypeError(f"a hub message must be a dict, not {type(message).__name__}")
    # allow_nan=False: browsers' JSON.parse rejects NaN/Infinity.
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def check_topics(topics: tuple[str, ...]) -> None:
    if not topics:
        raise ValueError("subscribe() needs at least one topic")
    for topic in topics:
        check_topic(topic)


# Delivered to every subscription when the hub's link to other processes comes back: what
# was published meanwhile may be lost, so subscribers read the database again.
RESYNC: Message = {"type": "resync"}


def check_topic(topic: str) -> None:
    if not isinstance(topic, str) or not topic:
        raise ValueError(f"a topic must be a non-empty string, not {topic!r}")


class Subscription:
    """Messages for a set of topics, in a bounded queue of their own.

    Use as ``async with hub.subscribe("a", "b") as sub:`` then ``async for topic, msg in sub``
    or ``await sub.get(timeout=...)``. Messages are shared between subscribers of the same
    publish: treat them as read-only.
    """

    def __init__(self, hub: BaseHub, topics: tuple[str, ...], maxsize: int) -> None:
        self.topics: frozenset[str] = frozenset(topics)
        self.dropped = 0
        self._hub = hub
        self._maxsize = maxsize
        self._items: deque[tuple[str, Message]] = deque()
        self._ready = asyncio.Event()
        self._state = _NEW
        self._overflowing = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"<Subscription {sorted(self.topics)} {self._state} queued={len(self._items)}>"

    async def __aenter__(self) -> Subscription:
        if self._state != _NEW:
            raise RuntimeError("a subscription can be entered only once")
        self._loop = asyncio.get_running_loop()
        self._state = _RUNNING
        try:
            await self._on_hub_loop(self._hub._attach)
        except BaseException:
            self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state == _RUNNING:
            self._close()
            await self._on_hub_loop(self._hub._detach)

    async def _on_hub_loop(self, step) -> None:
        """Run a hub step on the hub's own loop (its connections live there)."""
        hub_loop = self._hub._loop
        if hub_loop is None or hub_loop is asyncio.get_running_loop():
            await step(self)
            return
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(step(self), hub_loop))

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> tuple[str, Message]:
        try:
            return await self.get()
        except SubscriptionClosed:
            raise StopAsyncIteration from None

    async def get(self, timeout: float | None = None) -> tuple[str, Message]:
        """The next ``(topic, message)``; TimeoutError after ``timeout`` seconds."""
        if self._state == _NEW:
            raise RuntimeError("enter the subscription with 'async with' before reading it")
        async with asyncio.timeout(timeout):
            while not self._items:
                if self._state == _STOPPED:
                    raise SubscriptionClosed("subscription closed")
                self._ready.clear()
                await self._ready.wait()
        item = self._items.popleft()
        if not self._items:
            self._overflowing = False
        return item

    def _deliver(self, topic: str, message: Message) -> None:
        """Queue a message. Never blocks: drops the oldest instead.

        A subscriber may live on another event loop than the hub's (a server thread beside
        the hub's own loop): then the message is handed over to the subscriber's loop.
        """
        if self._state == _STOPPED:
            return
        loop = self._loop
        if loop is not None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(self._deliver, topic, message)
                return
        if len(self._items) >= self._maxsize:
            self._items.popleft()
            self.dropped += 1
            if not self._overflowing:
                # One warning per overflow episode (until the reader catches up), not per drop.
                self._overflowing = True
                log.warning("%r is full (%d); dropping its oldest messages", self, self._maxsize)
        self._items.append((topic, message))
        self._ready.set()

    def _close(self) -> None:
        self._state = _STOPPED
        self._ready.set()


class BaseHub(ABC):
    """Lifecycle, topic registry and thread hand-off; backends move the bytes."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._state = _NEW
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subs: dict[str, set[Subscription]] = {}
        self._stopping: asyncio.Future[None] | None = None

    async def start(self) -> None:
        """Bind to the running loop and connect; a second call is a no-op."""
        if self._state == _RUNNING:
            return
        if self._state == _STOPPED:
            raise HubClosed("this hub was stopped; make a new one")
        self._loop = asyncio.get_running_loop()
        await self._start_backend()
        self._state = _RUNNING

    async def stop(self) -> None:
        """Close every subscription and connection. Idempotent; concurrent calls share one."""
        if self._stopping is None:
            self._state = _STOPPED
            self._stopping = asyncio.ensure_future(self._shutdown())
        # Shielded so a caller cancelled mid-shutdown does not leave connections half-closed.
        await asyncio.shield(self._stopping)

    async def check(self) -> None:
        """Raise unless this hub can carry messages now (for readiness probes)."""
        if self._state != _RUNNING or self._loop is None:
            raise HubClosed("the hub is not running")
        if asyncio.get_running_loop() is self._loop:
            await self._check_backend()
        else:  # asked from another event loop (a test client's): the check runs on the hub's
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(self._check_backend(), self._loop))

    async def _check_backend(self) -> None:
        """What the backend adds to `check`: nothing for one in-process hub."""
        return None

    def _resync_everyone(self) -> None:
        """Tell every subscriber that events may have been lost (the backend was away): each
        reads again from the database what it shows. Call on the hub's loop."""
        for topic, subs in list(self._subs.items()):
            for sub in list(subs):
                sub._deliver(topic, dict(RESYNC))

    async def _shutdown(self) -> None:
        for subs in self._subs.values():
            for sub in subs:
                sub._close()
        self._subs.clear()
        await self._stop_backend()

    def subscribe(self, *topics: str) -> Subscription:
        """A subscription to ``topics``, live once entered with ``async with``."""
        self._check_running("subscribe")
        check_topics(topics)
        return Subscription(self, topics, self._queue_size)

    async def publish(self, topic: str, message: Message) -> None:
        """Send ``message`` to every subscriber of ``topic``."""
        self._check_running("publish")
        check_topic(topic)
        await self._publish(topic, encode(message))

    def publish_threadsafe(self, topic: str, message: Message) -> None:
        """Fire-and-forget publish from any thread, e.g. a sync FastAPI handler.

        Raises only for caller bugs (hub never started, bad topic, message not JSON);
        backend failures, and publishing during shutdown, are logged and the message dropped.
        """
        if self._state == _NEW or self._loop is None:
            raise RuntimeError("publish_threadsafe() before start()")
        check_topic(topic)
        payload = encode(message)
        if self._state == _STOPPED:
            log.warning("hub stopped; dropped a message for %r", topic)
            return
        try:
            self._loop.call_soon_threadsafe(self._publish_soon, topic, payload)
        except RuntimeError:  # the loop is closed: we are shutting down
            log.warning("event loop closed; dropped a message for %r", topic)

    @property
    def _stopped(self) -> bool:
        return self._state == _STOPPED

    def _check_running(self, what: str) -> None:
        if self._state == _STOPPED:
            raise HubClosed(f"cannot {what}: the hub is stopped")
        if self._state == _NEW:
            raise RuntimeError(f"cannot {what}: call start() first")

    def _register(self, sub: Subscription) -> list[str]:
        """Add ``sub`` to its topics; return the topics that had no local subscriber."""
        new = [t for t in sub.topics if t not in self._subs]
        for topic in sub.topics:
            self._subs.setdefault(topic, set()).add(sub)
        return new

    def _unregister(self, sub: Subscription) -> list[str]:
        """Remove ``sub``; return the topics it was the last local subscriber of."""
        emptied = []
        for topic in sub.topics:
            subs = self._subs.get(topic)
            if subs is None:
                continue
            subs.discard(sub)
            if not subs:
                del self._subs[topic]
                emptied.append(topic)
        return emptied

    def _fanout(self, topic: str, message: Message) -> None:
        for sub in tuple(self._subs.get(topic, ())):
            sub._deliver(topic, message)

    async def _attach(self, sub: Subscription) -> None:
        """Make ``sub`` live; return only once a publish after it is sure to reach it."""
        self._check_running("subscribe")
        self._register(sub)

    async def _detach(self, sub: Subscription) -> None:
        self._unregister(sub)

    @abstractmethod
    async def _start_backend(self) -> None: ...

    @abstractmethod
    async def _stop_backend(self) -> None: ...

    @abstractmethod
    async def _publish(self, topic: str, payload: str) -> None: ...

    @abstractmethod
    def _publish_soon(self, topic: str, payload: str) -> None:
        """Publish an encoded message without awaiting; runs on the hub's loop."""
