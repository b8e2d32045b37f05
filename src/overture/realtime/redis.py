"""Redis hub: every process running a hub on the same Redis and prefix shares the topics.

One pubsub connection per hub carries all local subscriptions; a listener task fans incoming
messages out to the subscription queues and reconnects (re-subscribing) when the link drops.
Why not redis-py's `PubSub`: it cost a third more CPU per message, and its health check does not
notice a link gone silent (docs/decisions.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import uuid
from collections import deque

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection, ConnectionPool, parse_url
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from overture.realtime.base import DEFAULT_QUEUE_SIZE, BaseHub, HubClosed, Subscription, log

# What a broken or refused connection raises: redis-py wraps most socket errors, not all.
_LINK_ERRORS = (RedisError, OSError)

_PUBLISH_BATCH = 100
_CONNECT_TIMEOUT = 5.0
_STABLE_LINK = 5.0  # a link that lived this long (seconds) resets the reconnect backoff


async def _cancel(task: asyncio.Task[None] | None, name: str) -> None:
    """Cancel a background task, waiting briefly: one stuck in a library must not hang stop()."""
    if task is None:
        return
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2.0)
    if not done:
        log.warning("the hub's %s task did not stop within 2s; abandoning it", name)
    elif not task.cancelled() and task.exception() is not None:
        log.error("the hub's %s task had crashed", name, exc_info=task.exception())


def _client_name(prefix: str) -> str:
    # CLIENT SETNAME refuses spaces and control characters.
    return re.sub(r"[^!-~]", "_", f"{prefix}hub-{uuid.uuid4().hex[:12]}")


class RedisHub(BaseHub):
    """Hub on Redis pub/sub; channels are ``prefix + topic``, messages JSON.

    ``client_name`` (set on all its connections) tells this hub's connections apart in
    CLIENT LIST. ``confirm_timeout`` bounds how long entering a subscription waits for Redis,
    ``ping_interval`` how long a silent pubsub link goes before it is probed.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "overture:",
        queue_size: int = DEFAULT_QUEUE_SIZE,
        confirm_timeout: float = 10.0,
        ping_interval: float = 30.0,
        outbox_size: int = 10_000,
        backoff_min: float = 0.1,
        backoff_max: float = 5.0,
    ) -> None:
        super().__init__(queue_size=queue_size)
        self.prefix = prefix
        self.client_name = _client_name(prefix)
        self._url = url
        self._confirm_timeout = confirm_timeout
        self._ping_interval = ping_interval
        self._outbox_size = outbox_size
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._client: Redis | None = None
        self._link_pool: ConnectionPool | None = None
        # The pubsub link and what was sent on it. All writes to it happen under _lock so
        # that the PINGs, whose PONGs we count, go out in the order of _pongs.
        self._link: AbstractConnection | None = None
        self._link_up = asyncio.Event()
        self._lock = asyncio.Lock()
        self._wire: set[str] = set()  # topics whose last command on the link was SUBSCRIBE
        self._sub_ready: dict[str, asyncio.Future[None]] = {}  # PONG after that SUBSCRIBE
        self._pongs: deque[asyncio.Future[None]] = deque()
        self._listener: asyncio.Task[None] | None = None
        self._resyncs: set[asyncio.Task[None]] = set()
        # publish_threadsafe() goes through one ordered queue and one sender task, so messages
        # from one thread reach Redis in the order they were published.
        self._outbox: deque[tuple[str, str]] = deque()
        self._outbox_ready = asyncio.Event()
        self._outbox_full = False
        self._sender: asyncio.Task[None] | None = None

    def _channel(self, topic: str) -> str:
        return self.prefix + topic

    async def _check_backend(self) -> None:
        if self._client is None or not self._link_up.is_set():
            raise ConnectionError("the Redis pub/sub link is down (reconnecting)")
        await asyncio.wait_for(self._client.ping(), timeout=2.0)

    # -- lifecycle ----------------------------------------------------------------------

    async def _start_backend(self) -> None:
        self._client = Redis.from_url(
            self._url,
            client_name=self.client_name,
            # Short retries: a realtime message is worthless after seconds.
            retry=Retry(ExponentialWithJitterBackoff(cap=1.0, base=0.05), 3),
            socket_connect_timeout=_CONNECT_TIMEOUT,
            socket_timeout=5,
        )
        options = parse_url(self._url)
        # A connection of our own per attempt, never retried or re-subscribed by redis-py
        # behind our back (we do both), speaking RESP2 so replies are plain lists.
        # No socket_timeout: with one, redis-py writes through asyncio.wait_for, which on
        # Python 3.11 can swallow a cancellation (then stop() could not stop the listener).
        # Reads and the handshake get explicit timeouts instead.
        self._link_pool = ConnectionPool(
            **{
                "socket_connect_timeout": _CONNECT_TIMEOUT,
                **options,
                "client_name": self.client_name,
                "protocol": 2,
                "retry": Retry(NoBackoff(), 0),
                "health_check_interval": 0,
                "socket_timeout": None,
            }
        )
        try:
            link = await self._open_link()  # fail start() loudly if Redis is unreachable
        except BaseException:
            await self._close_clients()
            raise
        loop = asyncio.get_running_loop()
        self._listener = loop.create_task(self._listen(link), name="overture-hub-listener")
        self._sender = loop.create_task(self._send_outbox(), name="overture-hub-sender")

    async def _stop_backend(self) -> None:
        if self._link is not None:
            await self._drop_link(self._link)
        await _cancel(self._listener, "listener")
        if self._link is not None:  # opened by the listener just before it was cancelled
            await self._drop_link(self._link)
        # Wakes subscribers still waiting for a link: they find the hub stopped and raise.
        self._link_up.set()
        if self._sender is not None:
            # The sender flushes what threads already published, then returns (hub stopped).
            self._outbox_ready.set()
            done, _ = await asyncio.wait({self._sender}, timeout=1.0)
            if not done:
                log.warning("dropped %d unsent message(s) at stop", len(self._outbox))
                await _cancel(self._sender, "sender")
        await self._close_clients()

    async def _close_clients(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
        if self._link_pool is not None:
            with contextlib.suppress(Exception):
                await self._link_pool.disconnect()

    # -- the pubsub link ----------------------------------------------------------------

    async def _open_link(self) -> AbstractConnection:
        """Connect and subscribe to every topic that has a local subscriber."""
        assert self._link_pool is not None
        conn = self._link_pool.make_connection()
        try:
            async with asyncio.timeout(_CONNECT_TIMEOUT * 2):  # TCP connect, then handshake
                await conn.connect()
            async with self._lock:
                if self._stopped:
                    raise HubClosed("the hub stopped while reconnecting")
                topics = sorted(self._subs)
                self._pongs.clear()
                if topics:
                    channels = [self._channel(t) for t in topics]
                    await self._send(conn, "SUBSCRIBE", *channels)
                ready = await self._ping(conn)
                self._wire = set(topics)
                self._sub_ready = dict.fromkeys(topics, ready)
                self._link = conn
                self._link_up.set()
        except BaseException:
            with contextlib.suppress(Exception):
                await conn.disconnect(nowait=True)
            raise
        return conn

    @staticmethod
    async def _send(conn: AbstractConnection, *args: str) -> None:
        """Write a command to a pubsub link (lock held); never reconnects it implicitly."""
        # redis-py reconnects a closed connection on send; for the link that would mean a
        # socket subscribed to nothing, so a closed link is an error here.
        if not conn.is_connected:
            raise RedisConnectionError("the pubsub link is closed")
        await conn.send_command(*args, check_health=False)

    async def _ping(self, conn: AbstractConnection) -> asyncio.Future[None]:
        """Send PING (lock held); the future resolves once Redis has processed all before it."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Queued before sending: the PONG may be read while send_command is still draining.
        self._pongs.append(fut)
        await self._send(conn, "PING")
        return fut

    async def _drop_link(self, link: AbstractConnection) -> None:
        """Forget the link and close it, which also wakes the listener to reconnect."""
        self._link_failed(link)
        with contextlib.suppress(Exception):
            await link.disconnect(nowait=True)

    def _link_failed(self, link: AbstractConnection) -> None:
        """Forget a dead link (synchronously, so no send can slip in); see _drop_link."""
        if self._link is not link:
            return
        self._link = None
        self._link_up.clear()
        self._wire.clear()
        self._sub_ready.clear()
        for fut in self._pongs:  # their waiters retry on the next link
            fut.cancel()
        self._pongs.clear()

    async def _listen(self, link: AbstractConnection | None) -> None:
        loop = asyncio.get_running_loop()
        delay = self._backoff_min
        opened_at = loop.time()
        while not self._stopped:
            try:
                if link is None:
                    link = await self._open_link()
                    opened_at = loop.time()
                    log.info("Redis pubsub reconnected (%d topics)", len(self._wire))
                    self._resync_when_subscribed()
                await self._read(link)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopped:
                    return
                if link is not None:
                    await self._drop_link(link)
                    if loop.time() - opened_at > _STABLE_LINK:
                        delay = self._backoff_min  # it was working: retry fast
                link = None
                log.warning(
                    "Redis pubsub link failed (%s: %s); reconnecting in ~%.1fs",
                    type(exc).__name__,
                    exc,
                    delay,
                )
            # Jitter spreads the reconnects of many processes after a Redis restart.
            await asyncio.sleep(random.uniform(delay / 2, delay))
            delay = min(delay * 2, self._backoff_max)

    def _resync_when_subscribed(self) -> None:
        """Once the new link's subscriptions are confirmed, every subscriber resynchronises:
        what was published while the link was down may never arrive."""
        ready = next(iter(self._sub_ready.values()), None)

        async def resync() -> None:
            if ready is not None:
                with contextlib.suppress(Exception):
                    await ready
            self._resync_everyone()

        task = asyncio.create_task(resync())
        self._resyncs.add(task)
        task.add_done_callback(self._resyncs.discard)

    async def _read(self, link: AbstractConnection) -> None:
        """Read replies until the link fails; probe it with PING when it goes quiet."""
        awaiting_pong = False
        while True:
            # disconnect_on_error=False: the link must be forgotten (_link_failed) before it
            # is torn down, or a SUBSCRIBE could be written to it halfway through.
            reply = await link.read_response(timeout=self._ping_interval, disconnect_on_error=False)
            if reply is None:  # quiet for ping_interval
                if awaiting_pong:
                    raise RedisConnectionError("no reply to PING")
                async with self._lock:
                    if self._link is not link:
                        raise RedisConnectionError("link was dropped")
                    await self._ping(link)
                awaiting_pong = True
                continue
            awaiting_pong = False
            try:
                self._on_reply(reply)
            except Exception:
                log.exception("failed to handle a Redis pubsub reply")

    def _on_reply(self, reply: object) -> None:
        if isinstance(reply, list) and reply:
            kind = reply[0]
            if kind == b"message" and len(reply) == 3:
                self._on_message(reply[1], reply[2])
            elif kind == b"pong":
                self._on_pong()
            # (un)subscribe confirmations need nothing: the PING sent after them is awaited.
        elif reply == b"PONG":  # a PING while subscribed to nothing
            self._on_pong()

    def _on_pong(self) -> None:
        if self._pongs:
            fut = self._pongs.popleft()
            if not fut.done():
                fut.set_result(None)

    def _on_message(self, channel: bytes, data: bytes) -> None:
        name = channel.decode("utf-8", "replace")
        if not name.startswith(self.prefix):
            return
        topic = name[len(self.prefix) :]
        if topic not in self._subs:  # in flight when the last local subscriber left
            return
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("ignored a message on %r that is not JSON", name)
            return
        if not isinstance(message, dict):
            log.warning("ignored a message on %r that is not a JSON object", name)
            return
        self._fanout(topic, message)

    # -- subscriptions ------------------------------------------------------------------

    async def _attach(self, sub: Subscription) -> None:
        self._check_running("subscribe")
        self._register(sub)
        try:
            async with asyncio.timeout(self._confirm_timeout):
                while not await self._confirm(sub):
                    pass
        except TimeoutError:
            await self._detach(sub)
            raise TimeoutError(
                f"Redis did not confirm a subscription to {sorted(sub.topics)} "
                f"within {self._confirm_timeout}s"
            ) from None
        except BaseException:
            await self._detach(sub)
            raise

    async def _confirm(self, sub: Subscription) -> bool:
        """One try at making ``sub``'s topics live on the current link; False to retry."""
        await self._link_up.wait()
        self._check_running("subscribe")
        async with self._lock:
            link = self._link
            if link is None:
                return False
            missing = [t for t in sub.topics if t not in self._wire]
            if missing:
                try:
                    channels = [self._channel(t) for t in missing]
                    await self._send(link, "SUBSCRIBE", *channels)
                    ready = await self._ping(link)
                # Not only RedisError: a write racing the link's teardown can fail oddly.
                except Exception as exc:
                    log.warning("SUBSCRIBE failed (%r); waiting for reconnect", exc)
                    await self._drop_link(link)
                    return False
                self._wire.update(missing)
                for topic in missing:
                    self._sub_ready[topic] = ready
            waits = {self._sub_ready[t] for t in sub.topics}
        # The PONG after the latest SUBSCRIBE of each topic: Redis has subscribed by then.
        # asyncio.wait, not await: other subscribers share these futures; never cancel them.
        await asyncio.wait(waits)
        return not any(fut.cancelled() for fut in waits)

    async def _detach(self, sub: Subscription) -> None:
        emptied = self._unregister(sub)
        if not emptied or self._stopped:
            return
        async with self._lock:
            link = self._link
            # Re-checked under the lock: someone may have subscribed again meanwhile.
            gone = [t for t in emptied if t not in self._subs and t in self._wire]
            if link is None or not gone:
                return
            self._wire.difference_update(gone)
            for topic in gone:
                self._sub_ready.pop(topic, None)
            try:
                channels = [self._channel(t) for t in gone]
                await self._send(link, "UNSUBSCRIBE", *channels)
            except Exception as exc:
                log.warning("UNSUBSCRIBE failed (%r); reconnecting", exc)
                await self._drop_link(link)

    # -- publishing ---------------------------------------------------------------------

    async def _publish(self, topic: str, payload: str) -> None:
        assert self._client is not None
        try:
            await self._client.publish(self._channel(topic), payload)
        except Exception as exc:
            if self._stopped:  # the client was closed under us: say so, not AttributeError
                raise HubClosed("cannot publish: the hub stopped") from exc
            raise

    def _publish_soon(self, topic: str, payload: str) -> None:
        if self._stopped:
            log.warning("hub stopped; dropped a message for %r", topic)
            return
        if len(self._outbox) >= self._outbox_size:
            self._outbox.popleft()
            if not self._outbox_full:
                self._outbox_full = True
                log.warning(
                    "Redis publish backlog full (%d); dropping the oldest",
                    self._outbox_size,
                )
        self._outbox.append((self._channel(topic), payload))
        self._outbox_ready.set()

    async def _send_outbox(self) -> None:
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            await self._flush_outbox()
            if self._stopped:
                return

    async def _flush_outbox(self) -> None:
        assert self._client is not None
        while self._outbox:
            batch = [self._outbox.popleft() for _ in range(min(len(self._outbox), _PUBLISH_BATCH))]
            if not self._outbox:
                self._outbox_full = False
            try:
                # One round trip per batch; transaction=False keeps it a plain pipeline.
                async with self._client.pipeline(transaction=False) as pipe:
                    for channel, payload in batch:
                        pipe.publish(channel, payload)
                    await pipe.execute()
            except Exception as exc:
                log.warning(
                    "dropped %d published message(s): %s",
                    len(batch),
                    exc,
                    exc_info=not isinstance(exc, _LINK_ERRORS),
                )
