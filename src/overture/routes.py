"""Every router, in one place."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from overture.accounts import admin as accounts_admin
from overture.accounts import routes as accounts
from overture.brands import admin as brands_admin
from overture.brands.routes import router as brands_api
from overture.channels import admin as channels_admin
from overture.channels.routes import router as channels_api
from overture.conversations import agent as agent_pages
from overture.conversations import agent_socket
from overture.conversations import widget_routes as conversation_widget
from overture.conversations.routes import router as tickets_api
from overture.deps import check_csrf
from overture.proactive import admin as proactive_admin
from overture.proactive.routes import router as proactive_api
from overture.schedules import admin as schedules_admin
from overture.schedules.routes import router as schedules_api
from overture.web import admin as admin_home
from overture.widget import assets as widget_assets
from overture.widget import demo as widget_demo
from overture.widget.routes import router as widget_api


def include_routers(app: FastAPI) -> None:
    app.include_router(accounts.pages)
    for router in (accounts.api, brands_api, channels_api, schedules_api, proactive_api,
                   tickets_api):
        # Session-authenticated API calls need the CSRF header too; token calls do not.
        app.include_router(router, dependencies=[Depends(check_csrf)])
    app.include_router(widget_api)
    app.include_router(conversation_widget.router)
    app.include_router(agent_socket.router)
    for router in (admin_home.router, brands_admin.router, channels_admin.router,
                   schedules_admin.router, accounts_admin.router, proactive_admin.router,
                   agent_pages.router, widget_assets.router,
                   widget_demo.router):
        app.include_router(router)
