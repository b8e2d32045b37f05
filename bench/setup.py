"""Data for the benchmarks: rule trees and visits, a site with live messages, many visitors,
open conversations. Written straight to the database before the server under test starts."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from overture.proactive.rules import VisitContext

PATHS = ["/", "/pricing", "/plans/pro", "/docs/start", "/blog/2026/launch", "/checkout"]
WORDS = ["pricing", "docs", "blog", "pro", "checkout", "start", "launch"]
KNOWN_PREFIX = "bench"  # known visitors are bench000000000000, bench000000000001, …


def known_visitor(i: int) -> str:
    return f"{KNOWN_PREFIX}{i:012d}"


def random_condition(rng: random.Random) -> dict:
    kind = rng.randrange(6)
    if kind == 0:
        return {"field": "page_url", "operator": "contains",
                "value": rng.sample(WORDS, rng.randint(1, 3))}
    if kind == 1:
        return {"field": "page_url", "operator": "matches", "value": f"*/{rng.choice(WORDS)}*"}
    if kind == 2:
        return {"field": "language", "operator": rng.choice(["is", "is_not"]),
                "value": rng.choice(["pt", "en", "pt-BR", "es"])}
    if kind == 3:
        return {"field": "visit_count", "operator": rng.choice(["gt", "lte", "eq"]),
                "value": rng.randint(1, 5)}
    if kind == 4:
        return {"field": "page_title", "operator": "starts_with", "value": rng.choice(WORDS)}
    return {"field": "attribute.plan", "operator": "is", "value": rng.choice(["pro", "free"])}


def random_tree(rng: random.Random) -> dict:
    """What admins write: 1–5 conditions, half of the larger trees with a nested group."""
    n = rng.randint(1, 5)
    conditions = [random_condition(rng) for _ in range(n)]
    if n >= 3 and rng.random() < 0.5:
        nested = {"any": conditions[-2:]}
        return {rng.choice(["all", "any"]): [*conditions[:-2], nested]}
    return {rng.choice(["all", "any"]): conditions}


def sized_tree(rng: random.Random, n: int) -> dict:
    """A valid tree of exactly `n` conditions, nested down to the deepest level allowed (3)."""
    conditions = [random_condition(rng) for _ in range(n)]

    def op() -> str:
        return rng.choice(["all", "any"])

    if n < 3:  # smaller trees may not nest
        return {op(): conditions}
    top, rest = conditions[: n // 3], conditions[n // 3:]
    groups = []
    for i in range(0, len(rest), 4):
        chunk = rest[i:i + 4]
        if len(chunk) >= 3 and (i // 4) % 2 == 1:
            chunk = [*chunk[:-2], {op(): chunk[-2:]}]
        groups.append({op(): chunk})
    return {op(): [*top, *groups]}


def random_visit(rng: random.Random) -> VisitContext:
    path = rng.choice(PATHS)
    return VisitContext(
        url=f"https://shop.example{path}", title=rng.choice(WORDS).title() + " page",
        language=rng.choice(["pt-BR", "en-US", "es"]), visit_count=rng.randint(1, 6),
        visit_history=rng.choice(["new", "returning"]), pages_in_visit=rng.randint(1, 9),
        attributes={"plan": rng.choice(["pro", "free"])},
    )


def build_site(url: str, n_messages: int, *, catch_all: bool = False) -> str:
    """A channel with `n_messages` live messages (every_time, varied priorities); with
    `catch_all`, one more that matches every page load, so every page view shows something."""
    from overture.accounts.service import get_settings_row
    from overture.brands.schemas import BrandIn
    from overture.brands.service import create_brand
    from overture.channels.schemas import ChannelIn
    from overture.channels.service import create_channel
    from overture.db import Database
    from overture.proactive.schemas import MessageIn
    from overture.proactive.service import create_message, publish
    from overture.wiring import connect

    connect()  # the reactions the services count on, as the app and the CLI register them
    rng = random.Random(3)
    specs = [{"conditions": random_tree(rng), "priority": rng.randint(1, 100),
              "trigger": rng.choice([{"event": "page_load"}, {"event": "on_page", "seconds": 30}])}
             for _ in range(n_messages)]
    if catch_all:
        specs.append({"conditions": {"all": []}, "priority": 1000,
                      "trigger": {"event": "page_load"}})
    database = Database(url)
    try:
        with database.unit_of_work() as db:
            get_settings_row(db)
            brand = create_brand(db, BrandIn(name="Bench"))
            channel = create_channel(db, ChannelIn(brand_id=brand.id, name="Site"))
            for i, spec in enumerate(specs):
                publish(db, create_message(db, MessageIn.model_validate({
                    "name": f"m{i}", "channel_id": channel.id, "message": f"Message {i}",
                    "response": {"type": "agent", "follow_up": "Thanks"},
                    "frequency": "every_time", **spec})))
            return channel.key
    finally:
        database.dispose()


def fill_visitors(url: str, n: int, prefix: str = KNOWN_PREFIX, batch: int = 20_000,
                  channel_key: str | None = None) -> None:
    """`n` known visitors (seen once, three days ago), inserted in bulk. With `channel_key`,
    each has the history a live site's database holds: that visit on the channel, its page
    view, and for one in three a message shown (delivery, reach). Then the database's
    statistics are gathered, as a live database has them: a fresh table's would have
    PostgreSQL plan for empty tables while they fill up."""
    from sqlalchemy import select, text

    from overture.channels.models import Channel
    from overture.db import Database
    from overture.kit.clock import utcnow
    from overture.proactive.models import ProactiveMessage
    from overture.visitors.models import Visitor

    then = utcnow() - timedelta(days=3)
    database = Database(url)
    try:
        with database.engine.begin() as conn:
            channel_id = message_id = None
            if channel_key:
                channel_id = conn.scalar(select(Channel.id).where(Channel.key == channel_key))
                message_id = conn.scalar(select(ProactiveMessage.id).where(
                    ProactiveMessage.channel_id == channel_id).limit(1))
            for start in range(0, n, batch):
                ids = conn.execute(insert(Visitor).returning(Visitor.id), [
                    {"anon_id": f"{prefix}{start + i:012d}", "name": "", "email": "",
                     "language": "en", "attributes": {}, "visit_count": 1,
                     "first_seen": then, "last_seen": then}
                    for i in range(min(batch, n - start))]).scalars().all()
                if channel_id is not None:
                    _fill_history(conn, ids, channel_id, message_id, then)
        with database.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    finally:
        database.dispose()


def _fill_history(conn, visitor_ids: list[int], channel_id: int, message_id: int | None,
                  then) -> None:
    from overture.proactive.models import Delivery, Reach
    from overture.visitors.models import PageView, Visit

    visits = conn.execute(insert(Visit).returning(Visit.id, Visit.visitor_id), [
        {"visitor_id": vid, "channel_id": channel_id, "session_id": f"old{vid:013d}",
         "referrer": "", "page_views": 1, "started_at": then, "last_seen": then}
        for vid in visitor_ids]).all()
    views = conn.execute(insert(PageView).returning(PageView.id, PageView.visit_id,
                                                    PageView.visitor_id), [
        {"visit_id": visit_id, "visitor_id": vid, "event_id": f"old{visit_id:013d}",
         "url": "https://shop.example/", "title": "Home", "referrer": "", "at": then,
         "seq": 1, "device_type": "desktop"} for visit_id, vid in visits]).all()
    if message_id is None:
        return
    shown = views[::3]
    conn.execute(insert(Delivery), [
        {"message_id": message_id, "message_version": 1, "channel_id": channel_id,
         "visitor_id": vid, "visit_id": visit_id, "page_view_id": pv_id, "sent_at": then,
         "dismissed_at": then} for pv_id, visit_id, vid in shown])
    conn.execute(insert(Reach), [
        {"message_id": message_id, "visitor_id": vid, "sent_at": then}
        for _pv, _visit, vid in shown])


def fill_conversations(url: str, channel_key: str, n: int) -> list[tuple[str, int]]:
    """`n` visitors with an open conversation (and its ticket) each on the channel;
    returns (visitor id, conversation id) pairs."""
    from overture.channels.models import Channel
    from overture.conversations.models import Conversation, Ticket
    from overture.db import Database
    from overture.kit.clock import utcnow
    from overture.visitors.models import Visitor

    fill_visitors(url, n, prefix="chat")
    now = utcnow()
    database = Database(url)
    try:
        with database.engine.begin() as conn:
            channel_id = conn.scalar(select(Channel.id).where(Channel.key == channel_key))
            visitors = conn.execute(select(Visitor.id, Visitor.anon_id)
                                    .where(Visitor.anon_id.like("chat%"))
                                    .order_by(Visitor.id)).all()
            conn.execute(insert(Conversation), [
                {"channel_id": channel_id, "visitor_id": vid, "status": "open",
                 "created_at": now, "last_activity": now} for vid, _anon in visitors])
            conversations = dict(conn.execute(
                select(Conversation.visitor_id, Conversation.id)
                .where(Conversation.channel_id == channel_id)).all())
            conn.execute(insert(Ticket), [
                {"conversation_id": cid, "requester_name": "", "requester_email": "",
                 "status": "open", "tags": [], "created_at": now, "updated_at": now}
                for cid in conversations.values()])
        return [(anon, conversations[vid]) for vid, anon in visitors]
    finally:
        database.dispose()
