"""The customer's side of a conversation, in the widget API (HTTP, and WebSocket for live)."""

from __future__ import annotations

from fastapi import APIRouter, Request, WebSocket
from sqlalchemy import select

from overture.channels.service import channel_by_key
from overture.conversations import service
from overture.conversations.models import Ticket
from overture.conversations.schemas import (
    ConversationOut,
    CustomerMessageIn,
    MessageOut,
    StartConversationIn,
    checked,
)
from overture.conversations.sockets import serve_conversation
from overture.deps import DB
from overture.i18n import gettext as _
from overture.kit.admission import run_unit
from overture.kit.errors import DomainError, NotFound
from overture.kit.ids import AfterId, IdPath
from overture.visitors.models import Visitor
from overture.visitors.service import resolve_visitor
from overture.widget.routes import WidgetChannel, origin_allowed, visitor_limit

router = APIRouter(prefix="/widget/v1/{channel_key}/conversations", tags=["widget"])

def _out(db, conv, after: int = 0) -> ConversationOut:
    ticket = db.scalar(select(Ticket).where(Ticket.conversation_id == conv.id))
    return ConversationOut(
        conversation_id=conv.id, status=conv.status, ticket_status=ticket.status,
        messages=[MessageOut.model_validate(m)
                  for m in service.messages_after(db, conv.id, after)])


@router.post("", response_model=ConversationOut, status_code=201)
def start(body: StartConversationIn, channel: WidgetChannel, request: Request, db: DB):
    """The customer's first reply to a proactive message (data form or first message) starts
    the conversation and its ticket. Retrying with the same delivery returns the same one."""
    visitor_limit(request, body.visitor_id)
    visitor = resolve_visitor(db, body.visitor_id, create=False)
    if visitor is None:
        raise NotFound(_("delivery not found for this visitor"), code="delivery_not_found")
    conv = service.start_conversation(db, channel, visitor, body)
    return _out(db, conv)


@router.get("/{conversation_id}", response_model=ConversationOut)
def get(conversation_id: IdPath, visitor_id: str, channel: WidgetChannel, db: DB,
        after: AfterId = 0):
    visitor = resolve_visitor(db, visitor_id, create=False)
    conv = service.access_visitor_conversation(db, channel, visitor, conversation_id)
    return _out(db, conv, after)


@router.post("/{conversation_id}/messages", response_model=MessageOut, status_code=201)
def post_message(conversation_id: IdPath, body: CustomerMessageIn, channel: WidgetChannel,
                 request: Request, db: DB):
    """HTTP fallback for sending; the same client_id is stored once."""
    visitor_limit(request, body.visitor_id)
    visitor = resolve_visitor(db, body.visitor_id, create=False)
    conv = service.access_visitor_conversation(db, channel, visitor, conversation_id)
    return service.customer_message(db, conv, visitor, body.body, body.client_id)


@router.websocket("/{conversation_id}/ws")
async def live(ws: WebSocket, channel_key: str, conversation_id: IdPath, visitor_id: str = "",
               after: AfterId = 0):
    app = ws.app
    database = app.state.db

    def authorise():
        with database.unit_of_work() as db:
            channel = channel_by_key(db, channel_key)
            if channel is None:
                return None
            origin = ws.headers.get("origin")
            if origin is not None and not origin_allowed(channel, origin, ws):
                return None
            visitor = resolve_visitor(db, visitor_id, create=False)
            try:
                conv = service.access_visitor_conversation(db, channel, visitor,
                                                           conversation_id)
            except DomainError:
                return None
            return channel.id, conv.id, visitor.id

    found = await run_unit(app, authorise)
    if found is None:
        await ws.close(code=4404)
        return
    await ws.accept()

    def store(db, conv, client_id: str, body: str):
        data = checked(CustomerMessageIn, {"visitor_id": visitor_id, "client_id": client_id,
                                           "body": body})
        return service.customer_message(db, conv, db.get(Visitor, found[2]), data.body,
                                        client_id)

    await serve_conversation(ws, conversation_id, after, store)
