"""After-commit announcements that a channel's live messages changed.

Listeners (the decision engine's cache, through the realtime hub) run only once the change has
committed, and never for a rolled-back one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from overture.db import after_commit

ALL_CHANNELS = -1  # in a change set: drop every channel's compiled rules
_listeners: list[Callable[[set[int]], None]] = []


def listen(listener: Callable[[set[int]], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def unlisten(listener: Callable[[set[int]], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def changed(db: Session, *channel_ids: int | None) -> None:
    pending: set[int] | None = db.info.get("pending:proactive_changed")
    if pending is None:
        pending = db.info["pending:proactive_changed"] = set()

        def _announce() -> None:
            ids = db.info.pop("pending:proactive_changed", set())
            for listener in list(_listeners):
                listener(ids)

        after_commit(db, _announce)
    pending.update(c for c in channel_ids if c is not None)
