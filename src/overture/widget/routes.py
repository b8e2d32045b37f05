"""Public widget / SDK API under /widget/v1/{channel_key}/ (docs/widget-protocol.md).

The hot routes (page views, re-checks, events) are async and skip FastAPI's dependency and
body machinery: the channel comes from the per-process `ChannelStates`, the body is validated
by pydantic-core straight from the bytes, and the work runs as one job on the database lane,
which commits before the answer is sent. Their OpenAPI description is declared beside them.
CORS answers reflect only the channel's allowed origins.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from overture.channels.models import Channel
from overture.channels.service import channel_by_key
from overture.conversations import service as conversations
from overture.conversations.models import Conversation
from overture.conversations.schemas import (
    ConversationOut,
    CustomerMessageIn,
    MessageOut,
    StartConversationIn,
)
from overture.deps import DB
from overture.i18n import gettext as _
from overture.kit.errors import DomainError, Forbidden, NotFound
from overture.kit.ids import AfterId, IdPath
from overture.kit.origins import origin_allowed
from overture.kit.ratelimit import enforce, enforce_many
from overture.kit.schemas import has_control_characters
from overture.visitors.service import device_from_user_agent, resolve_visitor
from overture.web.middleware import BodyTooLarge
from overture.widget import service
from overture.widget.channel_state import ChannelState
from overture.widget.schemas import (
    CheckIn,
    ClientId,
    ConfigOut,
    DecisionOut,
    EventIn,
    EventOut,
    IdentifyIn,
    IdentifyOut,
    PageViewIn,
)

router = APIRouter(prefix="/widget/v1/{channel_key}", tags=["widget"])
M = TypeVar("M", bound=BaseModel)


def cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
            "Access-Control-Expose-Headers": "Retry-After"}


def _no_staff_tokens(request: Request) -> None:
    if request.headers.get("authorization"):
        # Staff tokens have no business here: the widget API speaks only for visitors.
        raise DomainError("the widget API takes no Authorization header; it acts for visitors "
                          "identified by their visitor id", code="token_not_accepted")


def _admit(request: Request, channel: Channel | ChannelState | None) -> None:
    """404 for an unknown channel, 403 for an origin it doesn't allow; a refused call counts
    against its address like any other (guessing keys is no way around the limits)."""
    origin = request.headers.get("origin")
    if channel is None or (origin is not None
                           and not origin_allowed(origin, request, channel.allowed_origins)):
        _ip_limit(request)
        if channel is None:
            raise NotFound(_("no channel with this key"), code="channel_not_found")
        raise Forbidden(f"origin {origin[:200]} is not allowed for this channel",
                        code="origin_not_allowed")
    if origin is not None:
        request.state.cors_origin = origin


def _ip_limit(request: Request) -> None:
    ip = request.client.host if request.client else "unknown"
    enforce(request.app.state.limiter, f"w:ip:{ip}",
            request.app.state.settings.widget_requests_per_ip_per_minute, 60, "requests")


def _could_be_a_key(channel_key: str) -> bool:
    """Keys are short, printable text: any other is unknown without asking the database (which
    may not even take it: PostgreSQL refuses NUL)."""
    return len(channel_key) <= 40 and not has_control_characters(channel_key)


def widget_channel(channel_key: str, request: Request, response: Response, db: DB) -> Channel:
    """The channel as a dependency, for the conversation routes that change it."""
    _no_staff_tokens(request)
    channel = channel_by_key(db, channel_key) if _could_be_a_key(channel_key) else None
    _admit(request, channel)
    if getattr(request.state, "cors_origin", None):
        response.headers.update(cors_headers(request.state.cors_origin))
    _ip_limit(request)
    return channel


WidgetChannel = Annotated[Channel, Depends(widget_channel)]


def visitor_limit(request: Request, visitor_id: str) -> None:
    limit = request.app.state.settings.widget_requests_per_visitor_per_minute
    enforce(request.app.state.limiter, f"w:v:{visitor_id}", limit, 60,
            "requests from this visitor")


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a body the route validates itself."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": model.model_json_schema()}}}}


async def _channel(request: Request, channel_key: str) -> ChannelState:
    """The channel's state, from this process's memory (or loaded once), the caller admitted."""
    _no_staff_tokens(request)
    states = request.app.state.channels
    state = states.cached(channel_key)
    if state is None and _could_be_a_key(channel_key):
        state = await request.app.state.db.lane.run(
            lambda job: states.load(job.conn, channel_key))
    _admit(request, state)
    return state


# A visitor call's body: a page view with 50 attributes of 200 characters fits several times.
VISITOR_BODY_BYTES = 16 * 1024


async def _body(request: Request, model: type[M], limit: int | None = VISITOR_BODY_BYTES) -> M:
    """The body validated from its bytes, whatever the Content-Type says: the widget posts JSON
    as `text/plain` (a CORS simple request: no preflight, and fit for `keepalive`)."""
    raw = await request.body()
    if limit is not None and len(raw) > limit:
        raise BodyTooLarge(limit)
    return model.model_validate_json(raw)


def _parsed(model: type[M]) -> Callable[[Request], Any]:
    """A body as a dependency, parsed like the hot routes' (`_body`): JSON sent as
    `application/json`, `text/plain` or without a type. Messages may be long (10,000
    characters), so only the app's own limit applies (`BodyLimit`, 256 KiB)."""
    async def parse(request: Request) -> M:
        try:
            return await _body(request, model, limit=None)
        except ValidationError as exc:  # located in the body, as FastAPI's own are
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])}
                                          for e in exc.errors()]) from None
    return parse


def _limits(request: Request, visitor_id: str | None) -> None:
    settings = request.app.state.settings
    ip = request.client.host if request.client else "unknown"
    hits = [(f"w:ip:{ip}", settings.widget_requests_per_ip_per_minute, 60, "requests")]
    if visitor_id is not None:
        hits.append((f"w:v:{visitor_id}", settings.widget_requests_per_visitor_per_minute, 60,
                     "requests from this visitor"))
    enforce_many(request.app.state.limiter, hits)


def _answer(request: Request, out: BaseModel) -> Response:
    origin = getattr(request.state, "cors_origin", None)
    return Response(out.model_dump_json(), media_type="application/json",
                    headers=cors_headers(origin) if origin else None)


@router.options("/{path:path}", include_in_schema=False)
async def preflight(channel_key: str, path: str, request: Request) -> Response:
    origin = request.headers.get("origin", "")
    try:
        state = await _channel(request, channel_key)
    except DomainError:
        state = None
    if state is None or not origin:
        return Response(status_code=403)
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    })


# A language tag as browsers give it (BCP-47: `pt-BR`, `pt`, `en-US`; `pt_BR` too).
_TAG = r"^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$"
LanguageTag = Annotated[str | None, Query(
    max_length=35, pattern=_TAG, description="The visitor's language (BCP-47), e.g. `pt-BR`; "
    "matched by the exact tag, then by its primary subtag.")]


@router.get("/config", response_model=ConfigOut)
async def config(channel_key: str, request: Request, lang: LanguageTag = None) -> Response:
    """The channel's look: colour, launcher text, default sender — the texts in the visitor's
    language (`lang`) when the channel has them, and whether the launcher asks for name and
    email before a conversation starts."""
    channel = await _channel(request, channel_key)
    _limits(request, None)
    texts = channel.texts_for(lang)
    return _answer(request, ConfigOut(
        name=channel.name, kind=channel.kind, color=channel.color,
        launcher_text=texts.launcher_text,
        sender={"name": texts.sender_name, "avatar_url": channel.sender_avatar_url},
        locale=texts.locale, ask_contact=channel.launcher_asks_contact,
        bot={"name": channel.bot_name, "avatar_url": channel.bot_avatar_url}
        if channel.bot_name is not None else None,
        greeting=channel.greeting,
    ))


async def _visitor_call(request: Request, channel_key: str, model: type[M],
                        job: Callable[[ChannelState, M], Callable]) -> Response:
    """Every visitor call: the channel and its origin, the body, the limits, one lane job."""
    channel = await _channel(request, channel_key)
    body = await _body(request, model)
    _limits(request, body.visitor_id)  # type: ignore[attr-defined]
    return _answer(request, await request.app.state.db.lane.run(job(channel, body)))


@router.post("/page-views", response_model=DecisionOut, openapi_extra=_json_body(PageViewIn),
             responses={401: {"description": "The event id was used by another visitor "
                                             "(`bad_event`)."}})
async def page_view(channel_key: str, request: Request) -> Response:
    """Report a page view (or SPA route change, or app screen) and get the decision."""
    agent = request.headers.get("user-agent", "")
    return await _visitor_call(request, channel_key, PageViewIn, lambda channel, body: partial(
        service.page_view, channel=channel, body=body,
        device_type=body.device_type or device_from_user_agent(agent)))


@router.post("/check", response_model=DecisionOut, openapi_extra=_json_body(CheckIn))
async def check(channel_key: str, request: Request) -> Response:
    """Ask again at a pending on_page moment; everything is re-checked."""
    return await _visitor_call(request, channel_key, CheckIn, lambda channel, body: partial(
        service.check, channel=channel, body=body))


@router.post("/events", response_model=EventOut, openapi_extra=_json_body(EventIn))
async def event(channel_key: str, request: Request) -> Response:
    """Report opened / dismissed / replied; a retried event id is not counted again."""
    return await _visitor_call(request, channel_key, EventIn, lambda channel, body: partial(
        service.event, channel=channel, body=body))


@router.post("/identify", response_model=IdentifyOut, openapi_extra=_json_body(IdentifyIn),
             responses={401: {"description": "The identity token is not valid, has expired or "
                                             "lives too long (`bad_token`)."}})
async def identify(channel_key: str, request: Request) -> Response:
    """Identify the visitor with a JWT signed by the host site (HS256, channel secret); its
    `exp` may be at most `OVERTURE_IDENTITY_TOKEN_MAX_HOURS` (24) hours ahead."""
    hours = request.app.state.settings.identity_token_max_hours
    return await _visitor_call(request, channel_key, IdentifyIn, lambda channel, body: partial(
        service.identify, channel_id=channel.id, body=body, max_lifetime=hours * 3600))


# -- the customer's side of a conversation (live messages: widget/sockets.py) ----------------


def _conversation(db: DB, conv: Conversation, after: int = 0) -> ConversationOut:
    return ConversationOut(
        conversation_id=conv.id, status=conv.status,
        ticket_status=conversations.ticket_of(db, conv).status,
        messages=[MessageOut.model_validate(m)
                  for m in conversations.messages_after(db, conv.id, after)])


@router.post("/conversations", response_model=ConversationOut, status_code=201,
             openapi_extra=_json_body(StartConversationIn),
             responses={200: {"model": ConversationOut, "description": (
                 "The conversation already exists: a retry (the same delivery, or the same "
                 "`client_id`), or — from the launcher — the visitor's open conversation on "
                 "the channel.")}})
def start_conversation(channel: WidgetChannel,
                       body: Annotated[StartConversationIn, Depends(_parsed(StartConversationIn))],
                       request: Request, response: Response, db: DB):
    """Start a conversation and its ticket: the customer's first reply to a proactive message
    (`delivery_id`: the data form or a first message), or a conversation started from the
    launcher (no `delivery_id`: a first message, with name and email when the channel asks for
    them). 201 when it is new; 200 with the existing one for a retry, or when the visitor
    already has an open conversation on the channel (from the launcher)."""
    visitor_limit(request, body.visitor_id)
    if body.delivery_id is None:
        visitor = resolve_visitor(db, body.visitor_id)
    else:
        visitor = resolve_visitor(db, body.visitor_id, create=False)
        if visitor is None:
            raise NotFound(_("delivery not found for this visitor"), code="delivery_not_found")
    conv, created = conversations.start_conversation(db, channel, visitor, body)
    if not created:
        response.status_code = 200
    return _conversation(db, conv)


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
def get_conversation(conversation_id: IdPath, visitor_id: Annotated[ClientId, Query()],
                     channel: WidgetChannel, db: DB, after: AfterId = 0):
    visitor = resolve_visitor(db, visitor_id, create=False)
    conv = conversations.access_visitor_conversation(db, channel, visitor, conversation_id)
    return _conversation(db, conv, after)


@router.post("/conversations/{conversation_id}/messages", response_model=MessageOut,
             status_code=201, openapi_extra=_json_body(CustomerMessageIn))
def post_message(conversation_id: IdPath, channel: WidgetChannel,
                 body: Annotated[CustomerMessageIn, Depends(_parsed(CustomerMessageIn))],
                 request: Request, db: DB):
    """HTTP fallback for sending; the same client_id is stored once."""
    visitor_limit(request, body.visitor_id)
    visitor = resolve_visitor(db, body.visitor_id, create=False)
    conv = conversations.access_visitor_conversation(db, channel, visitor, conversation_id)
    return conversations.customer_message(db, conv, visitor, body.body, body.client_id)


# Served through widget/fastlane.py as well: the router's path for these costs more than them.
HOT = {"page-views": page_view, "check": check, "events": event}
