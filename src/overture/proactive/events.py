"""After-commit announcements that a channel's live messages (or its state) changed.

The receivers of `signals.live_messages_changed` (the widget's channel states, and through the
hub every other process) run only once the change has committed, never for a rolled-back one.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from overture.db import after_commit
from overture.kit import signals

ALL_CHANNELS = -1  # in a change set: drop every channel's state


def changed(db: Session, *channel_ids: int | None) -> None:
    pending: set[int] | None = db.info.get("pending:proactive_changed")
    if pending is None:
        pending = db.info["pending:proactive_changed"] = set()

        def _announce() -> None:
            ids = db.info.pop("pending:proactive_changed", set())
            signals.live_messages_changed.send(None, ids)

        after_commit(db, _announce)
    pending.update(c for c in channel_ids if c is not None)
