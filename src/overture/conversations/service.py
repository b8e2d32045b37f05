"""Conversations, chat messages and tickets (SPEC §1, §5).

A conversation starts at the customer's first reply to a proactive message — never on display
or open — or when the customer writes from the launcher (no proactive message: no delivery,
no tags). Messages are stored before they are delivered: hub events go out after commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, exists, func, insert, or_, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload

from overture.accounts.models import User
from overture.accounts.service import require_role
from overture.channels.models import Channel
from overture.conversations.models import ChatMessage, Conversation, Ticket, TicketTag
from overture.conversations.schemas import (
    MessageOut,
    PageViewOut,
    StartConversationIn,
    TicketCounts,
    TicketDetail,
    TicketOut,
    TicketPatch,
)
from overture.db import load, publish_after_commit
from overture.i18n import gettext as _
from overture.kit import hotsql
from overture.kit.clock import utcnow
from overture.kit.errors import Conflict, Forbidden, Invalid, NotFound
from overture.kit.pagination import Cursor
from overture.proactive import render, stats
from overture.proactive.models import Delivery, ProactiveMessage
from overture.visitors.models import PageView, Visitor
from overture.visitors.service import shares_customers
from overture.webhooks import outbox

QUEUE_TOPIC = "agent-queue"


def conversation_topic(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def _announce(db: Session, conv: Conversation, message: ChatMessage | None = None) -> None:
    if message is not None:
        payload = MessageOut.model_validate(message).model_dump(mode="json")
        publish_after_commit(db, conversation_topic(conv.id), {"type": "message",
                                                               "message": payload})
    publish_after_commit(db, QUEUE_TOPIC, {"type": "activity", "conversation_id": conv.id})


def _add(db: Session, conv: Conversation, author: str, body: str, *, name: str = "",
         client_id: str | None = None, user_id: int | None = None) -> ChatMessage:
    now = utcnow()
    message = ChatMessage(conversation_id=conv.id, author=author, author_name=name, body=body,
                          client_id=client_id, user_id=user_id, created_at=now)
    db.add(message)
    conv.last_activity = now
    db.flush()
    _announce(db, conv, message)
    outbox.enqueue(db, "conversation.message", outbox.chat_message_data(conv, message))
    return message


def access_visitor_conversation(db: Session, channel: Channel, visitor: Visitor | None,
                                conversation_id: int) -> Conversation:
    conv = db.get(Conversation, conversation_id)
    if (conv is None or visitor is None or conv.visitor_id != visitor.id
            or not _reached_through(db, conv, channel, visitor)):
        # The same answer whether it doesn't exist or isn't theirs: ids reveal nothing.
        raise NotFound(_("conversation not found"), code="conversation_not_found")
    return conv


def _reached_through(db: Session, conv: Conversation, channel: Channel,
                     visitor: Visitor) -> bool:
    """A conversation is reached through its own channel; a customer the brand's channels
    share has one history, reached through any of the brand's channels that share it."""
    if conv.channel_id == channel.id:
        return True
    if not shares_customers(channel, visitor):
        return False
    home = db.get(Channel, conv.channel_id)
    return home is not None and home.brand_id == channel.brand_id


def start_conversation(db: Session, channel: Channel, visitor: Visitor,
                       body: StartConversationIn) -> tuple[Conversation, bool]:
    """The conversation the customer starts, and whether it is new: a reply to a proactive
    message (`delivery_id`), or a conversation from the launcher."""
    if body.delivery_id is None:
        return _start_from_launcher(db, channel, visitor, body)
    return _reply_to_delivery(db, channel, visitor, body)


def _start_from_launcher(db: Session, channel: Channel, visitor: Visitor,
                         body: StartConversationIn) -> tuple[Conversation, bool]:
    """The customer writes from the launcher. A retry (the same `client_id`) is the
    conversation it started; a customer with an open conversation on the channel gets that
    one back, their message added to it; otherwise a new conversation and its ticket, the
    customer as requester, no proactive message and no tags."""
    retried = db.scalar(
        select(Conversation).join(ChatMessage, ChatMessage.conversation_id == Conversation.id)
        .where(Conversation.visitor_id == visitor.id, Conversation.channel_id == channel.id,
               ChatMessage.client_id == body.client_id, ChatMessage.author == "customer")
        .order_by(Conversation.id).limit(1))
    if retried is not None:
        return retried, False
    if not body.message:
        raise Invalid("message", _("write a message"))
    current = _open_conversation(db, channel, visitor)
    if current is not None:  # one open conversation at a time: the message goes there
        customer_message(db, current, visitor, body.message, body.client_id)
        return current, False
    if channel.launcher_asks_contact:
        if not body.name:
            raise Invalid("name", _("please tell us your name"))
        if not body.email:
            raise Invalid("email", _("please tell us your email"))
    _remember_contact(visitor, body)
    now = utcnow()
    conv = Conversation(channel_id=channel.id, visitor_id=visitor.id, delivery_id=None,
                        status="open", created_at=now, last_activity=now)
    db.add(conv)
    db.flush()
    _add(db, conv, "customer", body.message, name=body.name or visitor.name,
         client_id=body.client_id)
    ticket = Ticket(conversation_id=conv.id, requester_name=body.name or visitor.name,
                    requester_email=str(body.email) if body.email else visitor.email,
                    status="new", proactive_message_id=None, proactive_message_name="",
                    created_at=now, updated_at=now)
    db.add(ticket)
    set_tags(db, ticket, [])
    _ticket_created(db, ticket, channel)
    return conv, True


def _remember_contact(visitor: Visitor, body: StartConversationIn) -> None:
    """What the customer typed names them, unless they were already known."""
    if body.name:
        visitor.name = visitor.name or body.name
    if body.email:
        visitor.email = visitor.email or str(body.email)


def _reply_to_delivery(db: Session, channel: Channel, visitor: Visitor,
                       body: StartConversationIn) -> tuple[Conversation, bool]:
    delivery = db.get(Delivery, body.delivery_id)
    if (delivery is None or delivery.visitor_id != visitor.id
            or delivery.channel_id != channel.id):
        raise NotFound(_("delivery not found for this visitor"), code="delivery_not_found")
    if delivery.conversation_id is not None:  # a retry: the conversation exists already
        conv = db.get(Conversation, delivery.conversation_id)
        if conv is not None:
            return conv, False
    message = db.get(ProactiveMessage, delivery.message_id)
    if message is None:
        raise Conflict(_("this proactive message no longer exists"), code="message_gone")
    response = message.response or {}
    collect = response.get("collect", []) if response.get("type") == "agent" else []
    if "name" in collect and not body.name:
        raise Invalid("name", _("please tell us your name"))
    if "email" in collect and not body.email:
        raise Invalid("email", _("please tell us your email"))
    if not collect and not body.message:
        raise Invalid("message", _("write a message"))
    first, full = _names(visitor)
    shown_text = render.plain(render.runs(message.message, first, full))  # as the customer saw it
    _remember_contact(visitor, body)
    now = utcnow()
    # One open conversation per customer and channel: a reply to a bubble left on screen (in
    # another tab, say) while one is open joins it rather than making a second ticket.
    conv = _open_conversation(db, channel, visitor)
    created = conv is None
    if created:
        conv = Conversation(channel_id=channel.id, visitor_id=visitor.id, delivery_id=delivery.id,
                            status="open", created_at=now, last_activity=now)
        db.add(conv)
        db.flush()
    _add_reply(db, conv, channel, visitor, shown_text, response, body)
    if created:
        ticket = Ticket(conversation_id=conv.id, requester_name=body.name or visitor.name,
                        requester_email=str(body.email) if body.email else visitor.email,
                        status="new", proactive_message_id=message.id,
                        proactive_message_name=message.name, created_at=now, updated_at=now)
        db.add(ticket)
        set_tags(db, ticket, list(message.tags or []))
        _ticket_created(db, ticket, channel)
    else:
        ticket = ticket_of(db, conv)
        set_tags(db, ticket, list(dict.fromkeys([*ticket.tags, *(message.tags or [])])))
        if ticket.status == "pending":  # the customer has answered
            ticket.status = "open"
        ticket.updated_at = now
    delivery.conversation_id = conv.id
    db.flush()
    hotsql.drive(db.connection(), stats.apply_event(
        None, shard=stats.session_shard(), delivery=delivery, kind="replied",
        event_id=f"reply-{delivery.id}", now=now,
        notify=outbox.delivery_data(delivery, message.name)))
    db.expire(delivery)  # written by a plain UPDATE, behind the session's back
    return conv, created


def hand_over(db: Session, channel: Channel, visitor: Visitor, *, delivery: Delivery | None,
              message: ProactiveMessage | None, transcript: list[dict], bot_name: str,
              name: str, email: str, tags: list[str]) -> Conversation:
    """A bot's `handoff`: the customer's conversation with its ticket (the customer as
    requester, the message's tags and the step's), the bot's transcript as its first messages.
    A customer with an open conversation on the channel goes on in that one."""
    now = utcnow()
    conv = _open_conversation(db, channel, visitor)
    created = conv is None
    if created:
        free = delivery is not None and delivery.conversation_id is None
        conv = Conversation(channel_id=channel.id, visitor_id=visitor.id,
                            delivery_id=delivery.id if free else None, status="open",
                            created_at=now, last_activity=now)
        db.add(conv)
        db.flush()
    for line in transcript:
        bot = line["author"] == "bot"
        _add(db, conv, "bot" if bot else "customer", line["body"],
             name=bot_name if bot else visitor.name)
    if created:
        ticket = Ticket(conversation_id=conv.id, requester_name=name, requester_email=email,
                        status="new", proactive_message_id=message.id if message else None,
                        proactive_message_name=message.name if message else "",
                        created_at=now, updated_at=now)
        db.add(ticket)
        set_tags(db, ticket, list(dict.fromkeys(tags)))
        _ticket_created(db, ticket, channel)
    else:
        ticket = ticket_of(db, conv)
        set_tags(db, ticket, list(dict.fromkeys([*ticket.tags, *tags])))
        if ticket.status == "pending":
            ticket.status = "open"
        ticket.updated_at = now
    if delivery is not None and delivery.conversation_id is None:
        delivery.conversation_id = conv.id
    db.flush()
    return conv


def _ticket_created(db: Session, ticket: Ticket, channel: Channel) -> None:
    db.flush()
    outbox.enqueue(db, "ticket.created", outbox.ticket_data(ticket, channel.id))


def _open_conversation(db: Session, channel: Channel, visitor: Visitor) -> Conversation | None:
    return db.scalar(select(Conversation).where(
        Conversation.visitor_id == visitor.id, Conversation.channel_id == channel.id,
        Conversation.status == "open").order_by(Conversation.id.desc()).limit(1))


def _add_reply(db: Session, conv: Conversation, channel: Channel, visitor: Visitor,
               shown_text: str, response: dict, body: StartConversationIn) -> None:
    """The proactive message as the customer saw it, their reply (the data form's fields or
    a first message) and the follow-up."""
    collect = response.get("collect", []) if response.get("type") == "agent" else []
    sender = channel.sender_name or channel.name
    _add(db, conv, "sender", shown_text, name=sender)
    if collect:
        details = ", ".join(v for v in (body.name, str(body.email) if body.email else None) if v)
        _add(db, conv, "customer", details, name=body.name or "", client_id=body.client_id)
        _add(db, conv, "sender", response.get("follow_up", ""), name=sender)
    if body.message:
        _add(db, conv, "customer", body.message, name=visitor.name,
             client_id=None if collect else body.client_id)
        if not collect and response.get("follow_up"):
            _add(db, conv, "sender", response["follow_up"], name=sender)


def _names(visitor: Visitor) -> tuple[str, str]:
    full = (visitor.name or "").strip()
    return (full.split()[0] if full else ""), full


def status_event(conv: Conversation, ticket: Ticket) -> dict:
    return {"type": "status", "status": conv.status, "ticket_status": ticket.status}


def current_status(db: Session, conversation_id: int) -> dict:
    conv = db.get(Conversation, conversation_id)
    return status_event(conv, ticket_of(db, conv))


def ticket_of(db: Session, conv: Conversation) -> Ticket:
    ticket = db.scalar(select(Ticket).where(Ticket.conversation_id == conv.id))
    assert ticket is not None
    return ticket


def _retry_or_ticket(db: Session, conv: Conversation,
                     client_id: str) -> tuple[ChatMessage | None, Ticket]:
    """A message re-sent with the same client id (a retry) is the one stored the first time;
    otherwise the ticket the new message will move."""
    stored = db.scalar(select(ChatMessage).where(
        ChatMessage.conversation_id == conv.id, ChatMessage.client_id == client_id))
    return stored, ticket_of(db, conv)


def customer_message(db: Session, conv: Conversation, visitor: Visitor, body: str,
                     client_id: str) -> ChatMessage:
    stored, ticket = _retry_or_ticket(db, conv, client_id)
    if stored is not None:
        return stored
    if conv.status == "solved":  # the customer writes again: reopen
        conv.status = "open"
        ticket.status = "open"
        ticket.solved_at = None
        publish_after_commit(db, conversation_topic(conv.id), status_event(conv, ticket))
    elif ticket.status == "pending":
        ticket.status = "open"
    ticket.updated_at = utcnow()
    return _add(db, conv, "customer", body, name=visitor.name, client_id=client_id)


def agent_message(db: Session, conv: Conversation, user: User, body: str,
                  client_id: str) -> ChatMessage:
    stored, ticket = _retry_or_ticket(db, conv, client_id)
    if stored is not None:
        return stored
    if conv.status == "solved":
        raise Conflict(_("the ticket is solved; reopen it to reply"), code="ticket_solved")
    if ticket.status == "new":
        ticket.status = "open"
    if ticket.assignee_id is None:
        ticket.assignee_id = user.id
    ticket.updated_at = utcnow()
    return _add(db, conv, "agent", body, name=user.name, client_id=client_id, user_id=user.id)


def messages_after(db: Session, conversation_id: int, after: int = 0,
                   limit: int = 500) -> list[ChatMessage]:
    return list(db.scalars(select(ChatMessage).where(
        ChatMessage.conversation_id == conversation_id, ChatMessage.id > after)
        .order_by(ChatMessage.id).limit(limit)))


# -- tickets --------------------------------------------------------------------------------


def access_ticket(db: Session, user: User, ticket_id: int, *,
                  for_update: bool = False) -> Ticket:
    """The one way to load a ticket by id: agents and admins see every ticket of the
    account."""
    require_role(user, "admin", "agent")
    return load(db, Ticket, ticket_id, _("ticket %(id)s not found") % {"id": ticket_id},
                for_update=for_update)


PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
PREVIEW_LENGTH = 140
# What a ticket's output reads besides the ticket: its conversation (channel, last activity)
# with its visitor, and its assignee, loaded in the list's own statement.
_AS_LISTED = (joinedload(Ticket.assignee),)
_IN_DETAIL = (joinedload(Ticket.conversation).joinedload(Conversation.visitor),
              joinedload(Ticket.assignee), joinedload(Ticket.proactive_message))
# The views of the agents' queue (SPEC §7): what each one holds.
VIEWS = {
    "mine": lambda user: and_(Ticket.status != "solved", Ticket.assignee_id == user.id),
    "unassigned": lambda user: and_(Ticket.status != "solved", Ticket.assignee_id.is_(None)),
    "open": lambda user: Ticket.status != "solved",
    "solved": lambda user: Ticket.status == "solved",
}


@dataclass(frozen=True)
class TicketPage:
    tickets: list[TicketOut]
    next_cursor: Cursor | None  # where the next page starts; None on the last page


@dataclass(frozen=True)
class Activity:
    """What a queue row says about its conversation, read in the list's own statement."""

    preview: str = ""
    preview_author: str | None = None
    waiting_since: datetime | None = None


_Last = aliased(ChatMessage, name="last_message")


def _last_message_id():
    return (select(ChatMessage.id).where(ChatMessage.conversation_id == Conversation.id)
            .order_by(ChatMessage.id.desc()).limit(1)
            .correlate(Conversation).scalar_subquery())


def _waiting_since():
    """When the customer's first message after the last agent reply was sent (NULL when an
    agent spoke last, or the customer has not written): how long they have been waiting."""
    replied = aliased(ChatMessage, name="replied")
    waiting = aliased(ChatMessage, name="waiting")
    last_reply = (select(func.max(replied.id))
                  .where(replied.conversation_id == Conversation.id, replied.author == "agent")
                  .correlate(Conversation).scalar_subquery())
    return (select(func.min(waiting.created_at))
            .where(waiting.conversation_id == Conversation.id, waiting.author == "customer",
                   waiting.id > func.coalesce(last_reply, 0))
            .correlate(Conversation).scalar_subquery())


def _search(q: str):
    """A requester's name or email (theirs on the ticket, or the visitor's), a part of it in
    any letter case; or one of the ticket's tags, whole."""
    needle = q.strip().lower()
    return or_(*(func.lower(column).contains(needle, autoescape=True) for column in (
        Ticket.requester_name, Ticket.requester_email, Visitor.name, Visitor.email)),
        exists().where(TicketTag.ticket_id == Ticket.id, TicketTag.tag == needle))


def list_tickets(db: Session, user: User, *, tag: str | None = None, status: str | None = None,
                 view: str | None = None, q: str | None = None, limit: int = PAGE_SIZE,
                 after: Cursor | None = None) -> TicketPage:
    """Tickets, latest activity first (ties: the newest ticket first), one page of `limit`
    starting after the ticket `after` names; each with its last message and how long the
    customer has been waiting. One statement, whatever the page's length."""
    require_role(user, "admin", "agent")
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    q_ = (select(Ticket, func.substr(_Last.body, 1, PREVIEW_LENGTH * 2), _Last.author,
                 _waiting_since())
          .join(Ticket.conversation).join(Conversation.visitor)
          .outerjoin(_Last, _Last.id == _last_message_id())
          .options(contains_eager(Ticket.conversation).contains_eager(Conversation.visitor),
                   *_AS_LISTED)
          .order_by(Conversation.last_activity.desc(), Ticket.id.desc())
          .limit(limit + 1))
    if status == "unsolved":
        q_ = q_.where(Ticket.status != "solved")
    elif status:
        q_ = q_.where(Ticket.status == status)
    if view:
        q_ = q_.where(VIEWS[view](user))
    if tag:
        q_ = q_.where(exists().where(TicketTag.ticket_id == Ticket.id,
                                     TicketTag.tag == tag.strip().lower()))
    if q and q.strip():
        q_ = q_.where(_search(q))
    if after is not None:
        q_ = q_.where(or_(Conversation.last_activity < after.at,
                          and_(Conversation.last_activity == after.at, Ticket.id < after.id)))
    rows = db.execute(q_).all()
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1][0] if more else None
    return TicketPage([ticket_out(t, Activity(_preview(body), author, waiting))
                       for t, body, author, waiting in rows],
                      Cursor(last.conversation.last_activity, last.id) if last else None)


def ticket_counts(db: Session, user: User, *, q: str | None = None) -> TicketCounts:
    """How many tickets each view holds, matching the search `q`: one statement."""
    require_role(user, "admin", "agent")
    stmt = select(*(func.count(case((where(user), Ticket.id))).label(name)
                    for name, where in VIEWS.items())).select_from(Ticket)
    if q and q.strip():
        stmt = (stmt.join(Conversation, Conversation.id == Ticket.conversation_id)
                .join(Visitor, Visitor.id == Conversation.visitor_id).where(_search(q)))
    row = db.execute(stmt).one()
    return TicketCounts(**{name: row._mapping[name] or 0 for name in VIEWS})


def _preview(body: str | None) -> str:
    """A message as one line of plain text, cut at PREVIEW_LENGTH characters."""
    line = " ".join((body or "").split())
    return line if len(line) <= PREVIEW_LENGTH else line[:PREVIEW_LENGTH - 1].rstrip() + "…"


def visitor_ref(visitor_id: int) -> str:
    """Six hex digits that stand for a visitor who gave no name: stable, and the same on
    each of their tickets."""
    return hashlib.blake2s(f"visitor:{visitor_id}".encode(), digest_size=3).hexdigest()


def ticket_out(ticket: Ticket, activity: Activity | None = None) -> TicketOut:
    """A ticket as lists show it; its conversation (with its visitor) and assignee must have
    been loaded."""
    conv = ticket.conversation
    visitor = conv.visitor
    activity = activity or Activity()
    solved = ticket.status == "solved"
    return TicketOut(
        id=ticket.id, conversation_id=ticket.conversation_id, channel_id=conv.channel_id,
        requester_name=ticket.requester_name, requester_email=ticket.requester_email,
        status=ticket.status, assignee_id=ticket.assignee_id,
        assignee_name=ticket.assignee.name if ticket.assignee else None,
        tags=ticket.tags or [], proactive_message_id=ticket.proactive_message_id,
        proactive_message_name=ticket.proactive_message_name,
        created_at=ticket.created_at, updated_at=ticket.updated_at,
        last_activity=conv.last_activity, unassigned=ticket.assignee_id is None,
        visitor_name=visitor.name if visitor else "",
        visitor_email=visitor.email if visitor else "",
        visitor_ref=visitor_ref(conv.visitor_id),
        preview=activity.preview, preview_author=activity.preview_author,
        waiting_since=None if solved else activity.waiting_since,
        unread=not solved and activity.waiting_since is not None,
    )


def ticket_detail(db: Session, ticket: Ticket) -> TicketDetail:
    """A ticket with its conversation, page views and the message that started it: three
    statements (the ticket with what it points to, the chat, the page views)."""
    ticket = db.scalars(select(Ticket).where(Ticket.id == ticket.id).options(*_IN_DETAIL)
                        # Read again: the assignee or status may have just changed.
                        .execution_options(populate_existing=True)).one()
    conv = ticket.conversation
    message = ticket.proactive_message
    chat = messages_after(db, conv.id)
    return TicketDetail(
        **ticket_out(ticket, _activity(ticket, chat)).model_dump(),
        messages=[MessageOut.model_validate(m) for m in chat],
        page_views=[PageViewOut(url=p.url, title=p.title, at=p.at)
                    for p in recent_page_views(db, conv.visitor_id)],
        proactive_message_text=message.message if message else None,
        proactive_message_runs=_as_seen(message, conv.visitor, chat) if message else None,
    )


def _activity(ticket: Ticket, chat: list[ChatMessage]) -> Activity:
    """The list's `Activity`, from a conversation already read (the same rules as the SQL)."""
    if not chat:
        return Activity()
    replied = max((m.id for m in chat if m.author == "agent"), default=0)
    waiting = [m.created_at for m in chat if m.author == "customer" and m.id > replied]
    return Activity(_preview(chat[-1].body[:PREVIEW_LENGTH * 2]), chat[-1].author,
                    min(waiting) if waiting else None)


def _as_seen(message: ProactiveMessage, visitor: Visitor | None,
             chat: list[ChatMessage]) -> list[dict]:
    """The message's runs with the placeholders filled as they were for this customer. The
    conversation keeps what was shown as plain text: the names known now fill them unless
    that text shows they were unknown then (the reply form names the customer only after)."""
    first, full = _names(visitor) if visitor else ("", "")
    now = render.runs(message.message, first, full)
    if full:
        shown = {m.body for m in chat if m.author in ("sender", "bot")}
        if render.plain(now) not in shown:
            anonymous = render.runs(message.message, "", "")
            if render.plain(anonymous) in shown:
                return anonymous
    return now


def set_tags(db: Session, ticket: Ticket, tags: list[str]) -> None:
    """The one writer of a ticket's tags: the list shown (`tickets.tags`) and the rows the
    tag filter reads (`ticket_tags`)."""
    tags = list(dict.fromkeys(tags))
    ticket.tags = tags
    db.flush()  # the ticket's id, for a new ticket
    db.execute(delete(TicketTag).where(TicketTag.ticket_id == ticket.id))
    if tags:
        db.execute(insert(TicketTag), [{"ticket_id": ticket.id, "tag": t} for t in tags])


def conversation_of(db: Session, ticket: Ticket) -> Conversation:
    """The conversation of a ticket the caller already holds (loaded through access_ticket)."""
    conv = db.get(Conversation, ticket.conversation_id)
    assert conv is not None
    return conv


def update_ticket(db: Session, user: User, ticket: Ticket, patch: TicketPatch) -> Ticket:
    changes = patch.model_dump(exclude_unset=True)
    conv = conversation_of(db, ticket)
    if changes.get("assignee_id") not in (None, user.id) and user.role != "admin":
        # Agents take tickets for themselves (or leave them unassigned); admins hand them out.
        raise Forbidden(_("agents may assign a ticket only to themselves"),
                        code="assign_to_others")
    if "assignee_id" in changes and changes["assignee_id"] is not None:
        assignee = db.get(User, changes["assignee_id"])
        if assignee is None or not assignee.is_active:
            raise Invalid("assignee_id", _("user %(id)s does not exist")
                          % {"id": changes["assignee_id"]}, code="unknown_reference")
    if "assignee_id" in changes:
        ticket.assignee_id = changes["assignee_id"]
    if changes.get("tags") is not None:
        set_tags(db, ticket, changes["tags"])
    status = changes.get("status")
    if status is not None and status != ticket.status:
        ticket.status = status
        if status == "solved":
            ticket.solved_at = utcnow()
            conv.status = "solved"  # lifts the open-conversation suppression of §4
        else:
            ticket.solved_at = None
            conv.status = "open"
        publish_after_commit(db, conversation_topic(conv.id), status_event(conv, ticket))
    ticket.updated_at = utcnow()
    db.flush()
    publish_after_commit(db, QUEUE_TOPIC, {"type": "activity", "conversation_id": conv.id})
    return ticket


def recent_page_views(db: Session, visitor_id: int, limit: int = 20) -> list[PageView]:
    return list(db.scalars(select(PageView).where(PageView.visitor_id == visitor_id)
                           .order_by(PageView.at.desc(), PageView.id.desc()).limit(limit)))
