"""Pure ASGI middleware: bounded request bodies and the request's locale."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException

from overture import i18n


class BodyLimit:
    """Refuse bodies over `max_bytes` with 413 before the app reads them whole."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    return await _too_large(send, self.max_bytes)
        seen, started = 0, False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # a chunked body, which said no length up front
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, self.max_bytes)


class BodyTooLarge(HTTPException):
    """An HTTP error, so that a framework reading the body passes it on as a 413 (FastAPI
    turns other errors met while reading a body into a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


async def _too_large(send, limit: int) -> None:
    body = json.dumps(
        {"error": {"code": "body_too_large", "message": f"request body over {limit} bytes"}}
    ).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class LocaleMiddleware:
    """The signed-in user's choice, else the browser's Accept-Language, else English."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        chosen = (scope.get("session") or {}).get("locale")
        if not chosen:
            headers = dict(scope.get("headers", []))
            accept = headers.get(b"accept-language", b"").decode("latin-1")
            chosen = i18n.from_accept_language(accept)
        token = i18n.current_locale.set(i18n.normalise(chosen) or "en")
        try:
            await self.app(scope, receive, send)
        finally:
            i18n.current_locale.reset(token)
