"""Demo data: an admin, an agent, a brand, a schedule and a web widget channel."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.accounts.service import create_user, get_settings_row
from overture.brands.schemas import BrandIn
from overture.brands.service import create_brand
from overture.channels.schemas import ChannelIn, Translations
from overture.channels.service import create_channel
from overture.schedules.schemas import ScheduleIn
from overture.schedules.service import create_schedule

DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_ADMIN_PASSWORD = "overture-demo"
DEMO_AGENT_EMAIL = "agent@example.com"
DEMO_CHANNEL_KEY = "demo-widget"
DEMO_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]


def create_demo(db: Session, only_if_empty: bool = False) -> bool:
    if only_if_empty and db.scalar(select(func.count(User.id))):
        return False
    get_settings_row(db)
    create_user(db, email=DEMO_ADMIN_EMAIL, name="Ada Admin", password=DEMO_ADMIN_PASSWORD,
                role="admin")
    create_user(db, email=DEMO_AGENT_EMAIL, name="Alex Agent", password=DEMO_ADMIN_PASSWORD,
                role="agent")
    brand = create_brand(db, BrandIn(name="Acme"))
    weekdays = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]
    schedule = create_schedule(db, ScheduleIn.model_validate({
        "name": "Support hours",
        "timezone": "America/Sao_Paulo",
        "intervals": weekdays,
        "holidays": [{"name": "Christmas", "first_day": "2026-12-24",
                      "last_day": "2026-12-26"}],
    }))
    channel = create_channel(db, ChannelIn(
        brand_id=brand.id, name="Acme website", kind="web_widget",
        allowed_origins=DEMO_ORIGINS, sender_name="Acme Support",
        launcher_text="Questions? Chat with us", color="#1f73b7", schedule_id=schedule.id,
        translations=Translations.model_validate({"pt-BR": {
            "launcher_text": "Dúvidas? Fale conosco", "sender_name": "Suporte Acme"}}),
    ))
    # A stable, readable key, so the demo host page can embed it without a lookup.
    channel.key = DEMO_CHANNEL_KEY
    db.flush()
    _demo_messages(db, channel.id)
    return True


def _demo_messages(db: Session, channel_id: int) -> None:
    """Two live messages, so a new user sees one on /demo within seconds."""
    from overture.proactive.schemas import MessageIn
    from overture.proactive.service import create_message, publish

    welcome = create_message(db, MessageIn.model_validate({
        "name": "Demo: welcome on the home page",
        "channel_id": channel_id,
        "message": "Hi 👋 Welcome to **Acme**! Questions about the product? Ask us here.",
        "response": {"type": "agent", "collect": ["name", "email"],
                     "follow_up": "Thanks! An agent will answer you here shortly."},
        "conditions": {"all": [{"field": "page_url", "operator": "matches",
                                "value": "*/demo"}]},
        "trigger": {"event": "on_page", "seconds": 3},
        "tags": ["demo", "welcome"], "frequency": "once_per_visit", "priority": 2,
    }))
    pricing = create_message(db, MessageIn.model_validate({
        "name": "Demo: help on the pricing page",
        "channel_id": channel_id,
        "message": "Comparing plans? We can help you pick the *right one* for your team.",
        "response": {"type": "agent", "collect": [],
                     "follow_up": "Tell us about your team and we'll suggest a plan."},
        "conditions": {"all": [{"field": "page_url", "operator": "contains",
                                "value": ["/pricing"]}]},
        "trigger": {"event": "page_load"},
        "tags": ["demo", "pricing"], "frequency": "every_time", "priority": 1,
    }))
    publish(db, welcome)
    publish(db, pricing)
