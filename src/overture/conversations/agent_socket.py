"""Live sockets for the agent workspace: the queue feed and one conversation's chat."""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket

from overture.accounts.models import User
from overture.conversations import service
from overture.conversations.models import Ticket
from overture.conversations.schemas import AgentMessageIn, checked
from overture.conversations.sockets import serve_conversation
from overture.kit.admission import run_unit
from overture.kit.ids import AfterId, IdPath

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
    if await run_unit(ws.app, _agent, ws) is None:
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
    uid = await run_unit(ws.app, _agent, ws)
    database = ws.app.state.db
    if uid is None:
        await ws.close(code=4401)  # not signed in (or another site's page)
        return

    def conversation_of_ticket() -> int | None:
        with database.unit_of_work() as db:
            ticket = db.get(Ticket, ticket_id)
            return ticket.conversation_id if ticket else None

    conversation_id = await run_unit(ws.app, conversation_of_ticket)
    if conversation_id is None:
        await ws.close(code=4404)
        return
    await ws.accept()

    def store(db, conv, client_id: str, body: str):
        data = checked(AgentMessageIn, {"client_id": client_id, "body": body})
        return service.agent_message(db, conv, db.get(User, uid), data.body, client_id)

    await serve_conversation(ws, conversation_id, after, store)
