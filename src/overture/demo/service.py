"""Demo data: an admin, an agent, a brand, a schedule, a web widget channel, a published bot
with a greeting, and live proactive messages (two answered by agents, one by the bot)."""

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
    bot, app_tour = _demo_bot(db, brand.id)
    channel.bot_id = bot.id
    db.flush()
    _demo_messages(db, channel.id, bot.id, app_tour.id)
    return True


def _demo_bot(db: Session, brand_id: int):
    """The Acme Assistant: greets from the launcher, and runs the app tour for a message."""
    from overture.bots.schemas import AnswerIn, BotIn, BotPatch
    from overture.bots.service import create_answer, create_bot, publish, update_bot

    bot = create_bot(db, BotIn(brand_id=brand_id, name="Acme Assistant"))
    welcome = create_answer(db, bot, AnswerIn.model_validate({"name": "Welcome", "steps": [
        {"id": "hello", "type": "message", "text": "Hi! I'm the Acme Assistant.",
         "next": "menu"},
        {"id": "menu", "type": "options", "text": "What can I help you with?", "options": [
            {"label": "Plans and pricing", "next": "email"},
            {"label": "Talk to support", "next": "support"},
            {"label": "Just browsing", "next": "bye"}]},
        {"id": "email", "type": "collect", "field": "email",
         "text": "What email should our sales team write to?", "next": "sales"},
        {"id": "sales", "type": "handoff", "tags": ["sales"],
         "text": "Thanks! Someone from sales will answer here shortly."},
        {"id": "support", "type": "handoff", "tags": ["support"],
         "text": "An agent will be with you in a moment. Tell us what happened."},
        {"id": "bye", "type": "end", "text": "Enjoy your visit! Open this chat any time."},
    ]}))
    tour = create_answer(db, bot, AnswerIn.model_validate({"name": "App help", "steps": [
        {"id": "menu", "type": "options", "text": "What do you need?", "options": [
            {"label": "A billing question", "next": "email"},
            {"label": "Report a problem", "next": "name"},
            {"label": "No thanks", "next": "bye"}]},
        {"id": "email", "type": "collect", "field": "email",
         "text": "Which email is the account under?", "next": "billing"},
        {"id": "billing", "type": "handoff", "tags": ["billing"],
         "text": "Thanks — our billing team will answer here."},
        {"id": "name", "type": "collect", "field": "name", "text": "What's your name?",
         "next": "bug"},
        {"id": "bug", "type": "handoff", "tags": ["bug"],
         "text": "Thanks! Describe the problem and an agent will look into it."},
        {"id": "bye", "type": "end", "text": "Happy to help whenever you need."},
    ]}))
    update_bot(db, bot, BotPatch(greeting_answer_id=welcome.id))
    publish(db, bot)
    return bot, tour


def _demo_messages(db: Session, channel_id: int, bot_id: int, answer_id: int) -> None:
    """Live messages, so a new user sees one on /demo within seconds, on the pricing page at
    once, and the bot's in the app."""
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
    app_help = create_message(db, MessageIn.model_validate({
        "name": "Demo: the assistant in the app",
        "channel_id": channel_id,
        "message": "Stuck somewhere in the app? I can point you to the right person.",
        "response": {"type": "bot", "bot_id": bot_id, "answer_id": answer_id},
        "conditions": {"all": [{"field": "page_url", "operator": "contains",
                                "value": ["/demo/app"]}]},
        "trigger": {"event": "on_page", "seconds": 2},
        "tags": ["demo", "app"], "frequency": "once_per_visit", "priority": 3,
    }))
    publish(db, welcome)
    publish(db, pricing)
    publish(db, app_help)
