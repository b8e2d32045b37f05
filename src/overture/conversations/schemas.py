from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from overture.i18n import gettext as _
from overture.kit.errors import Invalid
from overture.kit.ids import IdField
from overture.kit.schemas import NOT_BLANK, Strict, described
from overture.proactive.schemas import Tags
from overture.widget.schemas import ClientId, EventId

Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
                 described(NOT_BLANK)]
TicketStatus = Literal["new", "open", "pending", "solved"]


def _name(value: str) -> str:
    if any(ord(c) < 32 for c in value):
        raise ValueError(_("must not contain control characters"))
    return value


M = TypeVar("M", bound=BaseModel)


def checked(schema: type[M], data: dict) -> M:
    """Validate a socket frame like a request body: a bad one is a 422-style domain error."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Invalid(str(first["loc"][-1]), first["msg"]) from None


class StartConversationIn(Strict):
    """The customer's first reply to a proactive message (`delivery_id`: the data form, or a
    first message), or a conversation started from the launcher (no `delivery_id`: a first
    message, with name and email when the channel asks for them)."""

    visitor_id: ClientId
    delivery_id: IdField | None = None
    client_id: EventId
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200),
                    AfterValidator(_name), described(r"^[^\x00-\x1f\x7f]*$")] | None = None
    email: EmailStr | None = None
    message: Body | None = None

    # A reply names its delivery; a conversation from the launcher needs its first message.
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["delivery_id"], "properties": {"delivery_id": {"type": "integer"}}},
        {"required": ["message"], "properties": {"message": {"type": "string"}}}]})

    @model_validator(mode="after")
    def _a_reply_or_a_message(self) -> StartConversationIn:
        if self.delivery_id is None and self.message is None:
            raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
                type=PydanticCustomError("missing", _("write a message")), loc=("message",),
                input=None)])
        return self


class CustomerMessageIn(Strict):
    visitor_id: ClientId
    client_id: EventId
    body: Body


class AgentMessageIn(Strict):
    client_id: EventId
    body: Body


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    author: str
    author_name: str
    body: str
    client_id: str | None
    created_at: datetime


class ConversationOut(BaseModel):
    conversation_id: int
    status: str
    ticket_status: str
    messages: list[MessageOut]


class TicketPatch(Strict):
    status: TicketStatus | None = None
    assignee_id: IdField | None = None
    tags: Tags | None = None


class TicketOut(BaseModel):
    id: int
    conversation_id: int
    channel_id: IdField
    requester_name: str
    requester_email: str
    status: str
    assignee_id: int | None
    assignee_name: str | None
    tags: list[str]
    proactive_message_id: int | None
    proactive_message_name: str
    created_at: datetime
    updated_at: datetime
    last_activity: datetime
    unassigned: bool


class PageViewOut(BaseModel):
    url: str
    title: str
    at: datetime


class TicketDetail(TicketOut):
    messages: list[MessageOut]
    page_views: list[PageViewOut]
    proactive_message_text: str | None
    visitor_name: str
    visitor_email: str


