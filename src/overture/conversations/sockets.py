"""The part of a conversation's WebSocket that customers and agents share."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session
from starlette.websockets import WebSocket

from overture.conversations import service
from overture.conversations.models import ChatMessage, Conversation
from overture.conversations.schemas import MessageOut
from overture.kit.admission import run_unit
from overture.realtime.ws import serve_chat

# Validates a frame's text and stores it for whoever is on this socket.
Store = Callable[[Session, Conversation, str, str], ChatMessage]


async def serve_conversation(ws: WebSocket, conversation_id: int, after: int,
                             store: Store) -> None:
    """Run an accepted socket: catch up after `after`, then live, until it closes."""
    app = ws.app
    database = app.state.db

    def as_json(message: ChatMessage) -> dict:
        return MessageOut.model_validate(message).model_dump(mode="json")

    def load(after_id: int) -> list[dict]:
        with database.unit_of_work() as db:
            return [as_json(m) for m in service.messages_after(db, conversation_id, after_id)]

    def status() -> dict:
        with database.unit_of_work() as db:
            return service.current_status(db, conversation_id)

    def stored(client_id: str, body: str) -> dict:
        with database.unit_of_work() as db:
            conv = db.get(Conversation, conversation_id)
            return as_json(store(db, conv, client_id, body))

    async def on_message(client_id: str, body: str) -> dict:
        return await run_unit(app, stored, client_id, body)

    await serve_chat(ws, app.state.hub, service.conversation_topic(conversation_id),
                     after=after, load_after=lambda a: run_unit(app, load, a),
                     on_message=on_message, hello=await run_unit(app, status))
