from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from overture.accounts.models import User
from overture.db import Base, UTCDateTime
from overture.kit.clock import utcnow
from overture.proactive.models import ProactiveMessage
from overture.visitors.models import Visitor


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_visitor_status", "visitor_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"),
                                            index=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    # Relationships here load only when a query asks for them (joinedload, contains_eager):
    # reading one that was not loaded raises instead of sending a query per row.
    visitor: Mapped[Visitor] = relationship(lazy="raise")


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("conversation_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(10))  # customer | agent | sender | bot | system
    author_name: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                nullable=True)
    # Client-made id: a message sent twice (a retry, a reconnect) is stored once.
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    requester_email: Mapped[str] = mapped_column(String(254), default="")
    status: Mapped[str] = mapped_column(String(10), default="new", index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                    nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The message that started it; its name is kept if the message is deleted later.
    proactive_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("proactive_messages.id", ondelete="SET NULL"), nullable=True)
    proactive_message_name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    conversation: Mapped[Conversation] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(lazy="raise")
    proactive_message: Mapped[ProactiveMessage | None] = relationship(lazy="raise")


class TicketTag(Base):
    """A ticket's tags as rows, so that tickets are found by tag with an index on both
    databases. Written together with `tickets.tags` (the ordered list the API shows) by
    conversations.service.set_tags, and by nothing else."""

    __tablename__ = "ticket_tags"
    __table_args__ = (Index("ix_ticket_tags_tag", "tag", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True)
