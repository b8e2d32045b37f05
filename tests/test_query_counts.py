"""Lists cost a fixed number of SQL statements, whatever their length.

Each list is read once with one row and once with forty, and both must send the same number
of statements — the number stated here, so that a new statement is a visible decision. The
rows (tests/rows.py) each have their own brand, channel, schedule, visitor and assignee, so
that a lookup per row cannot hide behind the session's identity map.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests import rows
from tests.conftest import login
from tests.querycount import assert_statement_count, count_statements


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


def _counted(app, n: int, expected: int, request) -> None:
    with assert_statement_count(app, expected):
        r = request()
    assert r.status_code == 200, r.text
    assert r.text.count("Message ") >= n  # every row is there


# -- proactive messages ---------------------------------------------------------------------

# The caller (token with its user, in one statement; the token's last use stamped), the
# settings, the messages with their brand, channel and totals, the schedules they name.
PROACTIVE_API = 5
# The signed-in user (the session with its user), the settings, the page of messages (with
# how many match in all), the messages in Contains errors that could be published again, the
# schedules, the channels the list can be filtered by.
PROACTIVE_PAGE = 6


@pytest.mark.parametrize("n", [1, 40])
@pytest.mark.parametrize("sort", ["sent", "channel"])
def test_proactive_messages_api(app, client, admin, db, n, sort):
    rows.messages(db, n)
    _counted(app, n, PROACTIVE_API, lambda: client.get(
        f"/api/v1/proactive-messages?sort={sort}&order=desc", headers=admin.headers))


@pytest.mark.parametrize("n", [1, 40])
def test_proactive_messages_page(app, client, admin, db, n):
    rows.messages(db, n)
    login(client, admin.email)
    _counted(app, n, PROACTIVE_PAGE,
             lambda: client.get("/admin/proactive-messages?sort=replied&order=desc"))


# -- tickets --------------------------------------------------------------------------------

# The caller (token with user, last use), the page of tickets with conversation and assignee.
TICKETS_API = 3
# The caller, the ticket (access_ticket), the ticket with its conversation, visitor, assignee
# and message, the chat, the page views.
TICKET_API = 6


@pytest.mark.parametrize("n", [1, 40])
@pytest.mark.parametrize("query", ["status=unsolved", "tag=vip&limit=200"])
def test_tickets_api(app, client, agent, db, n, query):
    rows.tickets(db, n)
    _counted(app, n, TICKETS_API,
             lambda: client.get(f"/api/v1/tickets?{query}", headers=agent.headers))


@pytest.mark.parametrize("n", [1, 40])
def test_ticket_api(app, client, agent, db, n):
    ids = rows.tickets(db, n)
    _counted(app, 1, TICKET_API,
             lambda: client.get(f"/api/v1/tickets/{ids[-1]}", headers=agent.headers))


# -- brands, channels, schedules, users -----------------------------------------------------

# The caller (token with user, last use), the list. The channels come with their brand's id.
OTHER_APIS = [("/api/v1/brands", "Brand", 3), ("/api/v1/channels", "Site", 3),
              ("/api/v1/schedules", "Hours", 3), ("/api/v1/users", "Agent", 3)]
# The signed-in user, then: the brands and their channel counts; the brands (for their names)
# and the channels; the schedules; the users.
OTHER_PAGES = [("/admin/brands", "Brand", 3), ("/admin/channels", "Site", 3),
               ("/admin/schedules", "Hours", 2), ("/admin/users", "Agent", 2)]


@pytest.mark.parametrize("n", [1, 40])
@pytest.mark.parametrize(("url", "name", "expected"), OTHER_APIS)
def test_other_lists_api(app, client, admin, db, n, url, name, expected):
    rows.tickets(db, n)  # each with its brand, channel, schedule and assignee
    with assert_statement_count(app, expected):
        r = client.get(url, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert sum(item["name"].startswith(name) for item in r.json()) == n


@pytest.mark.parametrize("n", [1, 40])
@pytest.mark.parametrize(("url", "name", "expected"), OTHER_PAGES)
def test_other_lists_page(app, client, admin, db, n, url, name, expected):
    rows.tickets(db, n)
    login(client, admin.email)
    _counted(app, 0, expected, lambda: client.get(url))
    assert f"{name} {n - 1}<" in client.get(url).text
