"""Public widget / SDK API under /widget/v1/{channel_key}/ (docs/widget-protocol.md).

Thin: the channel and origin are checked by `widget_channel`, rate limits applied, the work
done in widget/service.py. CORS answers reflect only the channel's allowed origins.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.requests import HTTPConnection

from overture.channels.models import Channel
from overture.channels.service import channel_by_key
from overture.deps import DB
from overture.i18n import gettext as _
from overture.kit.errors import DomainError, Forbidden, NotFound
from overture.kit.ratelimit import enforce
from overture.widget import service
from overture.widget.schemas import (
    CheckIn,
    ConfigOut,
    DecisionOut,
    EventIn,
    EventOut,
    IdentifyIn,
    IdentifyOut,
    PageViewIn,
)

router = APIRouter(prefix="/widget/v1/{channel_key}", tags=["widget"])


def origin_allowed(channel: Channel, origin: str, request: HTTPConnection) -> bool:
    scheme = {"ws": "http", "wss": "https"}.get(request.url.scheme, request.url.scheme)
    own = f"{scheme}://{request.url.netloc}"
    allowed = channel.allowed_origins or []
    return origin == own or "*" in allowed or origin.rstrip("/").lower() in allowed


def cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
            "Access-Control-Expose-Headers": "Retry-After"}


def widget_channel(channel_key: str, request: Request, response: Response, db: DB) -> Channel:
    if request.headers.get("authorization"):
        # Staff tokens have no business here: the widget API speaks only for visitors.
        raise DomainError("the widget API takes no Authorization header; it acts for visitors "
                          "identified by their visitor id", code="token_not_accepted")
    channel = channel_by_key(db, channel_key) if len(channel_key) <= 40 else None
    if channel is None:
        raise NotFound(_("no channel with this key"), code="channel_not_found")
    origin = request.headers.get("origin")
    if origin is not None:
        if not origin_allowed(channel, origin, request):
            raise Forbidden(f"origin {origin[:200]} is not allowed for this channel",
                            code="origin_not_allowed")
        request.state.cors_origin = origin
        response.headers.update(cors_headers(origin))
    ip = request.client.host if request.client else "unknown"
    settings = request.app.state.settings
    enforce(request.app.state.limiter, f"w:ip:{ip}", settings.widget_requests_per_ip_per_minute,
            60, "requests")
    return channel


WidgetChannel = Annotated[Channel, Depends(widget_channel)]


def visitor_limit(request: Request, visitor_id: str) -> None:
    limit = request.app.state.settings.widget_requests_per_visitor_per_minute
    enforce(request.app.state.limiter, f"w:v:{visitor_id}", limit, 60,
            "requests from this visitor")


def _cache(request: Request):
    return request.app.state.rules


@router.options("/{path:path}", include_in_schema=False)
def preflight(channel_key: str, path: str, request: Request, db: DB) -> Response:
    channel = channel_by_key(db, channel_key) if len(channel_key) <= 40 else None
    origin = request.headers.get("origin", "")
    if channel is None or not origin or not origin_allowed(channel, origin, request):
        return Response(status_code=403)
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    })


@router.get("/config", response_model=ConfigOut)
def config(channel: WidgetChannel, db: DB):
    """The channel's look: colour, launcher text, default sender."""
    from overture.accounts.service import get_settings_row

    return ConfigOut(
        name=channel.name, kind=channel.kind, color=channel.color,
        launcher_text=channel.launcher_text,
        sender={"name": channel.sender_name or channel.name,
                "avatar_url": channel.sender_avatar_url},
        locale=get_settings_row(db).default_locale,
    )


@router.post("/page-views", response_model=DecisionOut)
def page_view(body: PageViewIn, channel: WidgetChannel, request: Request, db: DB):
    """Report a page view (or SPA route change, or app screen) and get the decision."""
    visitor_limit(request, body.visitor_id)
    return service.page_view(db, _cache(request), channel, body,
                             request.headers.get("user-agent", ""))


@router.post("/check", response_model=DecisionOut)
def check(body: CheckIn, channel: WidgetChannel, request: Request, db: DB):
    """Ask again at a pending on_page moment; everything is re-checked."""
    visitor_limit(request, body.visitor_id)
    return service.check(db, _cache(request), channel, body,
                         request.headers.get("user-agent", ""))


@router.post("/events", response_model=EventOut)
def event(body: EventIn, channel: WidgetChannel, request: Request, db: DB):
    """Report opened / dismissed / replied; a retried event id is not counted again."""
    visitor_limit(request, body.visitor_id)
    return service.event(db, channel, body)


@router.post("/identify", response_model=IdentifyOut)
def identify(body: IdentifyIn, channel: WidgetChannel, request: Request, db: DB):
    """Identify the visitor with a JWT signed by the host site (HS256, channel secret)."""
    visitor_limit(request, body.visitor_id)
    customer = service.identify(db, channel, body)
    return IdentifyOut(visitor_id=body.visitor_id, name=customer.name, email=customer.email)
