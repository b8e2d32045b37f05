"""The customer's live chat socket, /widget/v1/{channel_key}/conversations/{id}/ws."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket
from sqlalchemy.orm import Session

from overture.channels.models import Channel
from overture.channels.service import channel_by_key
from overture.conversations import service as conversations
from overture.conversations.models import ChatMessage, Conversation
from overture.conversations.schemas import CustomerMessageIn, checked
from overture.conversations.sockets import serve_conversation
from overture.kit.admission import run_unit
from overture.kit.errors import DomainError, NotFound
from overture.kit.ids import AfterId, IdPath
from overture.kit.origins import origin_allowed
from overture.visitors.models import Visitor
from overture.visitors.service import resolve_visitor

router = APIRouter(prefix="/widget/v1/{channel_key}/conversations")
TOO_MANY = 4429  # closed: too many sockets open, or opened, by this visitor or address


@router.websocket("/{conversation_id}/ws")
async def live(ws: WebSocket, channel_key: str, conversation_id: IdPath, visitor_id: str = "",
               after: AfterId = 0):
    app = ws.app
    database = app.state.db

    def conversation(db: Session, channel: Channel | None) -> tuple[Conversation, Visitor]:
        """The visitor's conversation, through the visitor-side loader: on connect, and again
        for every message."""
        if channel is None:
            raise NotFound("no channel with this key", code="channel_not_found")
        visitor = resolve_visitor(db, visitor_id, create=False)
        conv = conversations.access_visitor_conversation(db, channel, visitor, conversation_id)
        assert visitor is not None  # the loader refuses a conversation without its visitor
        return conv, visitor

    def authorise() -> int | None:
        """The visitor's row id (the same for all their tabs), or None: refused."""
        with database.unit_of_work() as db:
            channel = channel_by_key(db, channel_key)
            if channel is None or not origin_allowed(ws.headers.get("origin"), ws,
                                                     channel.allowed_origins):
                return None
            try:
                return conversation(db, channel)[1].id
            except DomainError:
                return None

    def store(db: Session, client_id: str, body: str) -> ChatMessage:
        data = checked(CustomerMessageIn, {"visitor_id": visitor_id, "client_id": client_id,
                                           "body": body})
        conv, visitor = conversation(db, channel_by_key(db, channel_key))
        return conversations.customer_message(db, conv, visitor, data.body, client_id)

    settings = app.state.settings
    ip = ws.client.host if ws.client else "unknown"
    opens = (f"ws:ip:{ip}", settings.widget_socket_opens_per_ip_per_minute, 60)
    if not app.state.limiter.hit_many([opens])[0]:
        await ws.close(code=TOO_MANY)  # before any lookup: opening sockets is cheap to repeat
        return
    visitor_row = await run_unit(app, authorise)
    if visitor_row is None:
        await ws.close(code=4404)
        return
    places = [(f"visitor:{visitor_row}", settings.widget_sockets_per_visitor),
              (f"ip:{ip}", settings.widget_sockets_per_ip)]
    async with app.state.open_sockets.hold(places) as held:
        if not held:
            await ws.close(code=TOO_MANY)
            return
        await ws.accept()
        await serve_conversation(ws, conversation_id, after, store, f"visitor:{visitor_row}")
