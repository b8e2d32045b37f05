from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from overture.db import Base, UTCDateTime
from overture.kit.clock import utcnow

STATUSES = ("draft", "live", "paused", "error")


class ProactiveMessage(Base):
    __tablename__ = "proactive_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    brand_id: Mapped[int | None] = mapped_column(
        ForeignKey("brands.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # SET NULL: a deleted channel leaves the message in Contains errors, not gone.
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), nullable=True, index=True
    )
    message: Mapped[str] = mapped_column(String(1000), default="")
    response: Mapped[dict] = mapped_column(JSON)
    conditions: Mapped[dict] = mapped_column(JSON)
    trigger: Mapped[dict] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    timing: Mapped[dict] = mapped_column(JSON)
    frequency: Mapped[str] = mapped_column(String(20), default="once_per_visit")
    priority: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Distinct customers (§6); kept exact by the delivery recorder.
    sent: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def schedule_id(self) -> int | None:
        return (self.timing or {}).get("schedule_id")
