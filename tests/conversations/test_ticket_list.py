"""GET /api/v1/tickets: filters in SQL, keyset pages, and the ticket as it is after a change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from overture.accounts.models import User
from overture.conversations import service
from overture.kit.errors import Forbidden
from overture.kit.pagination import Cursor
from tests import rows

API = "/api/v1/tickets"


def _all_pages(client, caller, query: str) -> tuple[list[list[int]], list]:
    """Every page's ticket ids, following X-Next-Cursor; and each page's response."""
    pages, responses = [], []
    url = f"{API}?{query}"
    while True:
        r = client.get(url, headers=caller.headers)
        assert r.status_code == 200, r.text
        assert isinstance(r.json(), list)  # the body stays a plain list
        pages.append([t["id"] for t in r.json()])
        responses.append(r)
        nxt = r.headers.get("x-next-cursor")
        if nxt is None:
            assert "link" not in r.headers
            return pages, responses
        assert r.headers["link"].endswith('>; rel="next"') and f"cursor={nxt}" in r.headers["link"]
        url = f"{API}?{query}&cursor={nxt}"


def test_pages_follow_the_list_order_without_gaps_or_repeats(client, agent, db):
    # Three tickets share one moment: the id breaks the tie, across a page boundary too.
    ids = rows.tickets(db, 7, at=lambda i: rows.T0 + timedelta(minutes=min(i, 3)))
    whole = [t["id"] for t in client.get(f"{API}?limit=200", headers=agent.headers).json()]
    assert whole == [ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]]
    pages, _ = _all_pages(client, agent, "limit=2")
    assert pages == [whole[0:2], whole[2:4], whole[4:6], whole[6:7]]
    assert [len(p) for p in _all_pages(client, agent, "limit=7")[0]] == [7]


def test_the_default_page_is_fifty(client, agent, db):
    rows.tickets(db, 51)
    pages, responses = _all_pages(client, agent, "status=open")
    assert [len(p) for p in pages] == [50, 1]
    # The Link header keeps the filters.
    assert "status=open" in responses[0].headers["link"]


def test_a_ticket_that_moves_while_paging_is_not_listed_twice(client, agent, db):
    ids = rows.tickets(db, 4)
    first = client.get(f"{API}?limit=2", headers=agent.headers)
    assert [t["id"] for t in first.json()] == [ids[3], ids[2]]
    # The newest-but-one ticket gets a reply: it moves to the top, behind the cursor.
    r = client.post(f"{API}/{ids[2]}/messages", json={"client_id": "reply-0001", "body": "Hello"},
                    headers=agent.headers)
    assert r.status_code == 201, r.text
    assert client.get(f"{API}?limit=1", headers=agent.headers).json()[0]["id"] == ids[2]
    cursor = first.headers["x-next-cursor"]
    rest = client.get(f"{API}?limit=2&cursor={cursor}", headers=agent.headers).json()
    assert [t["id"] for t in rest] == [ids[1], ids[0]]


def test_tag_and_status_filters_page_together(client, agent, db):
    ids = rows.tickets(db, 6, tags=lambda i: ["even"] if i % 2 == 0 else ["odd", "x"],
                       status=lambda i: "solved" if i == 4 else "open")
    pages, _ = _all_pages(client, agent, "tag=even&status=unsolved&limit=1")
    assert pages == [[ids[2]], [ids[0]]]
    assert _all_pages(client, agent, "tag=EVEN")[0] == [[ids[4], ids[2], ids[0]]]
    assert _all_pages(client, agent, "tag=nothing")[0] == [[]]


def test_a_changed_tag_list_is_what_the_filter_finds(client, agent, db):
    ids = rows.tickets(db, 2)
    r = client.patch(f"{API}/{ids[0]}", json={"tags": ["Billing", "vip", "billing"]},
                     headers=agent.headers)
    assert r.status_code == 200 and r.json()["tags"] == ["billing", "vip"]
    found = client.get(f"{API}?tag=billing", headers=agent.headers).json()
    assert [t["id"] for t in found] == [ids[0]] and found[0]["tags"] == ["billing", "vip"]
    assert client.get(f"{API}?tag=t0", headers=agent.headers).json() == []
    client.patch(f"{API}/{ids[0]}", json={"tags": []}, headers=agent.headers)
    assert [t["id"] for t in client.get(f"{API}?tag=vip", headers=agent.headers).json()] == [
        ids[1]]


@pytest.mark.parametrize(("query", "field"), [
    ("limit=0", "limit"), ("limit=201", "limit"), ("cursor=nonsense", "cursor"),
    ("cursor=" + Cursor(rows.T0, 0).encode(), "cursor"), ("cursor=MjAyNnwx", "cursor"),
])
def test_bad_limits_and_cursors_are_422_naming_the_field(client, agent, query, field):
    r = client.get(f"{API}?{query}", headers=agent.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["loc"][-1] == field


def test_a_cursor_comes_back_as_it_went(client, agent, db):
    c = Cursor(rows.T0 + timedelta(microseconds=123), 42)
    assert Cursor.decode(c.encode()) == c


def test_the_detail_shows_a_new_assignee_at_once(client, admin, agent, db):
    ids = rows.tickets(db, 1)
    r = client.patch(f"{API}/{ids[0]}", json={"assignee_id": agent.id}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == agent.id and r.json()["assignee_name"] == "Agent"
    r = client.patch(f"{API}/{ids[0]}", json={"assignee_id": None}, headers=admin.headers)
    assert r.json()["assignee_name"] is None and r.json()["unassigned"]


def test_the_list_itself_requires_a_role(app, admin, agent):
    with app.state.db.unit_of_work() as db:
        for caller in (admin, agent):
            assert service.list_tickets(db, db.get(User, caller.id)).tickets == []
        stranger = User(email="x@example.test", name="X", password_hash="x", role="viewer")
        with pytest.raises(Forbidden):
            service.list_tickets(db, stranger)


def test_anonymous_callers_are_refused(client):
    assert client.get(API).status_code == 401
