"""Webhooks (URLs that receive events) and their deliveries, which are also the outbox.

A delivery row is written in the same transaction as the event it tells of, one per
subscribed webhook, and the worker (worker.py) sends it after commit: an event that rolled
back was never written, and one that committed is sent even if the server stops meanwhile.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from overture.db import Base, UTCDateTime
from overture.kit.clock import utcnow

EVENT_TYPES = (
    "proactive_message.sent",
    "proactive_message.opened",
    "proactive_message.dismissed",
    "proactive_message.replied",
    "ticket.created",
    "conversation.message",
)
PING = "ping"  # the test event an admin sends to one webhook


def new_signing_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def events_column(events: list[str] | tuple[str, ...]) -> str:
    """`,a,b,`: one statement finds a type's webhooks with LIKE on both databases."""
    return "," + ",".join(e for e in EVENT_TYPES if e in events) + ","


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(120), default="")
    events_text: Mapped[str] = mapped_column("events", String(400), default=",")
    secret: Mapped[str] = mapped_column(String(80), default=new_signing_secret)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def events(self) -> list[str]:
        return [e for e in self.events_text.split(",") if e]

    @events.setter
    def events(self, value: list[str]) -> None:
        self.events_text = events_column(value)


class WebhookDelivery(Base):
    """One event for one webhook: pending until its receiver answers 2xx (delivered), or
    until it has failed for 24 hours (failed). `next_attempt_at` is also the lease of the
    worker sending it: a claim moves it past the send's timeout, so a worker that dies
    mid-send leaves the row to be sent again, never lost."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    # The event's id, the same for every webhook it goes to and for a resend: receivers
    # drop what they have seen by it.
    event_id: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the exact body sent and signed
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
