"""create_app(): settings, lifespan, routers, middleware, error rendering."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from overture import wiring
from overture.config import Settings, get_settings
from overture.db import Database
from overture.deps import LoginRequired
from overture.i18n import gettext as _
from overture.kit import passwords
from overture.kit.errors import Conflict, DomainError, Invalid, TooManyRequests
from overture.kit.logs import setup_logging
from overture.kit.openings import OpenCounts, SharedOpenCounts
from overture.kit.ratelimit import MemoryRateLimiter, SharedRateLimiter
from overture.realtime.hub import make_hub
from overture.web import openapi
from overture.web.middleware import BodyLimit, LocaleMiddleware
from overture.widget.channel_state import ChannelStates
from overture.widget.fastlane import WidgetFastLane

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "web" / "static"


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/widget/")) or "application/json" in request.headers.get(
        "accept", ""
    )


def _validation_details(exc: RequestValidationError | ValidationError) -> list[dict]:
    out = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        if loc[:1] == ["body"]:
            loc = loc[1:]
        out.append({"loc": loc, "msg": err.get("msg", "invalid"), "type": err.get("type")})
    return out


def _cors(request: Request) -> dict[str, str]:
    """Widget errors carry the CORS header too, so the widget can read why it failed."""
    from overture.widget.routes import cors_headers

    origin = getattr(request.state, "cors_origin", None)
    return cors_headers(origin) if origin else {}


def _install_error_handlers(app: FastAPI) -> None:
    from overture.web.templating import render

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, LoginRequired) and not _wants_json(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        headers = _cors(request)
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after)
        if _wants_json(request):
            return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)
        response = render(request, "error.html", status_code=exc.status, error=exc,
                          new_session=False)
        response.headers.update(headers)
        return response

    @app.exception_handler(ValidationError)
    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request,
                               exc: RequestValidationError | ValidationError) -> Response:
        details = _validation_details(exc)
        names = ", ".join(".".join(str(p) for p in d["loc"]) or "body" for d in details)
        body = {"error": {"code": "validation_error", "message": f"invalid fields: {names}",
                          "details": details}}
        return JSONResponse(body, status_code=422, headers=_cors(request))

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        # Services check first; this catches the race where two requests pass that check.
        log.info("integrity error: %s", exc.orig)
        err = Conflict(_("this conflicts with data saved at the same moment; reload and retry"),
                       code="conflict")
        return await domain_error(request, err)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (a NUL byte in a query parameter, a number out of
        # range) is the caller's mistake: a 422 naming the problem, never a 500.
        log.info("data error: %s", exc.orig)
        err = Invalid((), _("a value could not be stored or searched for (%(reason)s)")
                      % {"reason": str(exc.orig).splitlines()[0][:200]}, code="invalid_data")
        return await domain_error(request, err)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        err = DomainError(str(exc.detail), code="http_error")
        err.status = exc.status_code
        if _wants_json(request):
            return JSONResponse(err.to_json(), status_code=exc.status_code)
        return render(request, "error.html", status_code=exc.status_code, error=err,
                      new_session=False)


@asynccontextmanager
async def _webhook_worker(app: FastAPI):
    """The webhook worker runs inside the server unless the settings leave it to
    `overture worker`."""
    settings = app.state.settings
    if not settings.webhook_worker:
        yield
        return
    from overture.webhooks.worker import Worker

    async with Worker(app.state.db, settings) as worker:
        task = asyncio.create_task(worker.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    setup_logging(settings.log_level, settings.json_logs)
    passwords.use_profile(settings.password_hash_profile)

    wiring.connect()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        hub = app.state.hub
        await hub.start()
        app.state.db.hub = hub
        app.state.db.start()
        try:
            async with wiring.follow_changes(app), _webhook_worker(app):
                yield
        finally:
            await hub.stop()
            if isinstance(app.state.limiter, SharedRateLimiter):
                app.state.limiter.stop()
            if isinstance(app.state.open_sockets, SharedOpenCounts):
                app.state.open_sockets.stop()
            app.state.db.dispose()

    app = FastAPI(
        title="Overture",
        version="0.1.0",
        summary="Proactive messages above your chat widget, replies handed to agents.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = Database(settings.database_url)
    app.state.hub = make_hub(settings.redis_url, prefix=settings.redis_prefix)
    app.state.channels = ChannelStates()
    if settings.redis_url:
        import redis

        app.state.limiter = SharedRateLimiter(
            redis.Redis.from_url(settings.redis_url), prefix=settings.redis_prefix + "rl:"
        )
        app.state.open_sockets = SharedOpenCounts(
            SharedOpenCounts.client(settings.redis_url), prefix=settings.redis_prefix + "open:")
    else:
        app.state.limiter = MemoryRateLimiter()
        app.state.open_sockets = OpenCounts()

    _install_error_handlers(app)

    from overture.routes import include_routers
    from overture.widget import routes as widget_routes

    include_routers(app)
    openapi.install(app)  # error answers in /openapi.json; 405 answers carry Allow
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    # Outermost last: sessions must be decoded before the locale is chosen.
    app.add_middleware(LocaleMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="overture_session",
        max_age=14 * 24 * 3600,
        same_site="lax",
        https_only=settings.environment == "production",
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(WidgetFastLane, fastapi_app=app, handlers=widget_routes.HOT)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
