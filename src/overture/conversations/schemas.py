from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
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


def _one_word_tags(values: object) -> object:
    """A tag typed with a space ("vip customer") is refused as such, with the way out, rather
    than split into two tags or refused for its "characters"."""
    if isinstance(values, list):
        for i, raw in enumerate(values):
            if isinstance(raw, str) and len(raw.split()) > 1:
                raise PydanticCustomError("tag_with_space", _(
                    "tag {n} (“{tag}”) has a space: one word per tag: use - or _"),
                    {"n": i + 1, "tag": raw.strip()[:50]})
    return values


class TicketPatch(Strict):
    status: TicketStatus | None = None
    assignee_id: IdField | None = None
    tags: Annotated[Tags | None, BeforeValidator(_one_word_tags)] = None


TicketView = Literal["mine", "unassigned", "open", "solved"]


class TextRun(BaseModel):
    """A piece of a proactive message as the customer saw it: text, bold, italic, or a link
    (http, https or mailto only). Shown with text nodes, never as HTML."""

    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None


class TicketCounts(BaseModel):
    """How many tickets each view of the agents' queue holds (for the caller, and the search)."""

    mine: int
    unassigned: int
    open: int
    solved: int


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
    visitor_name: str
    visitor_email: str
    visitor_ref: str = Field(description="a short, stable label of the customer, for a "
                                         "visitor who gave no name or email")
    preview: str = Field(description="the conversation's last message, as one line of plain "
                                     "text, cut at 140 characters")
    preview_author: str | None = Field(description="who wrote it: customer, agent, sender, "
                                                   "bot or system")
    waiting_since: datetime | None = Field(
        description="when the customer's first message since an agent last replied was sent; "
                    "null when an agent spoke last, or the ticket is solved")
    unread: bool = Field(description="the customer wrote after an agent last replied, and "
                                     "the ticket is not solved")


class PageViewOut(BaseModel):
    url: str
    title: str
    at: datetime


class TicketDetail(TicketOut):
    messages: list[MessageOut]
    page_views: list[PageViewOut]
    proactive_message_text: str | None
    proactive_message_runs: list[TextRun] | None = Field(
        description="the proactive message as the customer saw it: formatted, placeholders "
                    "filled")


