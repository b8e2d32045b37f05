"""Imports every feature's models so that metadata (and Alembic) sees all tables."""

from overture.accounts.models import AccountSettings, ApiToken, User
from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.db import Base
from overture.proactive.models import ProactiveMessage
from overture.schedules.models import Schedule

__all__ = [
    "AccountSettings", "ApiToken", "Base", "Brand", "Channel", "ProactiveMessage", "Schedule",
    "User",
]
