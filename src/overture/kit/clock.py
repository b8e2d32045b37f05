"""The one clock. Tests (and only tests) replace it; nothing else reads the wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def freeze(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("clock needs an aware datetime")
        self._frozen = instant.astimezone(UTC)

    def shift_to(self, instant: datetime) -> None:
        """Keep ticking, but from `instant` (browser tests need time to pass)."""
        self._frozen = None
        self._offset = instant.astimezone(UTC) - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def reset(self) -> None:
        self._frozen = None
        self._offset = timedelta(0)


clock = Clock()


def utcnow() -> datetime:
    return clock.now()
