"""Tickets REST API (agents and admins) under /api/v1/tickets, and how many tickets each view
of the queue holds at /api/v1/ticket-counts (a path of its own: under /tickets it would be
taken for a ticket id by the other methods)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from overture.conversations import service
from overture.conversations.schemas import (
    AgentMessageIn,
    MessageOut,
    TicketCounts,
    TicketDetail,
    TicketOut,
    TicketPatch,
    TicketView,
)
from overture.deps import DB, ApiUser
from overture.kit.ids import IdPath
from overture.kit.pagination import Cursor
from overture.kit.schemas import TextOnly

router = APIRouter(prefix="/api/v1", tags=["tickets"])


NEXT_PAGE_HEADERS = {
    "X-Next-Cursor": {"description": "The `cursor` of the next page; absent on the last page.",
                      "schema": {"type": "string"}},
    "Link": {"description": 'The next page\'s URL, as `<url>; rel="next"`; absent on the last '
                            "page.", "schema": {"type": "string"}},
}


TagQuery = Annotated[str | None, Query(max_length=50, description="only tickets with this tag"),
                     TextOnly]
StatusQuery = Annotated[Literal["new", "open", "pending", "solved", "unsolved"] | None,
                        Query(description="`unsolved`: every status but solved")]
ViewQuery = Annotated[TicketView | None, Query(
    description="a view of the agents' queue: `mine` (unsolved, assigned to the caller), "
                "`unassigned` (unsolved, nobody's), `open` (every unsolved ticket), `solved`")]
SearchQuery = Annotated[str | None, Query(
    max_length=200, description="a requester's name or email, or a part of it, in any letter "
                                "case; or a whole tag"), TextOnly]
LimitQuery = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE, description="tickets per page")]
CursorQuery = Annotated[str | None, Query(
    max_length=200, description="where the page starts: the `X-Next-Cursor` of the page before"),
    TextOnly]


@router.get("/tickets", response_model=list[TicketOut],
            responses={200: {"headers": NEXT_PAGE_HEADERS}})
def list_tickets(request: Request, response: Response, db: DB, user: ApiUser,
                 tag: TagQuery = None, status: StatusQuery = None, view: ViewQuery = None,
                 q: SearchQuery = None, limit: LimitQuery = service.PAGE_SIZE,
                 cursor: CursorQuery = None):
    """Tickets, latest activity first; `status=unsolved` (or `view=open`) for the agents'
    queue. Filters add up: `view=mine&q=maria&tag=vip`.

    Each ticket comes with its conversation's last message (`preview`, plain text, cut),
    since when the customer has been waiting for an answer (`waiting_since`: their first
    message after an agent last replied) and whether they wrote after that reply (`unread`).

    **Pagination.** One page of at most `limit` tickets (50 by default, at most 200). When more
    follow, the response carries the next page's cursor in `X-Next-Cursor` (and the next page's
    URL in `Link`, `rel="next"`); pass it back as `cursor`, with the same filters, until a page
    comes without it. The body is always a plain JSON list.

    Pages are keyset pages on (last activity, ticket id), the list's own order: a cursor names
    the last ticket of its page, and the next page holds the tickets strictly after it. A new
    ticket, or one with new messages, goes to the top while you page: it is never listed twice,
    and the tickets you have not reached yet are neither skipped nor repeated; read page one
    again to see what moved.
    """
    page = service.list_tickets(
        db, user, tag=tag, status=status, view=view, q=q, limit=limit,
        after=Cursor.decode(cursor) if cursor is not None else None)
    if page.next_cursor is not None:
        token = page.next_cursor.encode()
        response.headers["X-Next-Cursor"] = token
        response.headers["Link"] = f'<{request.url.include_query_params(cursor=token)}>; rel="next"'
    return page.tickets


@router.get("/ticket-counts", response_model=TicketCounts)
def count_tickets(db: DB, user: ApiUser, q: SearchQuery = None):
    """How many tickets each view of the queue holds (`view=` of the list), matching the
    search `q` when given."""
    return service.ticket_counts(db, user, q=q)


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
def get_ticket(ticket_id: IdPath, db: DB, user: ApiUser):
    return service.ticket_detail(db, service.access_ticket(db, user, ticket_id))


@router.patch("/tickets/{ticket_id}", response_model=TicketDetail)
def patch_ticket(ticket_id: IdPath, patch: TicketPatch, db: DB, user: ApiUser):
    ticket = service.access_ticket(db, user, ticket_id, for_update=True)
    return service.ticket_detail(db, service.update_ticket(db, user, ticket, patch))


@router.post("/tickets/{ticket_id}/messages", response_model=MessageOut, status_code=201)
def reply(ticket_id: IdPath, body: AgentMessageIn, db: DB, user: ApiUser):
    """An agent's reply (HTTP fallback of the agent's live socket)."""
    ticket = service.access_ticket(db, user, ticket_id)
    return service.agent_message(db, service.conversation_of(db, ticket), user, body.body,
                                 body.client_id)
