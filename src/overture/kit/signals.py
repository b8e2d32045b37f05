"""Signals: a feature reacts to a change in another without importing it.

Two kinds, one mechanism. In-transaction signals run their receivers inside the sender's
unit of work (they flush, never commit), so their writes commit or roll back together with the
change that caused them. After-commit signals are sent once the change has committed (see
`proactive.events`), never for a rolled-back one.

Receivers are connected in one place, `overture.wiring.connect()`, which the app, the command
line and the benchmarks all call. A signal sent before that raises: a reaction silently missing
(a deleted channel whose messages stay Live) would break the product without a trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class NotWired(RuntimeError):
    pass


class Signal:
    wired = False  # set by overture.wiring.connect()

    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Callable[..., None]] = []

    def connect(self, receiver: Callable[..., None]) -> Callable[..., None]:
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Callable[..., None]) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def send(self, db: Any, obj: Any) -> None:
        """`obj` is the changed object, or the id of a deleted one."""
        if not Signal.wired:
            raise NotWired(f"signal {self.name} sent before overture.wiring.connect()")
        for receiver in list(self._receivers):
            receiver(db, obj)


# In the sender's transaction.
channel_changed = Signal("channel_changed")
channel_deleted = Signal("channel_deleted")
schedule_changed = Signal("schedule_changed")
schedule_deleted = Signal("schedule_deleted")
settings_changed = Signal("settings_changed")
bot_changed = Signal("bot_changed")
bot_deleted = Signal("bot_deleted")
# After commit: the set of channel ids whose live messages or state changed (-1: all).
live_messages_changed = Signal("live_messages_changed")
