"""Data for the benchmarks: random rule trees and visits, a site, many visitors."""

from __future__ import annotations

import random

from sqlalchemy import insert

from overture.proactive.rules import VisitContext

PATHS = ["/", "/pricing", "/plans/pro", "/docs/start", "/blog/2026/launch", "/checkout"]
WORDS = ["pricing", "docs", "blog", "pro", "checkout", "start", "launch"]


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
    n = rng.randint(1, 5)
    conditions = [random_condition(rng) for _ in range(n)]
    if n >= 3 and rng.random() < 0.5:
        nested = {"any": conditions[-2:]}
        return {rng.choice(["all", "any"]): [*conditions[:-2], nested]}
    return {rng.choice(["all", "any"]): conditions}


def random_visit(rng: random.Random) -> VisitContext:
    path = rng.choice(PATHS)
    return VisitContext(
        url=f"https://shop.example{path}", title=rng.choice(WORDS).title() + " page",
        language=rng.choice(["pt-BR", "en-US", "es"]), visit_count=rng.randint(1, 6),
        visit_history=rng.choice(["new", "returning"]), pages_in_visit=rng.randint(1, 9),
        attributes={"plan": rng.choice(["pro", "free"])},
    )


def build_site(app, n_messages: int) -> str:
    """A channel with `n_messages` live messages (every_time, varied priorities)."""
    from overture.accounts.service import get_settings_row
    from overture.brands.schemas import BrandIn
    from overture.brands.service import create_brand
    from overture.channels.schemas import ChannelIn
    from overture.channels.service import create_channel
    from overture.proactive.schemas import MessageIn
    from overture.proactive.service import create_message, publish

    rng = random.Random(3)
    with app.state.db.unit_of_work() as db:
        get_settings_row(db)
        brand = create_brand(db, BrandIn(name="Bench"))
        channel = create_channel(db, ChannelIn(brand_id=brand.id, name="Site"))
        for i in range(n_messages):
            m = create_message(db, MessageIn.model_validate({
                "name": f"m{i}", "channel_id": channel.id, "message": f"Message {i}",
                "response": {"type": "agent", "follow_up": "Thanks"},
                "conditions": random_tree(rng), "frequency": "every_time",
                "priority": rng.randint(1, 100),
                "trigger": rng.choice([{"event": "page_load"},
                                       {"event": "on_page", "seconds": 30}])}))
            publish(db, m)
        return channel.key


def fill_visitors(app, n: int, batch: int = 50_000) -> None:
    """`n` known visitors with a visit each (the indexes the decision uses get real size)."""
    from overture.kit.clock import utcnow
    from overture.visitors.models import Visitor

    now = utcnow()
    engine = app.state.db.engine
    with engine.begin() as conn:
        for start in range(0, n, batch):
            rows = [{"anon_id": f"bench{start + i:012d}", "name": "", "email": "",
                     "language": "en", "attributes": {}, "visit_count": 1,
                     "first_seen": now, "last_seen": now}
                    for i in range(min(batch, n - start))]
            conn.execute(insert(Visitor), rows)
