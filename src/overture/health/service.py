"""What readiness checks: the database answers a query, and the hub (Redis, when one is
configured) carries messages. Each check is bounded, so a stuck dependency answers "not
ready" in seconds instead of holding the probe."""

from __future__ import annotations

import asyncio
import logging

from anyio import to_thread
from sqlalchemy import text

from overture.db import Database

log = logging.getLogger(__name__)
CHECK_SECONDS = 2.0


def _query(database: Database) -> None:
    with database.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def check_database(database: Database) -> str:
    try:
        await asyncio.wait_for(to_thread.run_sync(_query, database, abandon_on_cancel=True),
                               CHECK_SECONDS)
    except Exception as exc:  # any failure means not ready; the log says which
        log.warning("readiness: database check failed: %r", exc)
        return "unavailable"
    return "ok"


async def check_hub(hub, uses_redis: bool) -> str:
    if not uses_redis:
        return "not used"
    try:
        await asyncio.wait_for(hub.check(), CHECK_SECONDS)
    except Exception as exc:
        log.warning("readiness: Redis check failed: %r", exc)
        return "unavailable"
    return "ok"
