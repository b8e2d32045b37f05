"""Tickets REST API (agents and admins) under /api/v1/tickets."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.conversations import service
from overture.conversations.models import Conversation, Ticket
from overture.conversations.schemas import (
    AgentMessageIn,
    MessageOut,
    PageViewOut,
    TicketDetail,
    TicketOut,
    TicketPatch,
)
from overture.deps import DB, ApiUser
from overture.kit.ids import IdPath
from overture.proactive.models import ProactiveMessage
from overture.visitors.models import Visitor

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


def ticket_out(db: Session, ticket: Ticket, conv: Conversation | None = None) -> TicketOut:
    conv = conv or db.get(Conversation, ticket.conversation_id)
    assignee = db.get(User, ticket.assignee_id) if ticket.assignee_id else None
    return TicketOut(
        id=ticket.id, conversation_id=ticket.conversation_id, channel_id=conv.channel_id,
        requester_name=ticket.requester_name, requester_email=ticket.requester_email,
        status=ticket.status, assignee_id=ticket.assignee_id,
        assignee_name=assignee.name if assignee else None, tags=ticket.tags or [],
        proactive_message_id=ticket.proactive_message_id,
        proactive_message_name=ticket.proactive_message_name,
        created_at=ticket.created_at, updated_at=ticket.updated_at,
        last_activity=conv.last_activity, unassigned=ticket.assignee_id is None,
    )


def ticket_detail(db: Session, ticket: Ticket) -> TicketDetail:
    base = ticket_out(db, ticket)
    conv = db.get(Conversation, ticket.conversation_id)
    visitor = db.get(Visitor, conv.visitor_id)
    message = (db.get(ProactiveMessage, ticket.proactive_message_id)
               if ticket.proactive_message_id else None)
    return TicketDetail(
        **base.model_dump(),
        messages=[MessageOut.model_validate(m) for m in service.messages_after(db, conv.id)],
        page_views=[PageViewOut(url=p.url, title=p.title, at=p.at)
                    for p in service.recent_page_views(db, conv.visitor_id)],
        proactive_message_text=message.message if message else None,
        visitor_name=visitor.name if visitor else "",
        visitor_email=visitor.email if visitor else "",
    )


@router.get("", response_model=list[TicketOut])
def list_tickets(db: DB, user: ApiUser, tag: str | None = None,
                 status: Literal["new", "open", "pending", "solved", "unsolved"] | None = None):
    """Tickets, newest activity first; `status=unsolved` for the agents' queue."""
    return [ticket_out(db, t, c) for t, c in service.list_tickets(db, tag, status)]


@router.get("/{ticket_id}", response_model=TicketDetail)
def get_ticket(ticket_id: IdPath, db: DB, user: ApiUser):
    return ticket_detail(db, service.access_ticket(db, user, ticket_id))


@router.patch("/{ticket_id}", response_model=TicketDetail)
def patch_ticket(ticket_id: IdPath, patch: TicketPatch, db: DB, user: ApiUser):
    ticket = service.access_ticket(db, user, ticket_id, for_update=True)
    return ticket_detail(db, service.update_ticket(db, ticket, patch))


@router.post("/{ticket_id}/messages", response_model=MessageOut, status_code=201)
def reply(ticket_id: IdPath, body: AgentMessageIn, db: DB, user: ApiUser):
    """An agent's reply (HTTP fallback of the agent's live socket)."""
    ticket = service.access_ticket(db, user, ticket_id)
    conv = db.get(Conversation, ticket.conversation_id)
    return service.agent_message(db, conv, user, body.body, body.client_id)
