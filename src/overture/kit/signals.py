"""In-transaction signals: a feature reacts to a change in another without importing it.

Receivers run inside the sender's unit of work (they flush, never commit), so their writes
commit or roll back together with the change that caused them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Signal:
    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Callable[..., None]] = []

    def connect(self, receiver: Callable[..., None]) -> Callable[..., None]:
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def send(self, db: Any, obj: Any) -> None:
        """`obj` is the changed object, or the id of a deleted one."""
        for receiver in list(self._receivers):
            receiver(db, obj)


channel_changed = Signal("channel_changed")
channel_deleted = Signal("channel_deleted")
schedule_changed = Signal("schedule_changed")
schedule_deleted = Signal("schedule_deleted")
settings_changed = Signal("settings_changed")
