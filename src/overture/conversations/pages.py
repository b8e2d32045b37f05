"""The agent workspace page (SPEC §7): the queue, live chat and the ticket, at /agent.

The page is a shell; `web/static/agent.js` fills it from the tickets API (/api/v1/tickets) and
keeps it live through the agent sockets (conversations/agent_socket.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from overture.accounts.service import get_settings_row
from overture.deps import DB, PageUser, check_csrf, page_user
from overture.i18n import pgettext
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
    # The queue's views, named as groups of tickets ("Solved" is "Resolvidos" here, where a
    # ticket's status is "Resolvido").
    views = [("mine", pgettext("queue view", "Mine")),
             ("unassigned", pgettext("queue view", "Unassigned")),
             ("open", pgettext("queue view", "All open")),
             ("solved", pgettext("queue view", "Solved"))]
    return render(request, "agent/workspace.html",
                  workspace_enabled=settings.agent_workspace_enabled, views=views,
                  me={"id": user.id, "name": user.name, "is_admin": user.is_admin})
