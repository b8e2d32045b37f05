"""Lists cost a fixed number of SQL statements, whatever their length.

Each list is read once with one row and once with forty, and both must send the same number
of statements — the number stated here, so that a new statement is a visible decision. The
rows are built straight in the database, each with its own brand, channel, schedule, visitor
and assignee, so that a lookup per row cannot hide behind the session's identity map.
"""


from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from overture.accounts.service import get_settings_row
from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.proactive.models import DailyStat, ProactiveMessage
from overture.schedules.models import Schedule
from tests.conftest import login
from tests.querycount import assert_statement_count, count_statements

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STATUSES = ("draft", "live", "paused", "error")


def test_the_counter_counts_statements_and_leaves_out_transaction_noise(app):
    with count_statements(app) as seen, app.state.db.engine.begin() as conn:
        conn.execute(text("SELECT 1"))
        with conn.begin_nested():  # SAVEPOINT … RELEASE
            conn.execute(text("SELECT 2"))
    assert [" ".join(s.split()) for s in seen.sql] == ["SELECT 1", "SELECT 2"]


def test_a_wrong_count_fails_and_lists_the_statements(app):
    with pytest.raises(AssertionError) as failed, assert_statement_count(app, 1), \
            app.state.db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.execute(text("SELECT 2"))
    assert "2 statements sent, 1 expected" in str(failed.value)
    assert "1. SELECT 1" in str(failed.value) and "2. SELECT 2" in str(failed.value)


# -- the rows ----------------------------------------------------------------------------


def _world(session, i: int) -> tuple[Brand, Channel, Schedule]:
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


def _messages(db, n: int) -> None:
    """`n` messages in every status, each on its own brand, channel and schedule, with stats."""
    with db() as session:
        get_settings_row(session).drafts_seeded = True
        for i in range(n):
            brand, channel, schedule = _world(session, i)
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


def _counted(app, n: int, expected: int, request) -> None:
    with assert_statement_count(app, expected):
        r = request()
    assert r.status_code == 200, r.text
    assert r.text.count("Message ") >= n  # every row is there


# -- proactive messages ---------------------------------------------------------------------

# The caller (token and user, and the token's last use stamped), the settings, the messages
# with their brand, channel and totals, the schedules they name.
PROACTIVE_API = 6
# The signed-in user, the settings, the messages, the schedules.
PROACTIVE_PAGE = 4


@pytest.mark.parametrize("n", [1, 40])
@pytest.mark.parametrize("sort", ["sent", "channel"])
def test_proactive_messages_api(app, client, admin, db, n, sort):
    _messages(db, n)
    _counted(app, n, PROACTIVE_API, lambda: client.get(
        f"/api/v1/proactive-messages?sort={sort}&order=desc", headers=admin.headers))


@pytest.mark.parametrize("n", [1, 40])
def test_proactive_messages_page(app, client, admin, db, n):
    _messages(db, n)
    login(client, admin.email)
    _counted(app, n, PROACTIVE_PAGE,
             lambda: client.get("/admin/proactive-messages?sort=replied&order=desc"))
