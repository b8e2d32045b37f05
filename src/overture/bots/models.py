"""Bots of the flow builder (SPEC §1): a bot, its answers, the versions it was published as,
and the runs of an answer with a customer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from overture.db import Base, UTCDateTime
from overture.kit.clock import utcnow

STATUSES = ("draft", "published")


class Bot(Base):
    __tablename__ = "bots"

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: a brand with bots is not deleted under them (brands.service says so first).
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="RESTRICT"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(120))
    avatar_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # The answer run when a customer opens the messenger from the launcher of a channel the
    # bot is connected to. Not a foreign key: the answer's deletion clears it (service).
    greeting_answer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The version new runs start on while published; None while a draft.
    published_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BotAnswer(Base):
    """A named flow of steps (the JSON of `bots.schemas.Step`); the first step starts it."""

    __tablename__ = "bot_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    steps: Mapped[list[dict]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BotVersion(Base):
    """What a published bot was at one moment: its name, avatar and answers. A run keeps the
    version it started on, so edits reach new conversations only. Kept when the bot is
    deleted (bot_id NULL), so that running conversations still finish."""

    __tablename__ = "bot_versions"
    __table_args__ = (UniqueConstraint("bot_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bot_id: Mapped[int | None] = mapped_column(ForeignKey("bots.id", ondelete="SET NULL"),
                                               nullable=True, index=True)
    number: Mapped[int] = mapped_column(Integer)
    # {"name", "avatar_url", "greeting_answer_id", "answers": {"<id>": {"name", "steps"}}}
    snapshot: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BotRun(Base):
    """One answer running with one customer: where it stands, what was said, what was
    collected. It becomes a conversation with a ticket at its `handoff` step."""

    __tablename__ = "bot_runs"
    # A start sent twice (a retry) is the same run.
    __table_args__ = (UniqueConstraint("visitor_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"),
                                            index=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"),
                                            index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), nullable=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("bot_versions.id", ondelete="CASCADE"))
    answer_id: Mapped[int] = mapped_column(Integer)
    # running → handed_off | ended
    status: Mapped[str] = mapped_column(String(12), default="running")
    step: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # [{"id": n, "author": "bot" | "customer", "body": "…"}]
    transcript: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # {"name": …, "email": …, "attributes": {…}} as the customer gave them.
    collected: Mapped[dict] = mapped_column(JSON, default=dict)
    # Client-made ids of the answers applied: a retried answer is not applied twice.
    applied: Mapped[list[str]] = mapped_column(JSON, default=list)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
