"""Rows built straight in the database, for tests that need many of them quickly.

Each row gets its own brand, channel, schedule, visitor and assignee, so that a lookup per row
cannot hide behind the session's identity map.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from overture.accounts.models import User
from overture.accounts.service import get_settings_row
from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.conversations import service as conversations
from overture.conversations.models import ChatMessage, Conversation, Ticket
from overture.proactive.models import DailyStat, ProactiveMessage
from overture.schedules.models import Schedule
from overture.visitors.models import PageView, Visit, Visitor

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STATUSES = ("draft", "live", "paused", "error")


def world(session, i: int) -> tuple[Brand, Channel, Schedule]:
    brand = Brand(name=f"Brand {i}")
    schedule = Schedule(name=f"Hours {i}", timezone="UTC",
                        intervals=[{"weekday": 0, "start": "09:00", "end": "17:00"}])
    session.add_all([brand, schedule])
    session.flush()
    channel = Channel(brand_id=brand.id, name=f"Site {i}", kind="web_widget", key=f"key-{i}",
                      jwt_secret="s" * 40, schedule_id=schedule.id)
    session.add(channel)
    session.flush()
    return brand, channel, schedule


def messages(db, n: int) -> None:
    """`n` messages in every status, each on its own brand, channel and schedule, with stats."""
    with db() as session:
        get_settings_row(session).drafts_seeded = True
        for i in range(n):
            brand, channel, schedule = world(session, i)
            m = ProactiveMessage(
                name=f"Message {i}", brand_id=brand.id, channel_id=channel.id,
                message="Hello", response={"type": "agent", "collect": [], "follow_up": "Hi"},
                conditions={"all": []}, trigger={"event": "page_load"}, tags=["a"],
                timing={"when": "business_hours", "schedule_id": schedule.id},
                status=STATUSES[i % len(STATUSES)], updated_at=T0 + timedelta(minutes=i))
            session.add(m)
            session.flush()
            session.add(DailyStat(message_id=m.id, day=T0.date(), shard=0, sent=3, opened=2,
                                  replied=1))


def tickets(db, n: int, *, at=lambda i: T0 + timedelta(minutes=i),
            tags=lambda i: ["vip", f"t{i}"], status=lambda i: "open") -> list[int]:
    """`n` tickets, each with its own channel, visitor, assignee, message and page view; the
    i-th one's conversation last active `at(i)`, tagged `tags(i)`, in `status(i)`. Their ids,
    in order."""
    ids = []
    with db() as session:
        for i in range(n):
            _brand, channel, _schedule = world(session, i)
            visitor = Visitor(anon_id=f"anon-{i}", name=f"Visitor {i}", email=f"v{i}@example.com")
            assignee = User(email=f"agent{i}@example.test", name=f"Agent {i}", password_hash="x",
                            role="agent")
            m = ProactiveMessage(
                name=f"Message {i}", channel_id=channel.id, message="Hello",
                response={"type": "agent", "collect": [], "follow_up": "Hi"},
                conditions={"all": []}, trigger={"event": "page_load"}, tags=["a"],
                timing={"when": "any_time"})
            session.add_all([visitor, assignee, m])
            session.flush()
            when = at(i)
            conv = Conversation(channel_id=channel.id, visitor_id=visitor.id, status="open",
                                created_at=when, last_activity=when)
            visit = Visit(visitor_id=visitor.id, channel_id=channel.id, session_id=f"s{i}",
                          started_at=when, last_seen=when)
            session.add_all([conv, visit])
            session.flush()
            session.add_all([
                ChatMessage(conversation_id=conv.id, author="customer", body="Hi", created_at=when),
                PageView(visit_id=visit.id, visitor_id=visitor.id, event_id=f"pv-{i}",
                         url="https://shop.example/", at=when),
            ])
            ticket = Ticket(conversation_id=conv.id, requester_name=visitor.name,
                            requester_email=visitor.email, status=status(i),
                            assignee_id=assignee.id, proactive_message_id=m.id,
                            proactive_message_name=m.name, created_at=when, updated_at=when)
            session.add(ticket)
            session.flush()
            conversations.set_tags(session, ticket, tags(i))
            ids.append(ticket.id)
    return ids
