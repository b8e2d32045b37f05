"""How many long-lived connections one caller holds open at once.

A rate limit counts arrivals; a socket stays. `hold(places)` takes a place under every
`(key, limit)` (a visitor, an address) or none, and gives the places back when the connection
ends.

`OpenCounts` counts in this process. `SharedOpenCounts` counts across every process in Redis:
each place is a sorted set of the connections holding it, scored with when the entry lapses
unless renewed. A background thread renews this process's entries, so those of a process that
died lapse within `TTL` seconds and nothing stays held forever. Opening a socket is rare next to
page views (and rate-limited), so taking a place costs one script call, in a thread. While Redis
is away, places are counted in this process only.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from itertools import count

import anyio

from overture.kit.clock import utcnow

log = logging.getLogger(__name__)
Places = Sequence[tuple[str, int]]

# KEYS: the places; ARGV: now, lapse time, the member, its lifetime in ms, then the limits.
_TAKE = """
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 4]) then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[2], ARGV[3])
  redis.call('PEXPIRE', key, ARGV[4])
end
return 1
"""


class OpenCounts:
    def __init__(self) -> None:
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    @asynccontextmanager
    async def hold(self, places: Places) -> AsyncIterator[bool]:
        """Yield True holding a place under each `(key, limit)`, or False holding none (one of
        them is full)."""
        with self.holding(places) as taken:
            yield taken

    @contextmanager
    def holding(self, places: Places) -> Iterator[bool]:
        with self._lock:
            taken = all(self._open[key] < limit for key, limit in places)
            if taken:
                for key, _limit in places:
                    self._open[key] += 1
        try:
            yield taken
        finally:
            if taken:
                with self._lock:
                    for key, _limit in places:
                        self._open[key] -= 1
                        if not self._open[key]:
                            del self._open[key]

    def reset(self) -> None:
        with self._lock:
            self._open.clear()


class SharedOpenCounts:
    TTL = 60.0  # seconds an entry lives unless renewed
    RENEW_EVERY = 15.0

    def __init__(self, client, prefix: str = "overture:open:") -> None:
        self._redis = client
        self._take = client.register_script(_TAKE)
        self._prefix = prefix
        self._process = secrets.token_hex(6)
        self._serial = count(1)
        self._held: dict[str, list[str]] = {}  # member → its Redis keys, to renew
        self._lock = threading.Lock()
        self._local = OpenCounts()  # while Redis is away
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @staticmethod
    def client(url: str):
        """A Redis client that fails fast: a socket's opening must not wait on a Redis that is
        away (no retries with backoff, short timeouts); it is counted here instead."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1,
                                    retry=Retry(NoBackoff(), 0))

    @asynccontextmanager
    async def hold(self, places: Places) -> AsyncIterator[bool]:
        member = f"{self._process}:{next(self._serial)}"
        keys = [self._prefix + key for key, _limit in places]
        try:
            taken = await anyio.to_thread.run_sync(self._try_take, keys, places, member)
        except Exception as exc:  # redis.RedisError or a broken socket: count here meanwhile
            log.warning("open connections are counted per process while Redis is "
                        "unavailable: %s", exc)
            with self._local.holding(places) as taken_here:
                yield taken_here
            return
        if not taken:
            yield False
            return
        with self._lock:
            self._held[member] = keys
        self._start()
        try:
            yield True
        finally:
            with self._lock:
                self._held.pop(member, None)
            await anyio.to_thread.run_sync(self._give_back, keys, member)

    def _try_take(self, keys: list[str], places: Places, member: str) -> bool:
        now = utcnow().timestamp()
        limits = [limit for _key, limit in places]
        return bool(self._take(keys=keys, args=[now, now + self.TTL, member,
                                                int(self.TTL * 1000), *limits]))

    def _give_back(self, keys: list[str], member: str) -> None:
        try:
            pipe = self._redis.pipeline(transaction=False)
            for key in keys:
                pipe.zrem(key, member)
            pipe.execute()
        except Exception as exc:  # it lapses on its own
            log.warning("could not give back an open connection's place: %s", exc)

    def renew(self) -> None:
        """Push back the lapse time of every place this process holds."""
        with self._lock:
            held = list(self._held.items())
        if not held:
            return
        lapse = utcnow().timestamp() + self.TTL
        pipe = self._redis.pipeline(transaction=False)
        for member, keys in held:
            for key in keys:
                pipe.zadd(key, {member: lapse}, xx=True)
                pipe.pexpire(key, int(self.TTL * 1000))
        pipe.execute()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="open-counts-renew",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.RENEW_EVERY):
            try:
                self.renew()
            except Exception as exc:
                log.warning("could not renew open connections' places: %s", exc)

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(5)
            self._stop.clear()

    def reset(self) -> None:
        self._local.reset()
        with self._lock:
            self._held.clear()
        for name in self._redis.scan_iter(self._prefix + "*"):
            self._redis.delete(name)
