from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from overture.db import Base, UTCDateTime
from overture.kit.clock import utcnow


def new_identity_secret() -> str:
    return secrets.token_urlsafe(32)


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Signs identity tokens (JWT, HS256) for the brand's channels that choose to share it
    # (`Channel.identity_shared_with_brand`); their customers are then the brand's.
    identity_secret: Mapped[str] = mapped_column(String(80), default=new_identity_secret)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
