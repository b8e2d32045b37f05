"""Events into the outbox, in the transaction of the change they tell of.

One statement per event writes a delivery for every active webhook subscribed to its type
(none: nothing written). It is a hot statement (kit/hotsql.py), so the widget's lane runs it
in its batch as well as a unit of work does through its connection; either way it commits,
or rolls back, with the event.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from overture.db import after_commit
from overture.kit import hotsql
from overture.kit.clock import utcnow
from overture.kit.hotsql import Step, Steps

_ENQUEUE = hotsql.HotSQL("""
    INSERT INTO webhook_deliveries (webhook_id, event_id, event, payload, status, attempts,
                                    next_attempt_at, created_at)
    SELECT id, :event_id, :event, :payload, 'pending', 0, :now, :now
    FROM webhooks WHERE active AND events LIKE :pattern
""")

# The page-view path knows the webhooks that take an event (its channel state): by primary
# key, which costs a third of matching the events column. One deleted or turned off since the
# state was loaded is skipped.
_ENQUEUE_TO = hotsql.HotSQL("""
    INSERT INTO webhook_deliveries (webhook_id, event_id, event, payload, status, attempts,
                                    next_attempt_at, created_at)
    SELECT id, :event_id, :event, :payload, 'pending', 0, :now, :now
    FROM webhooks WHERE id = :webhook_id AND active
""")

# The workers of this process, woken when a unit of work has committed events (others find
# them by polling).
_wakers: list[Callable[[], None]] = []


def add_waker(wake: Callable[[], None]) -> None:
    _wakers.append(wake)


def remove_waker(wake: Callable[[], None]) -> None:
    if wake in _wakers:
        _wakers.remove(wake)


def wake_workers() -> None:
    for wake in list(_wakers):
        wake()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def envelope(event: str, data: dict[str, Any], now: datetime,
             event_id: str | None = None) -> tuple[str, str]:
    """The event's id and the body its receivers get."""
    event_id = event_id or "evt_" + uuid.uuid4().hex
    body = {"id": event_id, "type": event, "created_at": _iso(now), "data": data}
    return event_id, json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def step(event: str, data: dict[str, Any], now: datetime) -> Step:
    """The statement that puts the event in the outbox (for a job's steps)."""
    event_id, payload = envelope(event, data, now)
    return hotsql.count(_ENQUEUE, event_id=event_id, event=event, payload=payload, now=now,
                        pattern=f"%,{event},%")


def steps_to(webhook_ids: tuple[int, ...], event: str, data: dict[str, Any],
             now: datetime) -> list[Step]:
    """The statements that put the event in the outbox of these webhooks (one id for all)."""
    event_id, payload = envelope(event, data, now)
    return [hotsql.count(_ENQUEUE_TO, webhook_id=webhook_id, event_id=event_id, event=event,
                         payload=payload, now=now) for webhook_id in webhook_ids]


def _run(one: Step) -> Steps[int]:
    return (yield one)


def enqueue(db: Session, event: str, data: dict[str, Any]) -> None:
    """Put the event in the outbox of the session's transaction; workers of this process are
    woken once it commits."""
    written = hotsql.drive(db.connection(), _run(step(event, data, utcnow())))
    if written and not db.info.get("pending:webhooks_wake"):
        db.info["pending:webhooks_wake"] = True

        def _woken() -> None:
            db.info.pop("pending:webhooks_wake", None)
            wake_workers()

        after_commit(db, _woken)


def message_data(*, message_id: int, message_name: str | None, delivery_id: int,
                 channel_id: int, visitor_id: int, url: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "message": {"id": message_id, "name": message_name},
        "delivery_id": delivery_id, "channel_id": channel_id, "customer_id": visitor_id,
    }
    if url is not None:
        data["page_url"] = url
    return data


def delivery_data(delivery: Any, message_name: str | None) -> dict[str, Any]:
    return message_data(message_id=delivery.message_id, message_name=message_name,
                        delivery_id=delivery.id, channel_id=delivery.channel_id,
                        visitor_id=delivery.visitor_id)


def ticket_data(ticket: Any, channel_id: int) -> dict[str, Any]:
    return {"ticket": {
        "id": ticket.id, "conversation_id": ticket.conversation_id, "status": ticket.status,
        "requester_name": ticket.requester_name, "requester_email": ticket.requester_email,
        "tags": list(ticket.tags or []), "proactive_message_id": ticket.proactive_message_id,
        "proactive_message_name": ticket.proactive_message_name,
        "created_at": _iso(ticket.created_at),
    }, "channel_id": channel_id}


def chat_message_data(conversation: Any, message: Any) -> dict[str, Any]:
    return {"conversation_id": conversation.id, "channel_id": conversation.channel_id,
            "customer_id": conversation.visitor_id, "message": {
                "id": message.id, "author": message.author, "author_name": message.author_name,
                "body": message.body, "created_at": _iso(message.created_at)}}
