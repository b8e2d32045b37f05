"""How many long-lived connections one caller holds open at once, in this process.

A rate limit counts arrivals; a socket stays. `OpenCounts.hold(keys, limits)` takes a place
under every key (a visitor, an address) or none, and gives the places back when the
connection ends.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


class OpenCounts:
    def __init__(self) -> None:
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, places: Sequence[tuple[str, int]]) -> Iterator[bool]:
        """Yield True holding a place under each `(key, limit)`, or False holding none (one of
        them is full)."""
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
