"""Who may call what: every route of the app, for every kind of caller, against the table below.

The callers: `anonymous` (a browser that has a session and its CSRF token, but nobody signed
in), an `agent` and an `admin` signed in (session cookie; unsafe calls carry the CSRF header),
and an agent's and an admin's API token (`agent_token`, `admin_token`: Authorization: Bearer,
no cookie). Each answer is an HTTP status, LOGIN for a page's redirect to the sign-in page, or
for a WebSocket OPEN (accepted) or the code it was closed with.

A route the app serves that the table does not declare fails, and so does an entry that names
no route: a new route is declared here together with who may call it. Path ids name real
objects (a brand, channel, schedule, proactive message, ticket and its conversation, webhook
and one of its finished deliveries) and unsafe calls send a valid body, so an admin's 2xx is a
real success and a 401/403 a refusal of something that would otherwise have worked. Unsafe
calls get objects of their own, made for the call, so that one caller's delete does not decide
the next caller's answer.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Mount, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from overture.accounts.models import User
from overture.accounts.service import access_settings, list_users, overview_counts
from overture.bots.service import access_bot, list_bots
from overture.brands.service import access_brand, list_brands
from overture.channels.service import access_channel, list_channels
from overture.conversations.models import Ticket
from overture.conversations.service import access_ticket
from overture.demo.service import DEMO_CHANNEL_KEY
from overture.kit.errors import Forbidden, NotFound
from overture.proactive.service import access_message, list_messages
from overture.schedules.service import access_schedule, list_schedules
from overture.webhooks.service import access_webhook, list_webhooks
from tests.conftest import PASSWORD, csrf_from, login
from tests.widget.helpers import ORIGIN, Browser, make_jwt, new_id

CALLERS = ("anonymous", "agent", "admin", "agent_token", "admin_token")
LOGIN = "redirect to /login"
OPEN = "accepted"
WS = "WEBSOCKET"

Expected = dict[str, int | str]


def _table(anonymous, agent, admin, agent_token, admin_token) -> Expected:
    return dict(zip(CALLERS, (anonymous, agent, admin, agent_token, admin_token), strict=True))


def public(ok: int = 200) -> Expected:
    """Anyone, signed in or not."""
    return _table(ok, ok, ok, ok, ok)


def staff_api(ok: int = 200) -> Expected:
    """Agents and admins, by session or token."""
    return _table(401, ok, ok, ok, ok)


def admin_api(ok: int = 200) -> Expected:
    """The configuration: admins only."""
    return _table(401, 403, ok, 403, ok)


def staff_page(ok: int = 200) -> Expected:
    return _table(LOGIN, ok, ok, ok, ok)


def admin_page(ok: int = 200) -> Expected:
    return _table(LOGIN, 403, ok, 403, ok)


def widget(ok: int = 200) -> Expected:
    """The public widget API acts for visitors: any browser with the channel key; a staff
    token is refused outright (400 token_not_accepted)."""
    return _table(ok, ok, ok, 400, 400)


# What a refused caller gets: not signed in, not allowed, a staff token on the widget API.
REFUSED = {401, 403, LOGIN, 400, 4401}

# A preflight carrying a staff token is refused like any other call that names no channel.
PREFLIGHT = _table(204, 204, 204, 403, 403)
# Staff sockets take the session only (a browser cannot put a token on a WebSocket).
STAFF_SOCKET = _table(4401, OPEN, OPEN, 4401, 4401)
# The visitor's socket: the channel key, the visitor id and the conversation decide.
VISITOR_SOCKET = public(OPEN)  # type: ignore[arg-type]

TABLE: dict[tuple[str, str], Expected] = {
    # -- OpenAPI and its docs page
    ("GET", "/openapi.json"): public(),
    ("GET", "/healthz"): public(),
    ("GET", "/readyz"): public(),
    ("GET", "/api/docs"): public(),
    ("GET", "/docs/oauth2-redirect"): public(),
    # -- account API
    ("GET", "/api/v1/me"): staff_api(),
    ("GET", "/api/v1/settings"): admin_api(),
    ("PATCH", "/api/v1/settings"): admin_api(),
    ("GET", "/api/v1/users"): admin_api(),
    ("POST", "/api/v1/users"): admin_api(201),
    ("GET", "/api/v1/users/{user_id}"): admin_api(),
    ("PATCH", "/api/v1/users/{user_id}"): admin_api(),
    ("POST", "/api/v1/users/{user_id}/sign-out"): admin_api(204),
    ("POST", "/api/v1/me/password"): staff_api(204),
    ("POST", "/api/v1/me/sign-out-everywhere"): staff_api(204),
    ("GET", "/api/v1/me/tokens"): staff_api(),
    ("POST", "/api/v1/me/tokens"): staff_api(201),
    ("DELETE", "/api/v1/me/tokens/{token_id}"): staff_api(204),
    # -- configuration API
    ("GET", "/api/v1/brands"): admin_api(),
    ("POST", "/api/v1/brands"): admin_api(201),
    ("GET", "/api/v1/brands/{brand_id}"): admin_api(),
    ("PATCH", "/api/v1/brands/{brand_id}"): admin_api(),
    ("DELETE", "/api/v1/brands/{brand_id}"): admin_api(204),
    ("POST", "/api/v1/brands/{brand_id}/rotate-secret"): admin_api(),
    ("GET", "/api/v1/channels"): admin_api(),
    ("POST", "/api/v1/channels"): admin_api(201),
    ("GET", "/api/v1/channels/{channel_id}"): admin_api(),
    ("PATCH", "/api/v1/channels/{channel_id}"): admin_api(),
    ("DELETE", "/api/v1/channels/{channel_id}"): admin_api(204),
    ("GET", "/api/v1/bots"): admin_api(),
    ("POST", "/api/v1/bots"): admin_api(201),
    ("GET", "/api/v1/bots/{bot_id}"): admin_api(),
    ("PATCH", "/api/v1/bots/{bot_id}"): admin_api(),
    ("DELETE", "/api/v1/bots/{bot_id}"): admin_api(204),
    ("POST", "/api/v1/bots/{bot_id}/publish"): admin_api(),
    ("POST", "/api/v1/bots/{bot_id}/unpublish"): admin_api(),
    ("GET", "/api/v1/bots/{bot_id}/answers"): admin_api(),
    ("POST", "/api/v1/bots/{bot_id}/answers"): admin_api(201),
    ("GET", "/api/v1/bots/{bot_id}/answers/{answer_id}"): admin_api(),
    ("PATCH", "/api/v1/bots/{bot_id}/answers/{answer_id}"): admin_api(),
    ("DELETE", "/api/v1/bots/{bot_id}/answers/{answer_id}"): admin_api(204),
    ("GET", "/api/v1/schedules"): admin_api(),
    ("POST", "/api/v1/schedules"): admin_api(201),
    ("GET", "/api/v1/schedules/{schedule_id}"): admin_api(),
    ("GET", "/api/v1/schedules/{schedule_id}/status"): admin_api(),
    ("PATCH", "/api/v1/schedules/{schedule_id}"): admin_api(),
    ("DELETE", "/api/v1/schedules/{schedule_id}"): admin_api(204),
    ("GET", "/api/v1/proactive-messages"): admin_api(),
    ("POST", "/api/v1/proactive-messages"): admin_api(201),
    ("GET", "/api/v1/proactive-messages/{message_id}"): admin_api(),
    ("PATCH", "/api/v1/proactive-messages/{message_id}"): admin_api(),
    ("DELETE", "/api/v1/proactive-messages/{message_id}"): admin_api(204),
    ("POST", "/api/v1/proactive-messages/{message_id}/publish"): admin_api(),
    ("POST", "/api/v1/proactive-messages/{message_id}/pause"): admin_api(),
    ("POST", "/api/v1/proactive-messages/{message_id}/resume"): admin_api(),
    ("POST", "/api/v1/proactive-messages/{message_id}/clone"): admin_api(201),
    ("GET", "/api/v1/proactive-messages/{message_id}/stats"): admin_api(),
    ("POST", "/api/v1/proactive-messages/{message_id}/test"): admin_api(),
    # -- tickets API: the agents' work
    ("GET", "/api/v1/tickets"): staff_api(),
    ("GET", "/api/v1/ticket-counts"): staff_api(),
    ("GET", "/api/v1/tickets/{ticket_id}"): staff_api(),
    ("PATCH", "/api/v1/tickets/{ticket_id}"): staff_api(),
    ("POST", "/api/v1/tickets/{ticket_id}/messages"): staff_api(201),
    # -- webhooks API: configuration
    ("GET", "/api/v1/webhooks"): admin_api(),
    ("POST", "/api/v1/webhooks"): admin_api(201),
    ("GET", "/api/v1/webhooks/{webhook_id}"): admin_api(),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): admin_api(),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): admin_api(204),
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"): admin_api(),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): admin_api(),
    ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/resend"): admin_api(201),
    ("POST", "/api/v1/webhooks/{webhook_id}/ping"): admin_api(201),
    # -- the widget API (public, per channel key)
    ("OPTIONS", "/widget/v1/{channel_key}/{path:path}"): PREFLIGHT,
    ("GET", "/widget/v1/{channel_key}/config"): widget(),
    ("POST", "/widget/v1/{channel_key}/page-views"): widget(),
    ("POST", "/widget/v1/{channel_key}/check"): widget(),
    ("POST", "/widget/v1/{channel_key}/events"): widget(),
    ("POST", "/widget/v1/{channel_key}/identify"): widget(),
    ("POST", "/widget/v1/{channel_key}/conversations"): widget(201),
    ("GET", "/widget/v1/{channel_key}/conversations/{conversation_id}"): widget(),
    ("POST", "/widget/v1/{channel_key}/conversations/{conversation_id}/messages"): widget(201),
    ("POST", "/widget/v1/{channel_key}/bot-runs"): widget(201),
    ("GET", "/widget/v1/{channel_key}/bot-runs/{run_id}"): widget(),
    ("POST", "/widget/v1/{channel_key}/bot-runs/{run_id}/answers"): widget(),
    (WS, "/widget/v1/{channel_key}/conversations/{conversation_id}/ws"): VISITOR_SOCKET,
    # -- the agent workspace and its sockets
    ("GET", "/agent"): staff_page(),
    (WS, "/agent/ws"): STAFF_SOCKET,
    (WS, "/agent/conversations/{ticket_id}/ws"): STAFF_SOCKET,
    # -- admin pages
    ("GET", "/admin"): admin_page(),
    ("GET", "/admin/settings"): admin_page(),
    ("POST", "/admin/settings"): admin_page(303),
    ("GET", "/admin/users"): admin_page(),
    ("POST", "/admin/users"): admin_page(303),
    ("POST", "/admin/users/{user_id}/deactivate"): admin_page(303),
    ("POST", "/admin/users/{user_id}/activate"): admin_page(303),
    ("POST", "/admin/users/{user_id}/sign-out"): admin_page(303),
    ("GET", "/admin/users/{user_id}"): admin_page(),
    ("POST", "/admin/users/{user_id}"): admin_page(303),
    ("POST", "/admin/users/{user_id}/password"): admin_page(303),
    # -- one's own account
    ("GET", "/account"): staff_page(),
    ("POST", "/account/password"): staff_page(303),
    ("POST", "/account/sign-out-everywhere"): staff_page(303),
    ("POST", "/account/tokens"): staff_page(),
    ("POST", "/account/tokens/{token_id}/revoke"): staff_page(303),
    ("GET", "/admin/brands"): admin_page(),
    ("GET", "/admin/brands/new"): admin_page(),
    ("POST", "/admin/brands/new"): admin_page(303),
    ("GET", "/admin/brands/{brand_id}"): admin_page(),
    ("POST", "/admin/brands/{brand_id}"): admin_page(303),
    ("POST", "/admin/brands/{brand_id}/rotate-secret"): admin_page(303),
    ("POST", "/admin/brands/{brand_id}/secret"): admin_page(),
    ("GET", "/admin/brands/{brand_id}/delete"): admin_page(),
    ("POST", "/admin/brands/{brand_id}/delete"): admin_page(303),
    ("GET", "/admin/channels"): admin_page(),
    ("GET", "/admin/channels/new"): admin_page(),
    ("POST", "/admin/channels/new"): admin_page(303),
    ("GET", "/admin/channels/{channel_id}"): admin_page(),
    ("POST", "/admin/channels/{channel_id}"): admin_page(303),
    ("POST", "/admin/channels/{channel_id}/rotate-secret"): admin_page(303),
    ("POST", "/admin/channels/{channel_id}/secret"): admin_page(),
    ("GET", "/admin/channels/{channel_id}/delete"): admin_page(),
    ("POST", "/admin/channels/{channel_id}/delete"): admin_page(303),
    ("GET", "/admin/schedules"): admin_page(),
    ("GET", "/admin/schedules/new"): admin_page(),
    ("POST", "/admin/schedules/new"): admin_page(303),
    ("GET", "/admin/schedules/{schedule_id}"): admin_page(),
    ("POST", "/admin/schedules/{schedule_id}"): admin_page(303),
    ("GET", "/admin/schedules/{schedule_id}/delete"): admin_page(),
    ("POST", "/admin/schedules/{schedule_id}/delete"): admin_page(303),
    ("GET", "/admin/bots"): admin_page(),
    ("GET", "/admin/bots/new"): admin_page(),
    ("POST", "/admin/bots/new"): admin_page(303),
    ("GET", "/admin/bots/{bot_id}"): admin_page(),
    ("POST", "/admin/bots/{bot_id}"): admin_page(303),
    ("POST", "/admin/bots/{bot_id}/publish"): admin_page(303),
    ("POST", "/admin/bots/{bot_id}/unpublish"): admin_page(303),
    ("GET", "/admin/bots/{bot_id}/delete"): admin_page(),
    ("POST", "/admin/bots/{bot_id}/delete"): admin_page(303),
    ("POST", "/admin/bots/{bot_id}/answers"): admin_page(303),
    ("GET", "/admin/bots/{bot_id}/answers/{answer_id}"): admin_page(),
    ("POST", "/admin/bots/{bot_id}/answers/{answer_id}"): admin_page(303),
    ("GET", "/admin/bots/{bot_id}/answers/{answer_id}/delete"): admin_page(),
    ("POST", "/admin/bots/{bot_id}/answers/{answer_id}/delete"): admin_page(303),
    ("GET", "/admin/proactive-messages"): admin_page(),
    ("GET", "/admin/proactive-messages/new"): admin_page(),
    ("POST", "/admin/proactive-messages/new"): admin_page(303),
    ("POST", "/admin/proactive-messages/test-visit"): admin_page(),
    ("POST", "/admin/proactive-messages/publish-again"): admin_page(303),
    ("GET", "/admin/proactive-messages/{message_id}"): admin_page(),
    ("POST", "/admin/proactive-messages/{message_id}"): admin_page(303),
    ("GET", "/admin/proactive-messages/{message_id}/delete"): admin_page(),
    ("GET", "/admin/proactive-messages/{message_id}/report"): admin_page(),
    ("GET", "/admin/proactive-messages/{message_id}/report.csv"): admin_page(),
    ("GET", "/admin/proactive-messages/overview"): admin_page(),
    ("GET", "/admin/proactive-messages/overview.csv"): admin_page(),
    ("POST", "/admin/proactive-messages/{message_id}/delete"): admin_page(303),
    ("POST", "/admin/proactive-messages/{message_id}/{action}"): admin_page(303),
    ("GET", "/admin/webhooks"): admin_page(),
    ("GET", "/admin/webhooks/new"): admin_page(),
    ("POST", "/admin/webhooks/new"): admin_page(303),
    ("GET", "/admin/webhooks/{webhook_id}"): admin_page(),
    ("POST", "/admin/webhooks/{webhook_id}"): admin_page(303),
    ("POST", "/admin/webhooks/{webhook_id}/secret"): admin_page(),
    ("POST", "/admin/webhooks/{webhook_id}/rotate-secret"): admin_page(303),
    ("POST", "/admin/webhooks/{webhook_id}/ping"): admin_page(303),
    ("POST", "/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/resend"): admin_page(303),
    ("GET", "/admin/webhooks/{webhook_id}/deliveries/{delivery_id}"): admin_page(),
    ("GET", "/admin/webhooks/{webhook_id}/delete"): admin_page(),
    ("POST", "/admin/webhooks/{webhook_id}/delete"): admin_page(303),
    # -- sign-in, sign-out, language: for everyone
    ("GET", "/login"): public(),
    ("POST", "/login"): public(303),
    ("POST", "/logout"): public(303),
    ("POST", "/locale"): public(303),
    # -- served files and the demo site
    ("GET", "/widget.js"): public(),
    ("GET", "/widget/app.js"): public(),
    ("GET", "/static/{path}"): public(),
    ("GET", "/demo"): public(),
    ("GET", "/demo/pricing"): public(),
    ("GET", "/demo/app"): public(),
    ("GET", "/demo/app/{section}"): public(),
}


def app_routes(app) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, through included routers and mounts."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            found.add(("GET", f"{route.path}/{{path}}"))
        elif isinstance(route, WebSocketRoute) or context.methods is None:
            found.add((WS, context.path))
        else:
            methods = set(context.methods)
            if "GET" in methods:
                methods.discard("HEAD")  # answered by the GET route
            found.update((method, context.path) for method in methods)
    return found


def test_the_table_declares_every_route_and_nothing_else(app):
    served = app_routes(app)
    undeclared = sorted(served - TABLE.keys())
    assert not undeclared, f"routes without an entry in TABLE (declare who may call them): " \
                           f"{undeclared}"
    gone = sorted(TABLE.keys() - served)
    assert not gone, f"TABLE entries that name no route: {gone}"


# -- the world the calls run in ----------------------------------------------------------------

WEBHOOK_URL = "https://hooks.example.com/overture"
COMPLETE = {"message": "Can we help?", "frequency": "every_time",
            "response": {"type": "agent", "collect": [], "follow_up": "Thanks, we will reply."}}


class World:
    """Objects for the path ids: one shared set for safe calls, fresh ones for unsafe calls."""

    def __init__(self, client: TestClient, admin_headers: dict[str, str], db, owner: int):
        self.client, self.h, self.db = client, admin_headers, db
        self.counter = itertools.count(1)
        self.brand = self.new_brand()
        self.channel = self._created("/api/v1/channels", {
            "brand_id": self.brand, "name": "Shop site", "allowed_origins": [ORIGIN]})
        self.key, self.secret = self.channel["key"], self.channel["jwt_secret"]
        with db() as session:  # the demo pages render when their channel exists
            from overture.channels.models import Channel
            session.get(Channel, self.channel["id"]).key = DEMO_CHANNEL_KEY
        self.key = DEMO_CHANNEL_KEY
        self.schedule = self.new_schedule()
        self.new_message("live")  # what every new visitor is shown
        bot, answer = self.new_bot()
        self.greeter()
        self.shared = {"user_id": self.new_user(), "token_id": self.new_token(owner),
                       "bot_id": bot, "answer_id": answer,
                       "brand_id": self.brand, "channel_id": self.new_channel(),
                       "schedule_id": self.schedule, "message_id": self.new_message("draft"),
                       **self.new_webhook(), **self.new_ticket()}
        self.shared.update(self.new_run(self.shared["visitor_id"]))

    def unique(self, prefix: str) -> str:
        return f"{prefix} {next(self.counter)}"

    def _created(self, path: str, body: dict) -> dict:
        r = self.client.post(path, json=body, headers=self.h)
        assert r.status_code == 201, (path, r.text)
        return r.json()

    def new_brand(self) -> int:
        return self._created("/api/v1/brands", {"name": self.unique("Brand")})["id"]

    def new_channel(self) -> int:
        return self._created("/api/v1/channels", {"brand_id": self.brand,
                                                   "name": self.unique("Channel")})["id"]

    def new_bot(self, published: bool = False) -> tuple[int, int]:
        """A bot of the brand with one answer that can be published."""
        bot = self._created("/api/v1/bots", {"brand_id": self.brand,
                                             "name": self.unique("Bot")})["id"]
        answer = self._created(f"/api/v1/bots/{bot}/answers", {
            "name": "Help", "steps": [
                {"id": "hi", "type": "options", "text": "Hi",
                 "options": [{"label": "Bye", "next": "bye"}]},
                {"id": "bye", "type": "end", "text": "Bye"}]})["id"]
        if published:
            r = self.client.post(f"/api/v1/bots/{bot}/publish", headers=self.h)
            assert r.status_code == 200, r.text
        return bot, answer

    def greeter(self) -> None:
        """The channel's bot, published, greeting from the launcher."""
        bot, answer = self.new_bot(published=True)
        r = self.client.patch(f"/api/v1/bots/{bot}", json={"greeting_answer_id": answer},
                              headers=self.h)
        assert r.status_code == 200, r.text
        r = self.client.patch(f"/api/v1/channels/{self.channel['id']}", json={"bot_id": bot},
                              headers=self.h)
        assert r.status_code == 200, r.text

    def new_run(self, visitor_id: str | None = None) -> dict[str, Any]:
        """A visitor's greeting run, waiting at its first step."""
        visitor = Browser(self.client, self.key, visitor_id=visitor_id or new_id("v"))
        r = visitor._post("bot-runs", {"visitor_id": visitor.visitor_id,
                                       "client_id": new_id("r")})
        assert r.status_code == 201, r.text
        return {"run_id": r.json()["run_id"], "visitor_id": visitor.visitor_id}

    def new_schedule(self) -> int:
        return self._created("/api/v1/schedules", {
            "name": self.unique("Office"), "timezone": "UTC",
            "intervals": [{"weekday": 0, "start": "09:00", "end": "17:00"}]})["id"]

    def new_message(self, status: str) -> int:
        m = self._created("/api/v1/proactive-messages", {
            "name": self.unique("Message"), "channel_id": self.channel["id"], **COMPLETE})
        api = f"/api/v1/proactive-messages/{m['id']}"
        for action in {"draft": [], "live": ["publish"], "paused": ["publish", "pause"]}[status]:
            assert self.client.post(f"{api}/{action}", headers=self.h).status_code == 200
        return m["id"]

    def browser(self, shown: bool = False) -> Browser:
        visitor = Browser(self.client, self.key)
        visitor.view()
        assert not shown or visitor.last["show"] is not None, visitor.last
        return visitor

    def new_ticket(self) -> dict[str, Any]:
        visitor = self.browser(shown=True)
        r = visitor._post("conversations", {
            "visitor_id": visitor.visitor_id, "delivery_id": visitor.last["show"]["delivery_id"],
            "client_id": new_id("c"), "message": "Hello"})
        assert r.status_code == 201, r.text
        conversation_id = r.json()["conversation_id"]
        with self.db() as session:
            ticket_id = session.scalar(select(Ticket.id).where(
                Ticket.conversation_id == conversation_id))
        return {"ticket_id": ticket_id, "conversation_id": conversation_id,
                "visitor_id": visitor.visitor_id}

    def new_webhook(self) -> dict[str, int]:
        """A webhook (its URL a public name, accepted offline) and a delivery of it that is
        finished, as a resend needs."""
        webhook = self._created("/api/v1/webhooks", {
            "url": WEBHOOK_URL, "events": ["ticket.created"],
            "description": self.unique("Orders")})["id"]
        delivery = self.client.post(f"/api/v1/webhooks/{webhook}/ping", headers=self.h)
        assert delivery.status_code == 201, delivery.text
        with self.db() as session:
            from overture.webhooks.models import WebhookDelivery

            session.get(WebhookDelivery, delivery.json()["id"]).status = "delivered"
        return {"webhook_id": webhook, "delivery_id": delivery.json()["id"]}

    def new_user(self) -> int:
        return self._created("/api/v1/users", _user(self, {}))["id"]

    def new_token(self, owner: int) -> int:
        from overture.accounts.service import create_token

        with self.db() as session:
            token, _secret = create_token(session, session.get(User, owner), "Script")
            return token.id

    def fresh(self, method: str, path: str, caller_id: int) -> dict[str, Any]:
        """Objects of its own for an unsafe call, in the state the route acts on."""
        values: dict[str, Any] = {}
        if "{user_id}" in path:
            values["user_id"] = self.new_user()
            if path.endswith("/activate"):
                self.client.patch(f"/api/v1/users/{values['user_id']}",
                                  json={"is_active": False}, headers=self.h)
        if "{token_id}" in path:
            values["token_id"] = self.new_token(caller_id)  # one's own tokens only
        if "{brand_id}" in path:
            values["brand_id"] = self.new_brand()
        if "{channel_id}" in path:
            values["channel_id"] = self.new_channel()
        if "{schedule_id}" in path:
            values["schedule_id"] = self.new_schedule()
        if "{bot_id}" in path:
            values["bot_id"], values["answer_id"] = self.new_bot(
                published=path.endswith("/unpublish"))
        if "{message_id}" in path:
            status = ("live" if path.endswith("/pause") else
                      "paused" if path.endswith("/resume") else "draft")
            values["message_id"] = self.new_message(status)
        if "{ticket_id}" in path or "{conversation_id}" in path:
            values.update(self.new_ticket())
        if "{run_id}" in path:
            values.update(self.new_run())
        if "{webhook_id}" in path:
            values.update(self.new_webhook())
        return values


# -- what each call sends -------------------------------------------------------------------

Body = Callable[[World, dict[str, Any]], dict[str, Any]]


def _json(make: Callable[[World, dict[str, Any]], dict]) -> Body:
    return lambda world, ids: {"json": make(world, ids)}


def _form(make: Callable[[World, dict[str, Any]], dict]) -> Body:
    return lambda world, ids: {"data": make(world, ids)}


def _visitor_call(make: Callable[[World, dict[str, Any]], dict]) -> Body:
    return lambda world, ids: {"json": make(world, ids), "headers": {"Origin": ORIGIN}}


def _page_view(world: World, ids: dict) -> dict:
    return {"visitor_id": new_id("v"), "session_id": new_id("s"), "event_id": new_id("e"),
            "url": f"{ORIGIN}/", "title": "Home", "referrer": "", "language": "en",
            "attributes": {}}


def _check(world: World, ids: dict) -> dict:
    visitor = world.browser()
    return {"visitor_id": visitor.visitor_id, "page_view_id": visitor.last["page_view_id"]}


def _event(world: World, ids: dict) -> dict:
    visitor = world.browser(shown=True)
    return {"visitor_id": visitor.visitor_id, "event_id": new_id("e"), "kind": "opened",
            "delivery_id": visitor.last["show"]["delivery_id"]}


def _start(world: World, ids: dict) -> dict:
    visitor = world.browser(shown=True)
    return {"visitor_id": visitor.visitor_id, "delivery_id": visitor.last["show"]["delivery_id"],
            "client_id": new_id("c"), "message": "Hello"}


def _schedule_form(world: World, ids: dict) -> dict:
    return {"name": world.unique("Office"), "timezone": "UTC", "weekday": "0",
            "start": "09:00", "end": "17:00"}


def _channel_form(world: World, ids: dict) -> dict:
    return {"brand_id": str(world.brand), "name": world.unique("Channel"), "kind": "web_widget",
            "color": "#1f73b7", "allowed_origins": ""}


def _user(world: World, ids: dict) -> dict:
    return {"email": f"user{next(world.counter)}@example.com", "name": "Someone",
            "role": "agent", "password": "x" * 12}


def _name(prefix: str) -> Callable[[World, dict], dict]:
    return lambda world, ids: {"name": world.unique(prefix)}


def _webhook_form(world: World, ids: dict) -> dict:
    return {"url": WEBHOOK_URL, "description": world.unique("Orders"),
            "events": ["ticket.created", "conversation.message"], "active": "on"}


BODIES: dict[tuple[str, str], Body] = {
    ("PATCH", "/api/v1/settings"): _json(lambda w, ids: {"visit_timeout_minutes": 30}),
    ("POST", "/api/v1/users"): _json(_user),
    ("POST", "/api/v1/brands"): _json(_name("Brand")),
    ("PATCH", "/api/v1/brands/{brand_id}"): _json(_name("Brand")),
    ("POST", "/api/v1/channels"): _json(lambda w, ids: {"brand_id": w.brand, "name": "C"}),
    ("PATCH", "/api/v1/channels/{channel_id}"): _json(_name("Channel")),
    ("POST", "/api/v1/schedules"): _json(lambda w, ids: {
        "name": "Office", "timezone": "UTC",
        "intervals": [{"weekday": 1, "start": "09:00", "end": "17:00"}]}),
    ("PATCH", "/api/v1/schedules/{schedule_id}"): _json(_name("Office")),
    ("POST", "/api/v1/bots"): _json(lambda w, ids: {"brand_id": w.brand, "name": "Helper"}),
    ("PATCH", "/api/v1/bots/{bot_id}"): _json(_name("Bot")),
    ("POST", "/api/v1/bots/{bot_id}/answers"): _json(_name("Answer")),
    ("PATCH", "/api/v1/bots/{bot_id}/answers/{answer_id}"): _json(_name("Answer")),
    ("POST", "/api/v1/proactive-messages"): _json(_name("Message")),
    ("PATCH", "/api/v1/proactive-messages/{message_id}"): _json(_name("Message")),
    ("POST", "/api/v1/proactive-messages/{message_id}/test"): _json(lambda w, ids: {}),
    ("PATCH", "/api/v1/tickets/{ticket_id}"): _json(lambda w, ids: {"status": "open"}),
    ("POST", "/api/v1/tickets/{ticket_id}/messages"): _json(
        lambda w, ids: {"client_id": new_id("a"), "body": "On it"}),
    ("POST", "/widget/v1/{channel_key}/page-views"): _visitor_call(_page_view),
    ("POST", "/widget/v1/{channel_key}/check"): _visitor_call(_check),
    ("POST", "/widget/v1/{channel_key}/events"): _visitor_call(_event),
    ("POST", "/widget/v1/{channel_key}/identify"): _visitor_call(lambda w, ids: {
        "visitor_id": new_id("v"), "token": make_jwt(w.secret, new_id("x"), "Maria")}),
    ("POST", "/widget/v1/{channel_key}/conversations"): _visitor_call(_start),
    ("POST", "/widget/v1/{channel_key}/conversations/{conversation_id}/messages"): _visitor_call(
        lambda w, ids: {"visitor_id": ids["visitor_id"], "client_id": new_id("c"),
                        "body": "Still there?"}),
    ("GET", "/widget/v1/{channel_key}/conversations/{conversation_id}"): lambda w, ids: {
        "params": {"visitor_id": ids["visitor_id"]}, "headers": {"Origin": ORIGIN}},
    ("GET", "/widget/v1/{channel_key}/config"): lambda w, ids: {"headers": {"Origin": ORIGIN}},
    ("POST", "/widget/v1/{channel_key}/bot-runs"): _visitor_call(
        lambda w, ids: {"visitor_id": new_id("v"), "client_id": new_id("r")}),
    ("GET", "/widget/v1/{channel_key}/bot-runs/{run_id}"): lambda w, ids: {
        "params": {"visitor_id": ids["visitor_id"]}, "headers": {"Origin": ORIGIN}},
    ("POST", "/widget/v1/{channel_key}/bot-runs/{run_id}/answers"): _visitor_call(
        lambda w, ids: {"visitor_id": ids["visitor_id"], "client_id": new_id("a"),
                        "step": "hi", "option": 0}),
    ("OPTIONS", "/widget/v1/{channel_key}/{path:path}"): lambda w, ids: {"headers": {
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"}},
    ("POST", "/api/v1/webhooks"): _json(lambda w, ids: {
        "url": WEBHOOK_URL, "events": ["ticket.created"], "description": w.unique("Orders")}),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): _json(lambda w, ids: {
        "description": w.unique("Orders"), "events": ["conversation.message"]}),
    ("POST", "/admin/webhooks/new"): _form(_webhook_form),
    ("POST", "/admin/webhooks/{webhook_id}"): _form(_webhook_form),
    ("POST", "/admin/settings"): _form(lambda w, ids: {
        "visit_timeout_minutes": "30", "default_locale": "en", "messaging_enabled": "on",
        "agent_workspace_enabled": "on"}),
    ("POST", "/admin/users"): _form(_user),
    ("POST", "/admin/users/{user_id}"): _form(lambda w, ids: {
        "name": w.unique("Someone"), "email": f"renamed{next(w.counter)}@example.com",
        "role": "agent"}),
    ("POST", "/admin/users/{user_id}/password"): _form(lambda w, ids: {"password": "y" * 12}),
    ("POST", "/admin/brands/new"): _form(_name("Brand")),
    ("POST", "/admin/brands/{brand_id}"): _form(_name("Brand")),
    ("POST", "/admin/channels/new"): _form(_channel_form),
    ("POST", "/admin/channels/{channel_id}"): _form(_channel_form),
    ("POST", "/admin/schedules/new"): _form(_schedule_form),
    ("POST", "/admin/schedules/{schedule_id}"): _form(_schedule_form),
    ("POST", "/admin/bots/new"): _form(lambda w, ids: {"brand_id": str(w.brand),
                                                       "name": w.unique("Bot")}),
    ("POST", "/admin/bots/{bot_id}"): _form(lambda w, ids: {
        "brand_id": str(w.brand), "name": w.unique("Bot"), "avatar_url": "",
        "greeting_answer_id": str(ids["answer_id"])}),
    ("POST", "/admin/bots/{bot_id}/answers"): _form(_name("Answer")),
    ("POST", "/admin/bots/{bot_id}/answers/{answer_id}"): _form(lambda w, ids: {
        "name": w.unique("Answer"), "steps": json.dumps([
            {"id": "hi", "type": "message", "text": "Hello", "next": "bye"},
            {"id": "bye", "type": "end", "text": "Bye"}])}),
    ("POST", "/admin/proactive-messages/new"): _form(
        lambda w, ids: {"payload": json.dumps({"name": w.unique("Message")})}),
    ("POST", "/admin/proactive-messages/{message_id}"): _form(
        lambda w, ids: {"payload": json.dumps({"name": w.unique("Message")})}),
    ("POST", "/admin/proactive-messages/test-visit"): _json(lambda w, ids: {
        "message_id": w.new_message("draft"), "message": {"name": "On the screen"},
        "visit": {}}),
    ("POST", "/login"): _form(lambda w, ids: {"email": "agent@example.test",
                                              "password": PASSWORD}),
    ("POST", "/locale"): _form(lambda w, ids: {"locale": "pt_BR"}),
    ("GET", "/api/v1/users/{user_id}"): lambda w, ids: {},
    ("PATCH", "/api/v1/users/{user_id}"): _json(_name("Someone")),
    ("POST", "/api/v1/me/password"): _json(lambda w, ids: {
        "current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    ("POST", "/api/v1/me/tokens"): _json(_name("Script")),
    ("POST", "/account/password"): _form(lambda w, ids: {
        "current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    ("POST", "/account/tokens"): _form(_name("Script")),
}

NEW_PASSWORD = "another horse battery"
# Calls that end the caller's session (signing in again ends the browser's previous one),
# or change their password: the people are made again
# after them (with the usual password), so that the calls after them are judged on their own.
SIGNS_OUT = {("POST", "/logout"), ("POST", "/login"), ("POST", "/api/v1/me/password"), ("POST", "/api/v1/me/sign-out-everywhere"),
             ("POST", "/account/password"), ("POST", "/account/sign-out-everywhere")}

# Path parameters that name no object.
FIXED = {"path": "page-views", "action": "clone", "section": "billing"}


def _url(method: str, path: str, world: World, ids: dict[str, Any]) -> str:
    values = {"channel_key": world.key, **FIXED, **ids}
    if path == "/static/{path}":
        values["path"] = "agent.js"
    return path.replace("{path:path}", "{path}").format(**values)


# -- the callers ------------------------------------------------------------------------------


@dataclass
class Caller:
    name: str
    cookies: dict[str, str]
    headers: dict[str, str]
    csrf: str | None

    def client(self, app) -> TestClient:
        """A client of its own for each call, so that a sign-out or a language change made by
        one call does not carry over to the next."""
        return TestClient(app, base_url="http://testserver", cookies=self.cookies,
                          headers=self.headers)


def _session(app, email: str | None) -> tuple[dict[str, str], str]:
    client = TestClient(app, base_url="http://testserver")
    if email is not None:
        assert login(client, email).status_code == 303
    token = csrf_from(client.get("/login").text)  # the session's own token
    return dict(client.cookies), token


def callers(app, admin, agent) -> list[Caller]:
    out = []
    for name, email in (("anonymous", None), ("agent", agent.email), ("admin", admin.email)):
        cookies, token = _session(app, email)
        out.append(Caller(name, cookies, {}, token))
    out.append(Caller("agent_token", {}, agent.headers, None))
    out.append(Caller("admin_token", {}, admin.headers, None))
    return out


def _answer(client: TestClient, method: str, url: str, kwargs: dict[str, Any]) -> int | str:
    if method == WS:
        try:
            with client.websocket_connect(url, headers=dict(kwargs.get("headers") or {})):
                return OPEN
        except WebSocketDisconnect as closed:
            return closed.code
    r = client.request(method, url, follow_redirects=False, **kwargs)
    if r.status_code == 303 and r.headers["location"].startswith("/login?next="):
        return LOGIN
    return r.status_code


def _restore_passwords(db, *people) -> None:
    from overture.kit.passwords import hash_password

    with db() as session:
        for person in people:
            session.get(User, person.id).password_hash = hash_password(PASSWORD)


def test_every_route_answers_every_caller_as_declared(app, client, admin, agent, db):
    world = World(client, admin.headers, db, admin.id)
    people = callers(app, admin, agent)
    ids_of = {"agent": agent.id, "agent_token": agent.id, "admin": admin.id,
              "admin_token": admin.id, "anonymous": admin.id}
    served = app_routes(app)
    wrong = []
    calls = 0
    for (method, path), expected in sorted(TABLE.items()):
        if (method, path) not in served:
            continue  # reported by the test above
        for name in CALLERS:
            caller = next(p for p in people if p.name == name)
            # Objects of its own for an unsafe call that should get through; a refused call
            # names the shared ones (if it got through after all, it shows here anyway).
            unsafe = method in ("POST", "PUT", "PATCH", "DELETE")
            allowed = expected[caller.name] not in REFUSED
            ids = (world.fresh(method, path, ids_of[caller.name]) if unsafe and allowed
                   else world.shared)
            url = _url(method, path, world, ids)
            kwargs = BODIES.get((method, path), lambda w, i: {})(world, ids)
            if unsafe and caller.csrf:
                kwargs["headers"] = {**kwargs.get("headers", {}), "X-CSRF-Token": caller.csrf}
            if method == WS and "{conversation_id}" in path:
                url += f"?visitor_id={ids['visitor_id']}"
            got = _answer(caller.client(app), method, url, kwargs)
            calls += 1
            if (method, path) in SIGNS_OUT:
                _restore_passwords(db, admin, agent)
                people = callers(app, admin, agent)
            if got != expected[caller.name]:
                wrong.append(f"{method} {path} as {caller.name}: "
                             f"expected {expected[caller.name]}, got {got}")
    assert not wrong, f"{len(wrong)} of {calls} answers differ from TABLE:\n" + "\n".join(wrong)
    assert calls == len(TABLE) * len(CALLERS)


# -- the loaders refuse on their own ----------------------------------------------------------


def test_loaders_refuse_agents_before_looking_anything_up(db, admin, agent):
    """Called directly (no route in front), every configuration loader and list refuses an
    agent — for ids that exist or not — and lets an admin through to a plain 404."""
    configuration = (access_brand, access_channel, access_schedule, access_message, access_bot,
                     access_webhook)
    with db() as session:
        as_agent, as_admin = session.get(User, agent.id), session.get(User, admin.id)
        for loader in configuration:
            with pytest.raises(Forbidden):
                loader(session, as_agent, 1)
            with pytest.raises(NotFound):
                loader(session, as_admin, 1)
        for listing in (list_brands, list_channels, list_schedules, list_users, list_bots,
                        list_messages, access_settings, overview_counts, list_webhooks):
            with pytest.raises(Forbidden):
                listing(session, as_agent)
            listing(session, as_admin)
        # Tickets are the agents' work: no refusal, only "not found".
        for user in (as_agent, as_admin):
            with pytest.raises(NotFound):
                access_ticket(session, user, 1)
