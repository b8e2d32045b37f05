"""Every router, in one place."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from overture.accounts import pages as account_pages
from overture.accounts import routes as account_api
from overture.bots import pages as bot_pages
from overture.bots import routes as bot_api
from overture.brands import pages as brand_pages
from overture.brands import routes as brand_api
from overture.channels import pages as channel_pages
from overture.channels import routes as channel_api
from overture.conversations import pages as agent_pages
from overture.conversations import routes as ticket_api
from overture.conversations import sockets as agent_sockets
from overture.demo import pages as demo_pages
from overture.deps import check_csrf
from overture.health import routes as health
from overture.proactive import pages as proactive_pages
from overture.proactive import report_pages as proactive_report_pages
from overture.proactive import routes as proactive_api
from overture.schedules import pages as schedule_pages
from overture.schedules import routes as schedule_api
from overture.webhooks import pages as webhook_pages
from overture.webhooks import routes as webhook_api
from overture.widget import assets as widget_assets
from overture.widget import bot_routes as widget_bots
from overture.widget import routes as widget_api
from overture.widget import sockets as widget_sockets


def include_routers(app: FastAPI) -> None:
    for api in (account_api, brand_api, channel_api, schedule_api, bot_api, proactive_api,
                ticket_api, webhook_api):
        # Session-authenticated API calls need the CSRF header too; token calls do not.
        app.include_router(api.router, dependencies=[Depends(check_csrf)])
    for module in (health, widget_api, widget_bots, widget_sockets, agent_sockets,
                   account_pages, brand_pages, channel_pages, schedule_pages, bot_pages,
                   proactive_report_pages, proactive_pages, agent_pages, webhook_pages,
                   widget_assets):
        app.include_router(module.router)
    if app.state.settings.environment != "production":
        # The demo site prints the demo admin's password: never on a production server.
        app.include_router(demo_pages.router)
    app.include_router(account_pages.public)
    app.include_router(account_pages.account)
