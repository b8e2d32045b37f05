from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from overture.db import Base, UTCDateTime
from overture.kit.clock import utcnow


class Visitor(Base):
    """A customer: anonymous (the id in their browser storage) or identified by a verified JWT.

    When an anonymous visitor identifies as a customer that already exists, their history moves
    to that customer and `merged_into_id` points there, so their browser keeps working.
    """

    __tablename__ = "visitors"
    # An external id means a customer only for the secret that vouched for it: another
    # channel's token for the same id is another customer.
    __table_args__ = (UniqueConstraint("identity_scope", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    anon_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    identity_scope: Mapped[str | None] = mapped_column(String(40), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("visitors.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    language: Mapped[str] = mapped_column(String(35), default="")
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    visit_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Visit(Base):
    __tablename__ = "visits"
    # The visitor's latest visit on a channel: one index, so no planner ever prefers the
    # channel's (which holds every visit of the site).
    __table_args__ = (Index("ix_visits_visitor_channel_last", "visitor_id", "channel_id",
                            "last_seen"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"),
                                            index=True)
    session_id: Mapped[str] = mapped_column(String(64))
    referrer: Mapped[str] = mapped_column(String(2000), default="")
    page_views: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PageView(Base):
    __tablename__ = "page_views"
    __table_args__ = (Index("ix_page_views_visitor_at", "visitor_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(500), default="")
    referrer: Mapped[str] = mapped_column(String(2000), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The page view's place in its visit (1, 2, …): a re-check is only for the latest one.
    seq: Mapped[int] = mapped_column(Integer, default=1)
    # As reported by the SDK, or read from the user agent when the page view came in.
    device_type: Mapped[str] = mapped_column(String(10), default="desktop")
