"""Fixed-window rate limits, in process or shared through Redis."""

from __future__ import annotations

import threading
from typing import Protocol

from overture.kit.clock import utcnow
from overture.kit.errors import TooManyRequests


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int, window: int) -> bool:
        """Count one hit; True while within `limit` hits per `window` seconds."""


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


class RedisRateLimiter:
    def __init__(self, client, prefix: str = "overture:rl:") -> None:
        self._redis = client
        self._prefix = prefix

    def hit(self, key: str, limit: int, window: int) -> bool:
        slot = int(utcnow().timestamp() // window)
        name = f"{self._prefix}{key}:{slot}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window * 2)
        n, _ = pipe.execute()
        return int(n) <= limit


def enforce(limiter: RateLimiter, key: str, limit: int, window: int, what: str) -> None:
    if not limiter.hit(key, limit, window):
        raise TooManyRequests(f"Too many {what}; try again in a minute.", retry_after=window)
