"""The agents' queue over HTTP: views, search, what a row says (who, the last message, how long
the customer has waited, unread), the proactive message as the customer saw it, and tags
typed with a space."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from overture.conversations.models import Ticket
from overture.kit.clock import clock
from overture.proactive import render
from overture.visitors.models import Visitor
from tests import rows
from tests.querycount import assert_statement_count
from tests.widget.helpers import new_id

API = "/api/v1/tickets"
COUNTS = "/api/v1/ticket-counts"
T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _start(visitor, **body) -> int:
    r = visitor._post("conversations", {
        "visitor_id": visitor.visitor_id, "delivery_id": visitor.last["show"]["delivery_id"],
        "client_id": new_id("c"), **body})
    assert r.status_code == 201, r.text
    return r.json()["conversation_id"]


def _say(visitor, conversation_id: int, body: str) -> None:
    r = visitor._post(f"conversations/{conversation_id}/messages", {
        "visitor_id": visitor.visitor_id, "client_id": new_id("c"), "body": body})
    assert r.status_code == 201, r.text


def _row(client, caller, ticket_id: int, query: str = "") -> dict:
    listed = client.get(f"{API}?{query}", headers=caller.headers)
    assert listed.status_code == 200, listed.text
    return next(t for t in listed.json() if t["id"] == ticket_id)


def _ids(client, caller, query: str) -> list[int]:
    r = client.get(f"{API}?{query}", headers=caller.headers)
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()]


# -- what a row says ------------------------------------------------------------------------


def test_a_row_says_the_last_message_how_long_the_customer_waits_and_if_unread(
        client, agent, live, visitor):
    live(message="Need help?")
    clock.freeze(T)
    visitor.view()
    visitor.event("opened")
    cid = _start(visitor, name="Maria Silva", email="maria@example.com")
    tid = _ids(client, agent, "")[0]

    # The form (her name and email) is her first message; the follow-up is the last one.
    row = _row(client, agent, tid)
    assert row["preview"] == "Thanks!" and row["preview_author"] == "sender"
    assert row["waiting_since"] == "2026-03-02T10:00:00Z" and row["unread"] is True

    # An agent answers: nobody waits, nothing is unread.
    clock.freeze(T + timedelta(minutes=5))
    r = client.post(f"{API}/{tid}/messages", json={"client_id": "reply-0001", "body": "Hi Maria"},
                    headers=agent.headers)
    assert r.status_code == 201, r.text
    row = _row(client, agent, tid)
    assert (row["preview"], row["preview_author"]) == ("Hi Maria", "agent")
    assert row["waiting_since"] is None and row["unread"] is False

    # She writes twice: she has waited since the first of the two.
    clock.freeze(T + timedelta(minutes=10))
    _say(visitor, cid, "Is there\na   discount?")
    clock.freeze(T + timedelta(minutes=12))
    _say(visitor, cid, "x" * 300)
    row = _row(client, agent, tid, "view=open")
    assert row["waiting_since"] == "2026-03-02T10:10:00Z" and row["unread"] is True
    assert row["preview"] == "x" * 139 + "…" and row["preview_author"] == "customer"
    detail = client.get(f"{API}/{tid}", headers=agent.headers).json()
    assert {k: detail[k] for k in ("preview", "waiting_since", "unread")} == {
        k: row[k] for k in ("preview", "waiting_since", "unread")}

    # The preview is one line of plain text.
    _say(visitor, cid, "Is there\na   discount?")
    assert _row(client, agent, tid)["preview"] == "Is there a discount?"

    # Solved: nobody is waiting any more.
    client.patch(f"{API}/{tid}", json={"status": "solved"}, headers=agent.headers)
    row = _row(client, agent, tid, "view=solved")
    assert row["waiting_since"] is None and row["unread"] is False


def test_a_visitor_who_gave_no_name_has_a_short_label_of_their_own(client, agent, db):
    ids = rows.tickets(db, 3)
    with db() as session:
        for ticket in session.scalars(select(Ticket).where(Ticket.id == ids[0])):
            ticket.requester_name = ticket.requester_email = ""
        for v in session.scalars(select(Visitor).where(Visitor.anon_id == "anon-0")):
            v.name = v.email = ""
    listed = {t["id"]: t for t in client.get(API, headers=agent.headers).json()}
    refs = [listed[i]["visitor_ref"] for i in ids]
    assert all(len(r) == 6 and set(r) <= set("0123456789abcdef") for r in refs)
    assert len(set(refs)) == 3  # one visitor each
    nameless = listed[ids[0]]
    assert [nameless[k] for k in ("requester_name", "requester_email", "visitor_name",
                                  "visitor_email")] == ["", "", "", ""]
    assert listed[ids[2]]["visitor_name"] == "Visitor 2"
    # The same on every read, in the list and the detail.
    again = {t["id"]: t["visitor_ref"] for t in client.get(API, headers=agent.headers).json()}
    assert [again[i] for i in ids] == refs
    assert client.get(f"{API}/{ids[0]}", headers=agent.headers).json()["visitor_ref"] == refs[0]


# -- views ----------------------------------------------------------------------------------


def test_views_and_their_counts(client, admin, agent, db):
    # 0: the agent's; 1: nobody's; 2: another agent's; 3: solved; 4: solved, the agent's.
    ids = rows.tickets(db, 5, status=lambda i: "solved" if i >= 3 else "open")
    for i, assignee in ((0, agent.id), (1, None), (4, agent.id)):
        r = client.patch(f"{API}/{ids[i]}", json={"assignee_id": assignee}, headers=admin.headers)
        assert r.status_code == 200, r.text
    newest_first = lambda *i: [ids[k] for k in sorted(i, reverse=True)]  # noqa: E731
    assert _ids(client, agent, "view=mine") == newest_first(0)
    assert _ids(client, admin, "view=mine") == []
    assert _ids(client, agent, "view=unassigned") == newest_first(1)
    assert _ids(client, agent, "view=open") == newest_first(0, 1, 2)
    assert _ids(client, agent, "view=solved") == newest_first(3, 4)
    # Views add up with the other filters.
    assert _ids(client, agent, "view=open&status=new") == []
    assert _ids(client, agent, "view=solved&tag=t4") == newest_first(4)

    r = client.get(COUNTS, headers=agent.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"mine": 1, "unassigned": 1, "open": 3, "solved": 2}
    assert client.get(COUNTS, headers=admin.headers).json()["mine"] == 0


@pytest.mark.parametrize("query", ["view=all", "view=", "view=MINE"])
def test_an_unknown_view_is_422_naming_it(client, agent, query):
    r = client.get(f"{API}?{query}", headers=agent.headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["loc"][-1] == "view"


def test_counts_need_a_staff_caller(client):
    assert client.get(COUNTS).status_code == 401


# -- search ---------------------------------------------------------------------------------


@pytest.fixture
def people(db) -> list[int]:
    """Maria Silva, João Souza (tagged billing) and Ana (no name on the ticket: her visitor
    profile has it), each with tags vip and t<i>."""
    ids = rows.tickets(db, 3, tags=lambda i: ["vip", f"t{i}"] + (["billing"] if i == 1 else []))
    with db() as session:
        tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
        for i, (name, email) in enumerate([("Maria Silva", "maria@example.com"),
                                           ("João Souza", "joao@Shop.example"), ("", "")]):
            tickets[ids[i]].requester_name, tickets[ids[i]].requester_email = name, email
        ana = session.scalar(select(Visitor).where(Visitor.anon_id == "anon-2"))
        ana.name, ana.email = "Ana Costa", "ana_costa@example.org"
        for v in session.scalars(select(Visitor).where(Visitor.anon_id != "anon-2")):
            v.name, v.email = "", ""
    return ids


@pytest.mark.parametrize(("q", "found"), [
    ("maria", [0]), ("SILVA", [0]), ("ria sil", [0]), ("shop.EXAMPLE", [1]), ("João", [1]),
    ("ana costa", [2]), ("ANA_COSTA@", [2]),  # the visitor's name and email
    ("billing", [1]), ("BILLING", [1]), ("bill", []),  # a tag is matched whole
    ("vip", [2, 1, 0]), ("t0", [0]), ("  maria  ", [0]),
    ("%", []), ("_", [2]), ("nobody", []),  # % and _ are letters, not wildcards
])
def test_search_by_requester_or_tag(client, agent, people, q, found):
    assert _ids(client, agent, f"q={q}") == [people[i] for i in found]


def test_search_adds_up_with_views_and_counts(client, agent, people):
    client.patch(f"{API}/{people[0]}", json={"status": "solved"}, headers=agent.headers)
    assert _ids(client, agent, "view=open&q=maria") == []
    assert _ids(client, agent, "view=solved&q=maria") == [people[0]]
    counts = client.get(f"{COUNTS}?q=vip", headers=agent.headers).json()
    assert counts == {"mine": 0, "unassigned": 0, "open": 2, "solved": 1}
    assert client.get(f"{COUNTS}?q=maria", headers=agent.headers).json()["open"] == 0


@pytest.mark.parametrize("query", ["q=" + "a" * 201, "q=a%00b"])
def test_a_bad_search_is_422_naming_it(client, agent, query):
    for path in (API, COUNTS):
        r = client.get(f"{path}?{query}", headers=agent.headers)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"][0]["loc"][-1] == "q"


# -- a constant number of statements --------------------------------------------------------

# The caller (token with user; its last use is stamped at most once a minute, on the warm-up
# call), the page of tickets with conversation, visitor, assignee, last message and waiting time.
QUEUE_PAGE = 2
# The caller, the four counts.
QUEUE_COUNTS = 2


@pytest.mark.parametrize("n", [1, 30])
@pytest.mark.parametrize("query", ["view=open", "view=mine&q=example", "view=solved&q=vip",
                                   "view=unassigned&tag=vip&limit=200"])
def test_the_queue_costs_the_same_statements_for_one_row_or_thirty(app, client, agent, db, n,
                                                                   query):
    rows.tickets(db, n, status=lambda i: "solved" if i % 3 == 0 else "open")
    with db() as session:  # some of them the agent's, some nobody's, some answered
        for i, ticket in enumerate(session.scalars(select(Ticket).order_by(Ticket.id))):
            ticket.assignee_id = (agent.id, None)[i % 2]
    for i, tid in enumerate(_ids(client, agent, "view=open&limit=200")):
        if i % 2:
            r = client.post(f"{API}/{tid}/messages", headers=agent.headers,
                            json={"client_id": f"reply-{i:04}", "body": "Hello"})
            assert r.status_code == 201, r.text
    with assert_statement_count(app, QUEUE_PAGE):
        r = client.get(f"{API}?{query}", headers=agent.headers)
    assert r.status_code == 200
    assert len(r.json()) >= (1 if n == 1 and query == "view=solved&q=vip" else n // 6)
    with assert_statement_count(app, QUEUE_COUNTS):
        assert client.get(f"{COUNTS}?q=vip", headers=agent.headers).status_code == 200


# -- the proactive message as the customer saw it ---------------------------------------------

FORMATTED = ("Need **help**, {{first_name}}? See [our plans](https://shop.example/pricing), "
             "*today*. [Not this](javascript:alert(1))")


def test_the_proactive_message_comes_formatted_as_the_customer_saw_it(
        client, agent, live, visitor):
    live(message=FORMATTED)
    visitor.view()
    visitor.event("opened")
    # Her name was unknown when she saw it: the reply form names her only after.
    first = _start(visitor, name="Maria Silva", email="maria@example.com")
    tid = _ids(client, agent, "")[0]
    detail = client.get(f"{API}/{tid}", headers=agent.headers).json()
    assert detail["proactive_message_runs"] == [
        {"text": "Need ", "bold": False, "italic": False, "href": None},
        {"text": "help", "bold": True, "italic": False, "href": None},
        {"text": "? See ", "bold": False, "italic": False, "href": None},
        {"text": "our plans", "bold": False, "italic": False,
         "href": "https://shop.example/pricing"},
        {"text": ", ", "bold": False, "italic": False, "href": None},
        {"text": "today", "bold": False, "italic": True, "href": None},
        # A link to anything but http, https or mailto is no link: its text stays as typed.
        {"text": ". [Not this](javascript:alert(1))", "bold": False, "italic": False,
         "href": None},
    ]
    assert detail["messages"][0]["body"] == render.plain(render.runs(FORMATTED))
    assert detail["proactive_message_text"] == FORMATTED  # the message as written, unchanged

    # Solved, she sees it again, now by name: this ticket shows it with her name.
    client.patch(f"{API}/{tid}", json={"status": "solved"}, headers=agent.headers)
    visitor.view("https://shop.example/again")
    visitor.event("opened")
    second = _start(visitor, name="Maria Silva", email="maria@example.com")
    assert second != first
    tid2 = next(i for i in _ids(client, agent, "view=open"))
    detail2 = client.get(f"{API}/{tid2}", headers=agent.headers).json()
    runs = detail2["proactive_message_runs"]
    assert "".join(r["text"] for r in runs).startswith("Need help, Maria? See our plans")
    assert detail2["visitor_ref"] == detail["visitor_ref"]  # one customer, one label


def test_a_ticket_without_a_proactive_message_has_no_runs(client, agent, site, visitor):
    r = visitor._post("conversations", {"visitor_id": visitor.visitor_id,
                                        "client_id": new_id("c"), "message": "Hello?"})
    assert r.status_code == 201, r.text
    tid = _ids(client, agent, "")[0]
    detail = client.get(f"{API}/{tid}", headers=agent.headers).json()
    assert detail["proactive_message_runs"] is None
    assert (detail["preview"], detail["unread"]) == ("Hello?", True)


# -- tags typed with a space ----------------------------------------------------------------


@pytest.mark.parametrize("tags", [["vip customer"], ["ok", "two\twords"], ["a  b"]])
def test_a_tag_with_a_space_is_refused_not_split(client, agent, db, tags):
    ids = rows.tickets(db, 1)
    r = client.patch(f"{API}/{ids[0]}", json={"tags": tags}, headers=agent.headers)
    assert r.status_code == 422, r.text
    detail = r.json()["error"]["details"][0]
    assert detail["loc"][-1] == "tags"
    assert "has a space: one word per tag: use - or _" in detail["msg"]
    assert tags[-1].strip() in detail["msg"]
    assert client.get(f"{API}/{ids[0]}", headers=agent.headers).json()["tags"] == ["vip", "t0"]


def test_one_word_tags_are_taken_trimmed_and_lower_case(client, agent, db):
    ids = rows.tickets(db, 1)
    r = client.patch(f"{API}/{ids[0]}", json={"tags": [" VIP-Customer ", "vip_customer"]},
                     headers=agent.headers)
    assert r.status_code == 200, r.text
    assert r.json()["tags"] == ["vip-customer", "vip_customer"]
