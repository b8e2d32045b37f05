"""Fixed-window rate limits: in process, or shared by every process through Redis.

Counting never waits on the network. The shared limiter counts in memory and, every
`sync_every` seconds, a background thread adds this process's new hits to Redis and learns
how many the other processes made; a hit is judged on this process's own count plus the others'
as last learned. So a limit may be overshot by what the other processes counted within one
sync interval (a process learns of the others' hits on a key at its first sync after a hit of
its own on it) — fine for abuse protection, and it keeps Redis off every request's path. While
Redis is away, each process goes on limiting with what it knows.

Counts are kept per window (`{(window, number): {key: hits}}`): opening a window drops the
ended ones whole, so memory holds the live keys and nothing is ever scanned. In Redis a window
is one hash (`<prefix><window>:<number>`, a field per key) that expires two windows after its
last change, and a sync adds to it with one script call. Why not the `limits` library:
docs/decisions.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from overture.kit.clock import utcnow
from overture.kit.errors import TooManyRequests

log = logging.getLogger(__name__)
Hit = tuple[str, int, int]  # key, limit, window in seconds
Window = tuple[int, int]  # its length in seconds, its number (start // length)
Counts = dict[Window, dict[str, int]]
SYNC_CHUNK = 2_000  # keys per script call, so that Redis is never busy long with one

# KEYS[1]: the window's hash; ARGV: its time to live, then key, hits, key, hits… → the totals.
_ADD = """
local out = {}
for i = 2, #ARGV, 2 do
  out[#out + 1] = redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return out
"""


class RateLimiter(Protocol):
    def hit_many(self, hits: Sequence[Hit]) -> list[bool]:
        """Count one hit on each key; True for each still within `limit` per `window` s."""

    def reset(self) -> None:
        """Forget every count (tests)."""


def _open(counts: Counts, window: Window) -> dict[str, int]:
    """A new window's counts; those of the ended windows of its length are dropped."""
    length, number = window
    for ended in [w for w in counts if w[0] == length and w[1] < number]:
        del counts[ended]
    fresh: dict[str, int] = {}
    counts[window] = fresh
    return fresh


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._counts: Counts = {}
        self._lock = threading.Lock()

    def hit_many(self, hits: Sequence[Hit]) -> list[bool]:
        now = utcnow().timestamp()
        out = []
        with self._lock:
            for key, limit, length in hits:
                window = (length, int(now // length))
                counts = self._counts.get(window)
                if counts is None:
                    counts = _open(self._counts, window)
                n = counts.get(key, 0) + 1
                counts[key] = n
                out.append(n <= limit)
        return out

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class SharedRateLimiter:
    """Counts here; a background thread exchanges counts with the other processes in Redis."""

    def __init__(self, client, prefix: str = "overture:rl:", sync_every: float = 0.25) -> None:
        self._redis = client
        self._add = client.register_script(_ADD)
        self._prefix = prefix
        self.sync_every = sync_every
        self._lock = threading.Lock()
        self._own: Counts = {}  # hits counted in this process
        self._unsent: Counts = {}  # of which not yet in Redis (kept after their window ends)
        self._others: Counts = {}  # the other processes' hits, as last learned
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def hit_many(self, hits: Sequence[Hit]) -> list[bool]:
        if self._thread is None:
            self.start()
        now = utcnow().timestamp()
        out = []
        with self._lock:
            for key, limit, length in hits:
                window = (length, int(now // length))
                own = self._own.get(window)
                if own is None:
                    own = _open(self._own, window)
                    _open(self._others, window)
                n = own.get(key, 0) + 1
                own[key] = n
                unsent = self._unsent.get(window)
                if unsent is None:
                    unsent = self._unsent[window] = {}
                unsent[key] = unsent.get(key, 0) + 1
                out.append(n + self._others[window].get(key, 0) <= limit)
        return out

    def sync(self) -> None:
        """Add this process's new hits to Redis; learn the other processes' counts."""
        with self._lock:
            unsent, self._unsent = self._unsent, {}
        totals: Counts = {}
        try:
            for window, counts in unsent.items():
                name = f"{self._prefix}{window[0]}:{window[1]}"
                learned = totals[window] = {}
                keys = list(counts)
                for i in range(0, len(keys), SYNC_CHUNK):
                    chunk = keys[i:i + SYNC_CHUNK]
                    args: list[str | int] = [window[0] * 2]
                    for key in chunk:
                        args += (key, counts[key])
                    learned.update(zip(chunk, self._add(keys=[name], args=args), strict=True))
        except Exception as exc:  # redis.RedisError or a broken socket: keep counting here
            log.warning("rate limits are per process while Redis is unavailable: %s", exc)
            with self._lock:
                for window, counts in unsent.items():  # what Redis did not get, to send again
                    learned = totals.get(window, {})
                    again = self._unsent.setdefault(window, {})
                    for key, n in counts.items():
                        if key not in learned:
                            again[key] = again.get(key, 0) + n
                self._learn(totals)
            return
        with self._lock:
            self._learn(totals)

    def _learn(self, totals: Counts) -> None:
        for window, learned in totals.items():
            own, others = self._own.get(window), self._others.get(window)
            if own is None or others is None:  # the window has ended
                continue
            unsent = self._unsent.get(window, {})
            for key, total in learned.items():
                # Redis has everything sent so far; what is still unsent is ours alone.
                sent = own.get(key, 0) - unsent.get(key, 0)
                others[key] = max(0, int(total) - sent)

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


def enforce_many(limiter: RateLimiter, hits: Sequence[tuple[str, int, int, str]]) -> None:
    """Count `(key, limit, window, what)` hits; 429 naming the first limit exceeded."""
    results = limiter.hit_many([(k, n, w) for k, n, w, _what in hits])
    for ok, (_key, _limit, window, what) in zip(results, hits, strict=True):
        if not ok:
            raise TooManyRequests(f"Too many {what}; try again in a minute.",
                                  retry_after=window)


def enforce(limiter: RateLimiter, key: str, limit: int, window: int, what: str) -> None:
    enforce_many(limiter, [(key, limit, window, what)])
