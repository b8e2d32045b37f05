"""Proactive messages: the lifecycle of SPEC §2.1, problems, and reactions to dependencies.

Services flush, never commit. Every change that can alter what visitors see is announced
after commit (`events.changed`) so that every process drops its compiled rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload, load_only

from overture.accounts.models import AccountSettings, User
from overture.accounts.service import get_settings_row, require_role
from overture.bots.models import Bot, BotAnswer
from overture.bots.service import published_answer_ids
from overture.brands.models import Brand
from overture.channels.models import MESSAGING_KINDS, Channel
from overture.db import load
from overture.i18n import gettext as _
from overture.kit.clock import utcnow
from overture.kit.errors import Conflict, Invalid
from overture.proactive import events, stats
from overture.proactive.drafts import ready_made
from overture.proactive.models import ProactiveMessage
from overture.proactive.schemas import MessageIn, MessagePatch
from overture.schedules.models import Schedule

ACTIONS: dict[str, tuple[str, ...]] = {
    "draft": ("edit", "clone", "publish", "delete"),
    "live": ("edit", "clone", "pause", "delete"),
    "paused": ("edit", "clone", "resume", "delete"),
    "error": ("edit", "delete", "publish"),
}
STATUS_LABELS = {"draft": "Draft", "live": "Live", "paused": "Paused", "error": "Contains errors"}
CONTENT_FIELDS = ("name", "brand_id", "channel_id", "message", "response", "conditions",
                  "trigger", "tags", "timing", "frequency", "priority")


def access_message(db: Session, user: User, message_id: int, *,
                   for_update: bool = False) -> ProactiveMessage:
    """The one way to load a proactive message by id, for admins only; the lock serialises
    concurrent actions on one row."""
    require_role(user, "admin")
    return load(db, ProactiveMessage, message_id,
                _("proactive message %(id)s not found") % {"id": message_id},
                for_update=for_update)


# -- problems -------------------------------------------------------------------------------


def _problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def _needed_schedule(m: ProactiveMessage) -> int | None:
    """The schedule the message's timing names, when its timing depends on one."""
    timing = m.timing or {}
    if timing.get("when") in ("business_hours", "outside_business_hours"):
        return timing.get("schedule_id")
    return None


@dataclass(frozen=True)
class BotFacts:
    """What a bot response depends on: the bot's name, brand, status and answers."""

    name: str
    brand_id: int
    published: bool
    answer_ids: frozenset[int]


def _needed_bot(m: ProactiveMessage) -> int | None:
    response = m.response or {}
    return response.get("bot_id") if response.get("type") == "bot" else None


def bot_facts(db: Session, bot_ids: set[int]) -> dict[int, BotFacts]:
    """The facts of these bots (those that exist), in two statements whatever their number."""
    if not bot_ids:
        return {}
    bots = db.execute(select(Bot.id, Bot.name, Bot.brand_id, Bot.status)
                      .where(Bot.id.in_(bot_ids))).all()
    answers = published_answer_ids(db, {b.id for b in bots})
    return {b.id: BotFacts(b.name, b.brand_id, b.status == "published",
                           frozenset(answers[b.id])) for b in bots}


def problems(db: Session, m: ProactiveMessage,
             settings: AccountSettings | None = None) -> list[dict[str, str]]:
    """What stops this message from being live, in words an admin understands."""
    sid = _needed_schedule(m)
    bid = _needed_bot(m)
    return _problems(
        m, settings or get_settings_row(db),
        brand=db.get(Brand, m.brand_id) if m.brand_id else None,
        channel=db.get(Channel, m.channel_id) if m.channel_id else None,
        schedule_ids={sid} if sid is not None and db.get(Schedule, sid) is not None else set(),
        bots=bot_facts(db, {bid}) if bid is not None else {},
    )


def _bot_problems(response: dict, brand: Brand | None, channel: Channel | None,
                  bots: dict[int, BotFacts]) -> list[dict[str, str]]:
    """SPEC §2.1: the channel has a connected, published bot of the same brand, and the
    answer exists in it."""
    bot_id, answer_id = response.get("bot_id"), response.get("answer_id")
    if bot_id is None:
        return [_problem("response.bot_id", "missing",
                         _("Choose the bot that answers (the message has none, or it was "
                           "deleted)."))]
    bot = bots.get(bot_id)
    if bot is None:
        return [_problem("response.bot_id", "bot_deleted",
                         _("The bot was deleted; choose another one."))]
    out = []
    if brand is not None and bot.brand_id != brand.id:
        out.append(_problem("response.bot_id", "bot_other_brand",
                            _("The bot “%(bot)s” belongs to another brand.") % {"bot": bot.name}))
    if not bot.published:
        out.append(_problem("response.bot_id", "bot_unpublished",
                            _("The bot “%(bot)s” is not published.") % {"bot": bot.name}))
    if channel is not None and channel.bot_id != bot_id:
        out.append(_problem("response.bot_id", "bot_not_connected",
                            _("The bot “%(bot)s” is not connected to the channel “%(channel)s”.")
                            % {"bot": bot.name, "channel": channel.name}))
    if answer_id is None:
        out.append(_problem("response.answer_id", "missing",
                            _("Choose the answer of the bot “%(bot)s” that replies (the "
                              "message has none, or it was deleted).") % {"bot": bot.name}))
    elif answer_id not in bot.answer_ids:
        out.append(_problem("response.answer_id", "answer_deleted",
                            _("The answer chosen was deleted from the bot “%(bot)s”; choose "
                              "another one.") % {"bot": bot.name}))
    return out


def _problems(m: ProactiveMessage, settings: AccountSettings, *, brand: Brand | None,
              channel: Channel | None, schedule_ids: set[int],
              bots: dict[int, BotFacts]) -> list[dict[str, str]]:
    """`problems` once what it depends on is known: the message's brand and channel (None when
    unset or deleted), which of the schedules it may name exist, and the bots it may name."""
    out: list[dict[str, str]] = []
    if not settings.messaging_enabled:
        out.append(_problem("settings", "messaging_off",
                            _("Messaging is switched off in Settings.")))
    if not settings.agent_workspace_enabled:
        out.append(_problem("settings", "agent_workspace_off",
                            _("The agent workspace is switched off in Settings.")))
    if brand is None:
        out.append(_problem("brand_id", "missing", _("Choose a brand.")))
    if channel is None:
        out.append(_problem("channel_id", "missing",
                            _("Choose a channel (the message has none, or it was deleted).")))
    else:
        if brand is not None and channel.brand_id != brand.id:
            out.append(_problem("channel_id", "other_brand",
                                _("The channel “%(name)s” belongs to another brand.")
                                % {"name": channel.name}))
        if channel.kind not in MESSAGING_KINDS:
            out.append(_problem("channel_id", "kind",
                                _("The channel “%(name)s” is a %(kind)s channel, which cannot "
                                  "carry proactive messages.")
                                % {"name": channel.name, "kind": channel.kind}))
    if not (m.message or "").strip():
        out.append(_problem("message", "missing", _("Write the message.")))
    response = m.response or {}
    if response.get("type") == "bot":
        out.extend(_bot_problems(response, brand, channel, bots))
    elif not (response.get("follow_up") or "").strip():
        out.append(_problem("response.follow_up", "missing",
                            _("Write the follow-up message shown after the customer replies.")))
    timing = m.timing or {}
    if timing.get("when") in ("business_hours", "outside_business_hours"):
        sid = timing.get("schedule_id")
        if sid is None:
            out.append(_problem("timing.schedule_id", "missing",
                                _("Choose a schedule (the message has none, or it was "
                                  "deleted).")))
        elif sid not in schedule_ids:
            out.append(_problem("timing.schedule_id", "deleted",
                                _("The schedule was deleted; choose another one.")))
    return out


def actions(db: Session, m: ProactiveMessage, found: list | None = None) -> list[str]:
    offered = list(ACTIONS[m.status])
    if m.status == "error" and (found if found is not None else problems(db, m)):
        offered.remove("publish")  # offered once the problems are fixed
    return offered


def _require(db: Session, m: ProactiveMessage, action: str) -> None:
    if action not in ACTIONS[m.status]:
        label = STATUS_LABELS[m.status]
        raise Conflict(
            _("cannot %(action)s a message that is %(status)s; allowed: %(allowed)s")
            % {"action": action, "status": _(label), "allowed": ", ".join(ACTIONS[m.status])},
            code="action_not_allowed",
        )


def _require_no_problems(db: Session, m: ProactiveMessage, verb: str) -> None:
    found = problems(db, m)
    if found:
        raise Conflict(
            _("cannot %(verb)s: %(problems)s")
            % {"verb": verb, "problems": " ".join(p["message"] for p in found)},
            code="has_problems", details=found,
        )


# -- lifecycle ------------------------------------------------------------------------------


def _apply(m: ProactiveMessage, data: MessageIn) -> None:
    dumped = data.model_dump(mode="json")
    for field in CONTENT_FIELDS:
        setattr(m, field, dumped[field])


def _fill_brand(db: Session, m: ProactiveMessage) -> None:
    """A message given only a channel takes the channel's brand."""
    if m.brand_id is None and m.channel_id is not None:
        channel = db.get(Channel, m.channel_id)
        if channel is not None:
            m.brand_id = channel.brand_id


def current_data(m: ProactiveMessage) -> dict[str, Any]:
    return {field: getattr(m, field) for field in CONTENT_FIELDS}


def _check_refs(db: Session, data: MessageIn, before: dict[str, Any] | None = None) -> None:
    """Ids given must exist when saved (ones that vanish later become problems instead)."""
    given = {"brand_id": (Brand, data.brand_id), "channel_id": (Channel, data.channel_id)}
    timing = data.timing.model_dump()
    given["timing.schedule_id"] = (Schedule, timing.get("schedule_id"))
    old_schedule = ((before or {}).get("timing") or {}).get("schedule_id")
    for field, (model, value) in given.items():
        previous = old_schedule if field == "timing.schedule_id" else (before or {}).get(field)
        if value is None or value == previous:
            continue
        found = db.get(model, value)
        if found is None:
            raise Invalid(tuple(field.split(".")), _("%(field)s %(id)s does not exist")
                          % {"field": field.split(".")[-1], "id": value},
                          code="unknown_reference")
        if model is Channel and found.kind not in MESSAGING_KINDS:
            # Only messaging channels reach visitors; a message on another would never show.
            raise Invalid(("channel_id",), _("The channel “%(name)s” is a %(kind)s channel, "
                                             "which cannot carry proactive messages.")
                          % {"name": found.name, "kind": found.kind}, code="channel_kind")
    _check_bot_refs(db, data, before)


def _check_bot_refs(db: Session, data: MessageIn, before: dict[str, Any] | None) -> None:
    """A bot and answer given must exist, and the answer be the bot's."""
    response = data.response.model_dump()
    if response.get("type") != "bot":
        return
    old = (before or {}).get("response") or {}
    bot_id, answer_id = response.get("bot_id"), response.get("answer_id")
    if bot_id is not None and bot_id != old.get("bot_id") and db.get(Bot, bot_id) is None:
        raise Invalid(("response", "bot_id"), _("bot %(id)s does not exist") % {"id": bot_id},
                      code="unknown_reference")
    if answer_id is not None and (answer_id, bot_id) != (old.get("answer_id"),
                                                         old.get("bot_id")):
        answer = db.get(BotAnswer, answer_id)
        if answer is None or answer.bot_id != bot_id:
            raise Invalid(("response", "answer_id"),
                          _("answer %(id)s is not one of the bot's answers") % {"id": answer_id},
                          code="unknown_reference")


def create_message(db: Session, data: MessageIn) -> ProactiveMessage:
    _check_refs(db, data)
    now = utcnow()
    m = ProactiveMessage(status="draft", version=1, created_at=now, updated_at=now)
    _apply(m, data)
    _fill_brand(db, m)
    db.add(m)
    db.flush()
    return m


def merge_patch(m: ProactiveMessage, patch: MessagePatch) -> MessageIn:
    """The message as it would be after the patch, validated as a whole."""
    data = current_data(m)
    data.update(patch.model_dump(mode="json", exclude_unset=True))
    return MessageIn.model_validate(data)  # a ValidationError is a 422 naming the field


def update_message(db: Session, m: ProactiveMessage, data: MessageIn) -> ProactiveMessage:
    _require(db, m, "edit")
    before = current_data(m)
    _check_refs(db, data, before)
    _apply(m, data)
    _fill_brand(db, m)
    if current_data(m) == before:
        return m
    if m.status in ("live", "paused"):
        found = problems(db, m)
        if found:  # the caller's unit of work rolls the change back
            raise Conflict(
                _("this change would leave the message with problems: %(problems)s")
                % {"problems": " ".join(p["message"] for p in found)},
                code="has_problems", details=found,
            )
    m.version += 1
    m.updated_at = utcnow()
    db.flush()
    if m.status == "live":
        events.changed(db, m.channel_id, before["channel_id"])
    return m


def _move(db: Session, m: ProactiveMessage, action: str, status: str) -> ProactiveMessage:
    """publish, pause and resume: offered in the message's status, and (but for a pause) only
    without problems; every process drops its cached rules once this commits."""
    _require(db, m, action)
    if status == "live":
        _require_no_problems(db, m, action)
    now = utcnow()
    m.status = status
    m.updated_at = now
    if action == "publish":
        m.published_at = now
    db.flush()
    events.changed(db, m.channel_id)
    return m


def publish(db: Session, m: ProactiveMessage) -> ProactiveMessage:
    return _move(db, m, "publish", "live")


def pause(db: Session, m: ProactiveMessage) -> ProactiveMessage:
    return _move(db, m, "pause", "paused")


def resume(db: Session, m: ProactiveMessage) -> ProactiveMessage:
    return _move(db, m, "resume", "live")


def clone(db: Session, m: ProactiveMessage) -> ProactiveMessage:
    _require(db, m, "clone")
    now = utcnow()
    copy = ProactiveMessage(status="draft", version=1, created_at=now, updated_at=now,
                            **current_data(m))
    copy.name = (_("Copy of %(name)s") % {"name": m.name})[:120]
    db.add(copy)
    db.flush()
    return copy


def delete_message(db: Session, m: ProactiveMessage) -> None:
    _require(db, m, "delete")
    channel_id, was_live = m.channel_id, m.status == "live"
    db.delete(m)
    db.flush()
    if was_live:
        events.changed(db, channel_id)


# The lifecycle actions that take a message and return one (the API and the pages route here).
LIFECYCLE = {"publish": publish, "pause": pause, "resume": resume, "clone": clone}


# -- listing --------------------------------------------------------------------------------

_TOTALS = stats.totals_by_message()

SORTS = {
    "name": func.lower(ProactiveMessage.name),
    "status": ProactiveMessage.status,
    "channel": func.lower(Channel.name),
    "sent": func.coalesce(_TOTALS.c.sent, 0),
    "opened": func.coalesce(_TOTALS.c.opened, 0),
    "replied": func.coalesce(_TOTALS.c.replied, 0),
    "updated_at": ProactiveMessage.updated_at,
}


@dataclass(frozen=True)
class Listed:
    """A message as the list and the API show it: its channel's name, its all-time totals
    (sent, opened, replied), its problems and the actions it offers."""

    m: ProactiveMessage
    channel_name: str | None
    stats: dict[str, int]
    problems: list[dict[str, str]]
    actions: list[str]


@dataclass(frozen=True)
class Filters:
    """Which messages a list shows: a part of the name (any case), a status, a channel."""

    q: str = ""
    status: str | None = None
    channel_id: int | None = None

    def where(self) -> list[Any]:
        out: list[Any] = []
        if self.q.strip():
            out.append(func.lower(ProactiveMessage.name).contains(self.q.strip().lower(),
                                                                  autoescape=True))
        if self.status is not None:
            out.append(ProactiveMessage.status == self.status)
        if self.channel_id is not None:
            out.append(ProactiveMessage.channel_id == self.channel_id)
        return out


@dataclass(frozen=True)
class MessagePage:
    """One page of the list, and what the list offers about every message."""

    rows: list[Listed]
    # How many messages match the filters; None when the page asked for lies past the end.
    total: int | None
    # Every message in Contains errors whose problems are gone (A→Z): "Publish again".
    republishable: list[ProactiveMessage]


def _messages(db: Session, sort: str, order: str, filters: Filters, limit: int | None,
              offset: int) -> list[Any]:
    """The messages matching `filters`, sorted, with their brand, channel and totals, and how
    many match in all (a window count, so the page and its total are one statement)."""
    key = SORTS[sort]
    direction = key.desc() if order == "desc" else key.asc()
    tiebreak = ProactiveMessage.id.desc() if order == "desc" else ProactiveMessage.id.asc()
    q = (select(ProactiveMessage, _TOTALS.c.sent, _TOTALS.c.opened, _TOTALS.c.replied,
                func.count().over().label("total"))
         .outerjoin(ProactiveMessage.channel)
         .outerjoin(_TOTALS, _TOTALS.c.message_id == ProactiveMessage.id)
         .options(contains_eager(ProactiveMessage.channel), joinedload(ProactiveMessage.brand))
         .where(*filters.where())
         .order_by(direction.nulls_last() if sort == "channel" else direction, tiebreak))
    if limit is not None:
        q = q.limit(limit).offset(offset)
    return list(db.execute(q).all())


# What `_problems` reads of a message (and the list's offer shows: its id and name).
_PROBLEM_FIELDS = (ProactiveMessage.name, ProactiveMessage.status, ProactiveMessage.brand_id,
                   ProactiveMessage.channel_id, ProactiveMessage.message,
                   ProactiveMessage.response, ProactiveMessage.timing)


def _in_error(db: Session, settings: AccountSettings, *,
              for_update: bool = False) -> list[ProactiveMessage]:
    """The messages in Contains errors, with their brand and channel, when they could be live
    again: with messaging or the agent workspace off, none can."""
    if not (settings.messaging_enabled and settings.agent_workspace_enabled):
        return []
    q = (select(ProactiveMessage).where(ProactiveMessage.status == "error")
         .outerjoin(ProactiveMessage.channel)
         .options(contains_eager(ProactiveMessage.channel).load_only(
                      Channel.name, Channel.brand_id, Channel.kind, Channel.bot_id,
                      raiseload=True),
                  joinedload(ProactiveMessage.brand).load_only(Brand.id, raiseload=True),
                  load_only(*_PROBLEM_FIELDS, raiseload=True))
         .order_by(func.lower(ProactiveMessage.name), ProactiveMessage.id))
    if for_update:  # of the messages only: a channel may be missing (the outer join's side)
        q = q.with_for_update(of=ProactiveMessage).execution_options(populate_existing=True)
    return list(db.scalars(q).unique())


def _dependencies(db: Session, messages: list[ProactiveMessage]
                  ) -> tuple[set[int], dict[int, BotFacts]]:
    """What the problems of these messages depend on beyond their brand and channel: which of
    the schedules they name exist (one statement, when any names one), and the bots they name
    (two more, when any does)."""
    named = {sid for m in messages if (sid := _needed_schedule(m)) is not None}
    schedule_ids = (set(db.scalars(select(Schedule.id).where(Schedule.id.in_(named))))
                    if named else set())
    bots = bot_facts(db, {bid for m in messages if (bid := _needed_bot(m)) is not None})
    return schedule_ids, bots


def _without_problems(messages: list[ProactiveMessage], settings: AccountSettings,
                      schedule_ids: set[int], bots: dict[int, BotFacts]
                      ) -> list[ProactiveMessage]:
    return [m for m in messages if not _problems(m, settings, brand=m.brand, channel=m.channel,
                                                 schedule_ids=schedule_ids, bots=bots)]


def _listed(db: Session, rows: list[Any], settings: AccountSettings, schedule_ids: set[int],
            bots: dict[int, BotFacts]) -> list[Listed]:
    out = []
    for m, sent, opened, replied, _total in rows:
        found = _problems(m, settings, brand=m.brand, channel=m.channel,
                          schedule_ids=schedule_ids, bots=bots)
        out.append(Listed(m, m.channel.name if m.channel else None,
                          {"sent": sent or 0, "opened": opened or 0, "replied": replied or 0},
                          found, actions(db, m, found)))
    return out


def list_messages(db: Session, user: User, sort: str = "updated_at", order: str = "desc",
                  filters: Filters | None = None, limit: int | None = None,
                  offset: int = 0) -> list[Listed]:
    """The messages matching `filters` (every one by default), sorted by `sort` (a key of
    SORTS), `limit` of them from `offset` (all by default). A fixed number of statements
    however many there are: the messages with their brand, channel and totals in one, then
    the schedules their timing names in one more (when any does), and the bots their
    responses name in two more (when any does)."""
    return list_page(db, user, sort, order, filters, limit, offset, offer=False).rows


def list_page(db: Session, user: User, sort: str = "updated_at", order: str = "desc",
              filters: Filters | None = None, limit: int | None = None, offset: int = 0, *,
              offer: bool = True) -> MessagePage:
    """`list_messages`, with how many match in all, and (with `offer`) the messages that
    could be published again — one statement more, whatever their number."""
    require_role(user, "admin")
    settings = get_settings_row(db)  # held: the session keeps only what someone holds
    ensure_ready_made(db)
    rows = _messages(db, sort, order, filters or Filters(), limit, offset)
    waiting = _in_error(db, settings) if offer else []
    schedule_ids, bots = _dependencies(db, [row[0] for row in rows] + waiting)
    total = rows[0].total if rows else (0 if offset == 0 else None)
    return MessagePage(_listed(db, rows, settings, schedule_ids, bots), total,
                       _without_problems(waiting, settings, schedule_ids, bots))


def ready_to_publish_again(db: Session, *, for_update: bool = False) -> list[ProactiveMessage]:
    """The messages in Contains errors whose problems are gone, A→Z."""
    settings = get_settings_row(db)
    waiting = _in_error(db, settings, for_update=for_update)
    return _without_problems(waiting, settings, *_dependencies(db, waiting))


def publish_again(db: Session, user: User) -> list[ProactiveMessage]:
    """Publish, in one go, every message in Contains errors whose problems are gone (after
    messaging or the agent workspace is switched back on, say). Those still with problems
    stay as they are. A fixed number of statements, whatever their number."""
    require_role(user, "admin")
    ready = ready_to_publish_again(db, for_update=True)
    now = utcnow()
    for m in ready:
        m.status = "live"
        m.updated_at = now
        m.published_at = now
    db.flush()
    events.changed(db, *{m.channel_id for m in ready})
    return ready


def live_messages(db: Session) -> list[ProactiveMessage]:
    """The live messages, A→Z: those that switching messaging or the agent workspace off
    would stop."""
    return list(db.scalars(select(ProactiveMessage).where(ProactiveMessage.status == "live")
                           .order_by(func.lower(ProactiveMessage.name), ProactiveMessage.id)))


def describe(db: Session, m: ProactiveMessage) -> Listed:
    """One message as the list shows it (its totals, problems and actions)."""
    found = problems(db, m)
    counts = stats.totals(db, m.id)
    return Listed(m, channel_name(db, m), {k: counts[k] for k in ("sent", "opened", "replied")},
                  found, actions(db, m, found))


def channel_name(db: Session, m: ProactiveMessage) -> str | None:
    channel = db.get(Channel, m.channel_id) if m.channel_id else None
    return channel.name if channel else None


def ensure_ready_made(db: Session) -> None:
    """Create the three ready-made drafts once per account, on the first visit of the list."""
    settings = get_settings_row(db)
    if settings.drafts_seeded:
        return
    # Compare-and-set: of two first visits at once, only one creates the drafts.
    claimed = db.execute(
        update(AccountSettings)
        .where(AccountSettings.id == settings.id, AccountSettings.drafts_seeded.is_(False))
        .values(drafts_seeded=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.refresh(settings)
    if claimed != 1:
        return
    channel = db.scalar(select(Channel).where(Channel.kind == "web_widget").order_by(Channel.id))
    for spec in ready_made(settings.default_locale):
        data = MessageIn.model_validate({
            k: v for k, v in spec.items() if k != "key"
        } | {"channel_id": channel.id if channel else None})
        create_message(db, data)


# -- reactions to what messages depend on -----------------------------------------------------


def _mark_errors(db: Session, messages: list[ProactiveMessage]) -> None:
    settings = get_settings_row(db)
    for m in messages:
        if m.status in ("live", "paused") and problems(db, m, settings):
            was_live = m.status == "live"
            m.status = "error"
            m.updated_at = utcnow()
            if was_live:
                events.changed(db, m.channel_id)
    db.flush()


def _active(db: Session, *where) -> list[ProactiveMessage]:
    q = select(ProactiveMessage).where(ProactiveMessage.status.in_(("live", "paused")), *where)
    # populate_existing: the database may have changed rows behind the identity map (SET NULL).
    return list(db.scalars(q.execution_options(populate_existing=True)))


def on_channel_changed(db: Session, channel: Channel) -> None:
    _mark_errors(db, _active(db, ProactiveMessage.channel_id == channel.id))
    events.changed(db, channel.id)


def on_schedule_changed(db: Session, schedule: Schedule) -> None:
    events.changed(db, events.ALL_CHANNELS)


def on_channel_deleted(db: Session, channel_id: int) -> None:
    # The database has set channel_id to NULL on the messages that used it.
    affected = _active(db, ProactiveMessage.channel_id.is_(None))
    events.changed(db, channel_id)
    _mark_errors(db, affected)


def on_schedule_deleted(db: Session, schedule_id: int) -> None:
    # The timing is JSON, not a foreign key: an id left behind could name another schedule
    # later (SQLite gives the highest id again once it is deleted), so it is dropped.
    named = [m for m in db.scalars(select(ProactiveMessage).execution_options(
        populate_existing=True)) if m.schedule_id == schedule_id]
    for m in named:
        m.timing = {**m.timing, "schedule_id": None}
    db.flush()
    _mark_errors(db, [m for m in named if m.status in ("live", "paused")])
    events.changed(db, events.ALL_CHANNELS)


def on_settings_changed(db: Session, settings: AccountSettings) -> None:
    if not (settings.messaging_enabled and settings.agent_workspace_enabled):
        _mark_errors(db, _active(db))
    events.changed(db, events.ALL_CHANNELS)  # the locale and visit timeout widgets use


def _relying_on(db: Session, bot_id: int) -> list[ProactiveMessage]:
    return [m for m in _active(db) if _needed_bot(m) == bot_id]


def _naming(db: Session, bot_id: int) -> list[ProactiveMessage]:
    """Every message, whatever its status, whose bot response names this bot (the responses
    read alone first: most messages name no bot)."""
    ids = [mid for mid, response in db.execute(select(ProactiveMessage.id,
                                                      ProactiveMessage.response))
           if (response or {}).get("type") == "bot" and response.get("bot_id") == bot_id]
    if not ids:
        return []
    q = select(ProactiveMessage).where(ProactiveMessage.id.in_(ids))
    return list(db.scalars(q.execution_options(populate_existing=True)))


def on_bot_changed(db: Session, bot: Bot) -> None:
    """A bot unpublished, edited or stripped of an answer: the messages whose response it is
    let go of a deleted answer, and turn Contains errors if now invalid; its channels' widgets
    show its new name and greeting."""
    # A response is JSON, not a foreign key: an id left behind could name another answer later
    # (SQLite gives the highest id again once it is deleted), so it is dropped, as a deleted
    # channel is.
    answers = published_answer_ids(db, {bot.id})[bot.id]
    for m in _naming(db, bot.id):
        if m.response.get("answer_id") not in (None, *answers):
            m.response = {**m.response, "answer_id": None}
    db.flush()
    _mark_errors(db, _relying_on(db, bot.id))
    channels = db.scalars(select(Channel.id).where(Channel.bot_id == bot.id))
    events.changed(db, *channels)


def on_bot_deleted(db: Session, bot_id: int) -> None:
    # As above: the messages let go of the bot's id before a new bot can be given it.
    affected = _naming(db, bot_id)
    for m in affected:
        m.response = {**m.response, "bot_id": None, "answer_id": None}
    db.flush()
    _mark_errors(db, affected)
    events.changed(db, events.ALL_CHANNELS)  # the channels it was connected to let go of it
