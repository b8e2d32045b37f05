from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from overture.db import Base, UTCDateTime
from overture.kit.clock import utcnow

MESSAGING_KINDS = ("web_widget", "ios_sdk", "android_sdk")
SOCIAL_KINDS = ("whatsapp", "facebook_messenger", "instagram", "sms", "third_party_bot")
KINDS = MESSAGING_KINDS + SOCIAL_KINDS


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(40), unique=True)
    # Signs identity tokens (JWT, HS256) that the host page passes to `identify`.
    jwt_secret: Mapped[str] = mapped_column(String(80))
    # By choice, tokens are checked with the brand's secret instead, and the customers they
    # name are the brand's: one customer across the brand's channels that share it.
    identity_shared_with_brand: Mapped[bool] = mapped_column(Boolean, default=False,
                                                             server_default=false())
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    sender_name: Mapped[str] = mapped_column(String(80), default="")
    sender_avatar_url: Mapped[str] = mapped_column(String(500), default="")
    launcher_text: Mapped[str] = mapped_column(String(80), default="")
    color: Mapped[str] = mapped_column(String(7), default="#1f73b7")
    # A conversation started from the launcher first asks for the customer's name and email.
    launcher_asks_contact: Mapped[bool] = mapped_column(Boolean, default=False,
                                                        server_default=false())
    # The launcher text and sender name per language shown to visitors:
    # {"pt-BR": {"launcher_text": "…", "sender_name": "…"}, "en": {…}}; what is missing falls
    # back to `launcher_text` / `sender_name`.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'"))
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The flow-builder bot of the channel's brand that answers here: the bot response of its
    # proactive messages, and the launcher's greeting.
    bot_id: Mapped[int | None] = mapped_column(
        ForeignKey("bots.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def can_carry_proactive(self) -> bool:
        return self.kind in MESSAGING_KINDS
