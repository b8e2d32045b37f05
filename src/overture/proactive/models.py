from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.db import Base, UTCDateTime
from overture.kit.clock import utcnow

STATUSES = ("draft", "live", "paused", "error")


class Counts:
    """The counters of SPEC §6, per message and day."""

    # Distinct customers; kept exact by the delivery recorder.
    sent: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    # Raw counts: every showing, open, dismissal and reply.
    showings: Mapped[int] = mapped_column(Integer, default=0)
    opens: Mapped[int] = mapped_column(Integer, default=0)
    dismissals: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # Loaded only when asked for (joinedload/contains_eager): reading one that was not loaded
    # raises, so a list can never fall back to one query per row without anyone noticing.
    brand: Mapped[Brand | None] = relationship(lazy="raise")
    channel: Mapped[Channel | None] = relationship(lazy="raise")

    @property
    def schedule_id(self) -> int | None:
        return (self.timing or {}).get("schedule_id")


class Delivery(Base):
    """One showing of one message to one visitor (SPEC §1)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_visitor_visit", "visitor_id", "visit_id"),
        # SPEC §4 rule 1 as a constraint: one message on screen per visit, whichever process
        # decides. A second showing loses the insert and the decision is made again.
        Index("uq_deliveries_on_screen", "visit_id", unique=True,
              sqlite_where=text("opened_at IS NULL AND dismissed_at IS NULL"),
              postgresql_where=text("opened_at IS NULL AND dismissed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("proactive_messages.id", ondelete="CASCADE"), index=True
    )
    message_version: Mapped[int] = mapped_column(Integer)
    channel_id: Mapped[int] = mapped_column(Integer)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    page_view_id: Mapped[int] = mapped_column(ForeignKey("page_views.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    conversation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Reach(Base):
    """Which customers a message reached, for the distinct counts of §6 and once-per-customer."""

    __tablename__ = "message_reach"
    __table_args__ = (UniqueConstraint("message_id", "visitor_id"),
                      Index("ix_message_reach_visitor", "visitor_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("proactive_messages.id", ondelete="CASCADE")
    )
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeliveryEvent(Base):
    """Client-made event ids already applied: a retried event is recognised and ignored."""

    __tablename__ = "delivery_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"),
                                             index=True)
    kind: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DailyStat(Counts, Base):
    """The daily series per message: distinct customers and raw counts.

    A message's totals are the sums of its rows. Each writer adds to its own `shard` row of the
    day, so the showings of a popular message never queue on one hot row (SPEC §6, §8).
    """

    __tablename__ = "message_daily_stats"
    __table_args__ = (UniqueConstraint("message_id", "day", "shard",
                                       name="uq_message_daily_stats_shard"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("proactive_messages.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    shard: Mapped[int] = mapped_column(Integer, default=0)
