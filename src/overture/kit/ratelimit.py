"""Fixed-window rate limits: in process, or shared by every process through Redis.

Counting never waits on the network. The shared limiter counts in memory and, every
`sync_every` seconds, a background thread adds this process's new hits to Redis and learns
how many the other processes made; a hit is judged on this process's own count plus the others'
as last learned. So a limit may be overshot by what the other processes counted within one
sync interval (a process learns of the others' hits on a key at its first sync after a hit of
its own on it) — fine for abuse protection, and it keeps Redis off every request's path. While
Redis is away, each process goes on limiting with what it knows.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from overture.kit.clock import utcnow
from overture.kit.errors import TooManyRequests

log = logging.getLogger(__name__)
Hit = tuple[str, int, int]  # key, limit, window in seconds
Slot = tuple[str, int, int]  # key, window, window number
MAX_SLOTS = 100_000  # bounded memory: past windows are forgotten beyond this


class RateLimiter(Protocol):
    def hit_many(self, hits: Sequence[Hit]) -> list[bool]:
        """Count one hit on each key; True for each still within `limit` per `window` s."""

    def reset(self) -> None:
        """Forget every count (tests)."""


def _slot(key: str, window: int, now: float) -> Slot:
    return key, window, int(now // window)


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._counts: dict[Slot, int] = {}
        self._lock = threading.Lock()

    def hit_many(self, hits: Sequence[Hit]) -> list[bool]:
        now = utcnow().timestamp()
        out = []
        with self._lock:
            if len(self._counts) > MAX_SLOTS:
                self._counts = {s: n for s, n in self._counts.items()
                                if s[2] >= int(now // s[1]) - 1}
            for key, limit, window in hits:
                slot = _slot(key, window, now)
                n = self._counts.get(slot, 0) + 1
                self._counts[slot] = n
                out.append(n <= limit)
        return out

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class SharedRateLimiter:
    """Counts here; a background thread exchanges counts with the other processes in Redis."""

    def __init__(self, client, prefix: str = "overture:rl:", sync_every: float = 0.25) -> None:
        self._redis = client
        self._prefix = prefix
        self.sync_every = sync_every
        self._lock = threading.Lock()
        self._own: dict[Slot, int] = {}  # hits counted in this process
        self._unsent: dict[Slot, int] = defaultdict(int)  # of which not yet in Redis
        self._others: dict[Slot, int] = {}  # the other processes' hits, as last learned
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def hit_many(self, hits: Sequence[Hit]) -> list[bool]:
        if self._thread is None:
            self.start()
        now = utcnow().timestamp()
        out = []
        with self._lock:
            if len(self._own) > MAX_SLOTS:
                self._forget(now)
            for key, limit, window in hits:
                slot = _slot(key, window, now)
                n = self._own.get(slot, 0) + 1
                self._own[slot] = n
                self._unsent[slot] += 1
                out.append(n + self._others.get(slot, 0) <= limit)
        return out

    def sync(self) -> None:
        """Add this process's new hits to Redis; learn the other processes' counts."""
        with self._lock:
            unsent, self._unsent = self._unsent, defaultdict(int)
        if not unsent:
            return
        pipe = self._redis.pipeline(transaction=False)
        for (key, window, number), n in unsent.items():
            name = f"{self._prefix}{key}:{window}:{number}"
            pipe.incrby(name, n)
            pipe.expire(name, window * 2)
        try:
            replies = pipe.execute()
        except Exception as exc:  # redis.RedisError or a broken socket: keep counting here
            log.warning("rate limits are per process while Redis is unavailable: %s", exc)
            with self._lock:
                for slot, n in unsent.items():
                    self._unsent[slot] += n
            return
        with self._lock:
            for slot, total in zip(unsent, replies[::2], strict=True):
                # Redis has everything sent so far; what is still unsent is ours alone.
                self._others[slot] = max(0, int(total) - (self._own.get(slot, 0)
                                                          - self._unsent.get(slot, 0)))

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="rate-limit-sync",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(5)

    def reset(self) -> None:
        self.sync()
        with self._lock:
            self._own.clear()
            self._unsent.clear()
            self._others.clear()
        for name in self._redis.scan_iter(self._prefix + "*"):
            self._redis.delete(name)

    def _run(self) -> None:
        while not self._stop.wait(self.sync_every):
            try:
                self.sync()
            except Exception:
                log.exception("rate-limit sync failed")

    def _forget(self, now: float) -> None:
        def current(s: Slot) -> bool:
            return s[2] >= int(now // s[1]) - 1

        self._own = {s: n for s, n in self._own.items() if current(s)}
        self._others = {s: n for s, n in self._others.items() if current(s)}


def enforce_many(limiter: RateLimiter, hits: Sequence[tuple[str, int, int, str]]) -> None:
    """Count `(key, limit, window, what)` hits; 429 naming the first limit exceeded."""
    results = limiter.hit_many([(k, n, w) for k, n, w, _what in hits])
    for ok, (_key, _limit, window, what) in zip(results, hits, strict=True):
        if not ok:
            raise TooManyRequests(f"Too many {what}; try again in a minute.",
                                  retry_after=window)


def enforce(limiter: RateLimiter, key: str, limit: int, window: int, what: str) -> None:
    enforce_many(limiter, [(key, limit, window, what)])
