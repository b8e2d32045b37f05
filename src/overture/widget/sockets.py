"""The customer's live chat socket, /widget/v1/{channel_key}/conversations/{id}/ws."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from overture.channels.service import channel_by_key
from overture.conversations import service as conversations
from overture.conversations.schemas import CustomerMessageIn, checked
from overture.conversations.sockets import serve_conversation
from overture.kit.admission import run_unit
from overture.kit.errors import DomainError
from overture.kit.ids import AfterId, IdPath
from overture.kit.origins import origin_allowed
from overture.visitors.models import Visitor
from overture.visitors.service import resolve_visitor

router = APIRouter(prefix="/widget/v1/{channel_key}/conversations")


@router.websocket("/{conversation_id}/ws")
async def live(ws: WebSocket, channel_key: str, conversation_id: IdPath, visitor_id: str = "",
               after: AfterId = 0):
    app = ws.app
    database = app.state.db

    def authorise():
        with database.unit_of_work() as db:
            channel = channel_by_key(db, channel_key)
            if channel is None or not origin_allowed(ws.headers.get("origin"), ws,
                                                     channel.allowed_origins):
                return None
            visitor = resolve_visitor(db, visitor_id, create=False)
            try:
                conv = conversations.access_visitor_conversation(db, channel, visitor,
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
        return conversations.customer_message(db, conv, db.get(Visitor, found[2]), data.body,
                                              client_id)

    await serve_conversation(ws, conversation_id, after, store)
