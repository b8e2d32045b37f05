"""A short way in for the widget's hot routes.

A page view is the one request every visitor of every page makes; FastAPI's router and the
session, locale and gzip middleware (none of which a widget call needs) cost more than the
page view's own work. This ASGI layer sends `POST /widget/v1/{key}/page-views`, `/check` and
`/events` straight to their handlers — the same functions the FastAPI router declares, so
the OpenAPI document stays exact and any other request goes the usual way. Errors are
rendered by the app's own exception handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger(__name__)
Handler = Callable[[str, Request], Awaitable[Response]]
PREFIX = "/widget/v1/"


class WidgetFastLane:
    def __init__(self, app, *, fastapi_app, handlers: dict[str, Handler]) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.handlers = handlers

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" \
                and scope["path"].startswith(PREFIX):
            parts = scope["path"][len(PREFIX):].split("/")
            handler = self.handlers.get(parts[1]) if len(parts) == 2 else None
            if handler is not None:
                scope["app"] = self.fastapi_app  # request.app, as in any route
                request = Request(scope, receive)
                response = await self._respond(handler, parts[0], request)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _respond(self, handler: Handler, key: str, request: Request) -> Response:
        try:
            return await handler(key, request)
        except Exception as exc:
            for cls in type(exc).__mro__:
                render = self.fastapi_app.exception_handlers.get(cls)
                if render is not None:
                    return await render(request, exc)
            log.exception("widget request failed")
            return JSONResponse({"error": {"code": "server_error",
                                           "message": "internal error"}}, status_code=500)
