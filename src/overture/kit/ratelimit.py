"""Fixed-window rate limits, in process or shared through Redis."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from starlette.concurrency import run_in_threadpool

from overture.kit.clock import utcnow
from overture.kit.errors import TooManyRequests

log = logging.getLogger(__name__)
Hit = tuple[str, int, int]  # key, limit, window in seconds


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int, window: int) -> bool:
        """Count one hit; True while within `limit` hits per `window` seconds."""

    def hit_many(self, hits: Sequence[Hit]) -> list[bool]:
        """Count one hit on each key at once."""


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, window: int) -> bool:
        slot = int(utcnow().timestamp() // window)
        with self._lock:
            if len(self._counts) > 100_000:  # bounded memory: forget old windows
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= slot - 1}
            n = self._counts.get((key, slot), 0) + 1
            self._counts[(key, slot)] = n
        return n <= limit

    def hit_many(self, hits: Sequence[Hit]) -> list[bool]:
        return [self.hit(*h) for h in hits]


class RedisRateLimiter:
    """Limits shared by every process; while Redis is away, each process limits on its own."""

    def __init__(self, client, prefix: str = "overture:rl:") -> None:
        self._redis = client
        self._prefix = prefix
        self._local = MemoryRateLimiter()

    def hit(self, key: str, limit: int, window: int) -> bool:
        return self.hit_many([(key, limit, window)])[0]

    def hit_many(self, hits: Sequence[Hit]) -> list[bool]:
        now = utcnow().timestamp()
        pipe = self._redis.pipeline(transaction=False)
        for key, _limit, window in hits:
            name = f"{self._prefix}{key}:{int(now // window)}"
            pipe.incr(name)
            pipe.expire(name, window * 2)
        try:
            replies = pipe.execute()
        except Exception as exc:  # redis.RedisError or a broken socket: degrade, never fail
            log.warning("rate limits are per process while Redis is unavailable: %s", exc)
            return self._local.hit_many(hits)
        return [int(n) <= h[1] for n, h in zip(replies[::2], hits, strict=True)]


async def enforce_many(limiter: RateLimiter, hits: Sequence[tuple[str, int, int, str]]) -> None:
    """Count `(key, limit, window, what)` hits without blocking the event loop on Redis."""
    plain = [(k, n, w) for k, n, w, _what in hits]
    if isinstance(limiter, MemoryRateLimiter):
        results = limiter.hit_many(plain)
    else:
        results = await run_in_threadpool(limiter.hit_many, plain)
    for ok, (_key, _limit, window, what) in zip(results, hits, strict=True):
        if not ok:
            raise TooManyRequests(f"Too many {what}; try again in a minute.",
                                  retry_after=window)


def enforce(limiter: RateLimiter, key: str, limit: int, window: int, what: str) -> None:
    if not limiter.hit(key, limit, window):
        raise TooManyRequests(f"Too many {what}; try again in a minute.", retry_after=window)
