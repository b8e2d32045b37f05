"""Imports every feature's models so that metadata (and Alembic) sees all tables."""

from overture.accounts.models import AccountSettings, ApiToken, User
from overture.bots.models import Bot, BotAnswer, BotRun, BotVersion
from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.conversations.models import ChatMessage, Conversation, Ticket, TicketTag
from overture.db import Base
from overture.proactive.models import DailyStat, Delivery, DeliveryEvent, ProactiveMessage, Reach
from overture.schedules.models import Schedule
from overture.visitors.models import PageView, Visit, Visitor
from overture.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "AccountSettings", "ApiToken", "Base", "Bot", "BotAnswer", "BotRun", "BotVersion", "Brand",
    "Channel", "ChatMessage", "Conversation", "DailyStat", "Delivery", "DeliveryEvent", "PageView",
    "ProactiveMessage", "Reach", "Schedule", "Ticket", "TicketTag", "User", "Visit", "Visitor",
    "Webhook", "WebhookDelivery",
]
