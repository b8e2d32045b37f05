"""The agent workspace page (SPEC §7): the queue, live chat and the ticket, at /agent.

The page is a shell; `web/static/agent.js` fills it from the tickets API (/api/v1/tickets) and
keeps it live through the agent sockets (conversations/agent_socket.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from overture.accounts.service import get_settings_row
from overture.deps import DB, PageUser, check_csrf, page_user
from overture.web.templating import render

router = APIRouter(
    prefix="/agent", include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_user)],
)


@router.get("")
def workspace(request: Request, db: DB, user: PageUser):
    """Reachable even when the workspace is switched off in the settings: agents still have
    tickets to finish. The page says so, because nothing new will arrive."""
    settings = get_settings_row(db)
    return render(request, "agent/workspace.html",
                  workspace_enabled=settings.agent_workspace_enabled,
                  me={"id": user.id, "name": user.name, "is_admin": user.is_admin})
