"""Conversation WebSockets: the part customers and agents share, and the agents' sockets
(the queue feed and one conversation's chat) at /agent/…/ws. The customer's socket is in
widget/sockets.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from fastapi import APIRouter, WebSocket
from sqlalchemy.orm import Session

from overture.accounts import sessions
from overture.accounts.models import User
from overture.accounts.sockets import SIGNED_OUT, signed_in, while_signed_in
from overture.conversations import service
from overture.conversations.models import ChatMessage
from overture.conversations.schemas import AgentMessageIn, MessageOut, checked
from overture.kit.admission import run_unit
from overture.kit.errors import DomainError, Unauthorized
from overture.kit.ids import AfterId, IdPath
from overture.realtime.ws import FloodGate, heartbeat_loop, run_together, serve_chat

router = APIRouter(prefix="/agent")
HEARTBEAT_SECONDS = 20.0

# Loads the conversation through the loader of whoever is on this socket (so every frame is
# checked again), validates the frame's text and stores it.
Store = Callable[[Session, str, str], ChatMessage]


async def serve_conversation(ws: WebSocket, conversation_id: int, after: int,
                             store: Store, author: str) -> None:
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
            return as_json(store(db, client_id, body))

    async def on_message(client_id: str, body: str) -> dict:
        return await run_unit(app, stored, client_id, body)

    await serve_chat(ws, app.state.hub, service.conversation_topic(conversation_id),
                     after=after, load_after=lambda a: run_unit(app, load, a),
                     on_message=on_message, hello=lambda: run_unit(app, status),
                     gate=FloodGate(app.state.limiter, author))


@router.websocket("/ws")
async def queue_feed(ws: WebSocket):
    """Tells the workspace when any conversation has new activity, so the queue refreshes."""
    agent = await run_unit(ws.app, signed_in, ws)
    if agent is None:
        await ws.close(code=SIGNED_OUT)
        return
    user, session_id = agent
    await ws.accept()
    send_lock = asyncio.Lock()

    async def send(event: dict) -> None:
        async with send_lock:
            await ws.send_text(json.dumps(event))

    async with ws.app.state.hub.subscribe(service.QUEUE_TOPIC) as sub:

        async def forward() -> None:
            async for _topic, event in sub:
                if event.get("type") == "resync":  # events may be lost: reload the queue
                    event = {"type": "activity", "conversation_id": None}
                await send(event)

        async def drain() -> None:
            while True:
                await ws.receive_text()

        await while_signed_in(ws, user.id, session_id, lambda: run_together(
            forward, drain, heartbeat_loop(send, HEARTBEAT_SECONDS)))


@router.websocket("/conversations/{ticket_id}/ws")
async def conversation_chat(ws: WebSocket, ticket_id: IdPath, after: AfterId = 0):
    agent = await run_unit(ws.app, signed_in, ws)
    if agent is None:
        await ws.close(code=SIGNED_OUT)  # not signed in (or another site's page)
        return
    user, session_id = agent
    database = ws.app.state.db

    def conversation_of_ticket() -> int | None:
        with database.unit_of_work() as db:
            try:
                return service.access_ticket(db, user, ticket_id).conversation_id
            except DomainError:
                return None

    conversation_id = await run_unit(ws.app, conversation_of_ticket)
    if conversation_id is None:
        await ws.close(code=4404)
        return
    await ws.accept()

    def store(db: Session, client_id: str, body: str) -> ChatMessage:
        data = checked(AgentMessageIn, {"client_id": client_id, "body": body})
        me = db.get(User, user.id)
        if me is None or not sessions.still_valid(db, session_id, lifetime):
            raise Unauthorized("sign in again to reply", code="signed_out")
        ticket = service.access_ticket(db, me, ticket_id)
        return service.agent_message(db, service.conversation_of(db, ticket), me, data.body,
                                     client_id)

    lifetime = ws.app.state.settings.session_lifetime
    await while_signed_in(ws, user.id, session_id, lambda: serve_conversation(
        ws, conversation_id, after, store, f"user:{user.id}"))
