"""Live sockets for the agent workspace: the queue feed and one conversation's chat."""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool

from overture.accounts.models import User
from overture.conversations import service
from overture.conversations.models import Conversation, Ticket
from overture.conversations.schemas import AgentMessageIn, MessageOut, checked
from overture.kit.ids import AfterId, IdPath
from overture.realtime.ws import serve_chat

router = APIRouter(prefix="/agent")
HEARTBEAT_SECONDS = 20.0


def _same_origin(ws: WebSocket) -> bool:
    """Cookies ride along on cross-site WebSockets too: only our own pages may connect."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    scheme = "https" if ws.url.scheme == "wss" else "http"
    return origin == f"{scheme}://{ws.url.netloc}"


def _agent(ws: WebSocket) -> int | None:
    uid = ws.session.get("uid") if "session" in ws.scope else None
    if uid is None or not _same_origin(ws):
        return None
    with ws.app.state.db.unit_of_work() as db:
        user = db.get(User, uid)
        return user.id if user is not None and user.is_active else None


@router.websocket("/ws")
async def queue_feed(ws: WebSocket):
    """Tells the workspace when any conversation has new activity, so the queue refreshes."""
    if await run_in_threadpool(_agent, ws) is None:
        await ws.close(code=4401)
        return
    await ws.accept()
    async with ws.app.state.hub.subscribe(service.QUEUE_TOPIC) as sub:

        async def forward() -> None:
            async for _topic, event in sub:
                await ws.send_text(json.dumps(event))

        async def drain() -> None:
            while True:
                await ws.receive_text()

        async def ping() -> None:
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                await ws.send_text('{"type": "ping"}')

        tasks = [asyncio.create_task(t()) for t in (forward, drain, ping)]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t


@router.websocket("/conversations/{ticket_id}/ws")
async def conversation_chat(ws: WebSocket, ticket_id: IdPath, after: AfterId = 0):
    uid = await run_in_threadpool(_agent, ws)
    database = ws.app.state.db
    if uid is None:
        await ws.close(code=4401)  # not signed in (or another site's page)
        return

    def conversation_of_ticket() -> int | None:
        with database.unit_of_work() as db:
            ticket = db.get(Ticket, ticket_id)
            return ticket.conversation_id if ticket else None

    conversation_id = await run_in_threadpool(conversation_of_ticket)
    if conversation_id is None:
        await ws.close(code=4404)
        return
    await ws.accept()

    def load(after_id: int) -> list[dict]:
        with database.unit_of_work() as db:
            return [MessageOut.model_validate(m).model_dump(mode="json")
                    for m in service.messages_after(db, conversation_id, after_id)]

    def store(client_id: str, body: str) -> dict:
        data = checked(AgentMessageIn, {"client_id": client_id, "body": body})
        with database.unit_of_work() as db:
            conv = db.get(Conversation, conversation_id)
            message = service.agent_message(db, conv, db.get(User, uid), data.body, client_id)
            return MessageOut.model_validate(message).model_dump(mode="json")

    def status() -> dict:
        with database.unit_of_work() as db:
            return service.current_status(db, conversation_id)

    async def on_message(client_id: str, body: str) -> dict:
        return await run_in_threadpool(store, client_id, body)

    await serve_chat(ws, ws.app.state.hub, service.conversation_topic(conversation_id),
                     after=after, load_after=lambda a: run_in_threadpool(load, a),
                     on_message=on_message, hello=await run_in_threadpool(status))
