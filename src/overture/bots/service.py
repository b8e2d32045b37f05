"""Bots and answers: editing, publishing, versions (SPEC §1, §2.1).

A draft bot may hold unfinished answers; its problems are listed. Publishing checks every
answer (`flow.problems`) and fails with the list. A published bot stays valid: a change that
would give it problems is refused (409, naming them); any other change is a new version at
once, which new runs start on while running ones finish on theirs. Unpublishing, deleting the
bot or one of its answers, and disconnecting it from a channel turn the proactive messages
that relied on it into Contains errors (proactive.service, through the signals).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.accounts.service import require_role
from overture.bots import flow
from overture.bots.models import Bot, BotAnswer, BotVersion
from overture.bots.schemas import AnswerIn, AnswerPatch, BotIn, BotPatch
from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.db import load, remove
from overture.i18n import gettext as _
from overture.kit.clock import utcnow
from overture.kit.errors import Conflict, Invalid, NotFound
from overture.kit.signals import bot_changed, bot_deleted

ACTIONS = {"draft": ("edit", "publish", "delete"), "published": ("edit", "unpublish", "delete")}


def access_bot(db: Session, user: User, bot_id: int, *, for_update: bool = False) -> Bot:
    """The one way to load a bot by id: bots are configuration, for admins only."""
    require_role(user, "admin")
    return load(db, Bot, bot_id, _("bot %(id)s not found") % {"id": bot_id},
                for_update=for_update)


def access_answer(db: Session, user: User, bot_id: int, answer_id: int) -> tuple[Bot, BotAnswer]:
    bot = access_bot(db, user, bot_id, for_update=True)
    answer = db.get(BotAnswer, answer_id)
    if answer is None or answer.bot_id != bot.id:
        raise NotFound(_("answer %(id)s not found in this bot") % {"id": answer_id},
                       code="not_found")
    return bot, answer


def list_bots(db: Session, user: User, brand_id: int | None = None) -> list[Bot]:
    require_role(user, "admin")
    q = select(Bot).order_by(func.lower(Bot.name), Bot.id)
    if brand_id is not None:
        q = q.where(Bot.brand_id == brand_id)
    return list(db.scalars(q))


def answers_of(db: Session, bot_id: int) -> list[BotAnswer]:
    return list(db.scalars(select(BotAnswer).where(BotAnswer.bot_id == bot_id)
                           .order_by(BotAnswer.position, BotAnswer.id)))


def connected_channels(db: Session, bot_id: int) -> list[Channel]:
    return list(db.scalars(select(Channel).where(Channel.bot_id == bot_id)
                           .order_by(Channel.name, Channel.id)))


@dataclass(frozen=True)
class Listed:
    """A bot as the API shows it: its answers, published version number and channels."""

    bot: Bot
    answers: list[BotAnswer]
    version: int | None
    channel_ids: list[int]


def describe(db: Session, bots: list[Bot]) -> list[Listed]:
    """These bots with their answers, versions and channels, in three statements whatever
    their number (none without bots)."""
    if not bots:
        return []
    ids = [b.id for b in bots]
    answers: dict[int, list[BotAnswer]] = {i: [] for i in ids}
    for answer in db.scalars(select(BotAnswer).where(BotAnswer.bot_id.in_(ids))
                             .order_by(BotAnswer.position, BotAnswer.id)):
        answers[answer.bot_id].append(answer)
    version_ids = [b.published_version_id for b in bots if b.published_version_id is not None]
    numbers = dict(db.execute(select(BotVersion.id, BotVersion.number)
                              .where(BotVersion.id.in_(version_ids))).all())
    channels: dict[int, list[int]] = {i: [] for i in ids}
    for channel_id, bot_id in db.execute(select(Channel.id, Channel.bot_id)
                                         .where(Channel.bot_id.in_(ids))
                                         .order_by(Channel.name, Channel.id)):
        channels[bot_id].append(channel_id)
    return [Listed(b, answers[b.id], numbers.get(b.published_version_id), channels[b.id])
            for b in bots]


def version_number(db: Session, bot: Bot) -> int | None:
    if bot.published_version_id is None:
        return None
    return db.scalar(select(BotVersion.number).where(BotVersion.id == bot.published_version_id))


# -- problems ---------------------------------------------------------------------------------


def answer_problems(answer: BotAnswer) -> list[dict]:
    return [{"answer_id": answer.id, "answer_name": answer.name, **p}
            for p in flow.problems(answer.steps or [])]


def bot_problems(db: Session, bot: Bot, answers: list[BotAnswer] | None = None) -> list[dict]:
    """What stops the bot from being published, answer by answer and step by step."""
    answers = answers_of(db, bot.id) if answers is None else answers
    out: list[dict] = []
    if not answers:
        out.append({"answer_id": None, "answer_name": "", "step": None, "code": "no_answers",
                    "message": _("The bot has no answers yet: add one.")})
    for answer in answers:
        for p in answer_problems(answer):
            p["message"] = _("Answer “%(answer)s”: %(problem)s") % {
                "answer": answer.name, "problem": p["message"]}
            out.append(p)
    return out


def _refuse_problems(found: list[dict], verb: str) -> None:
    if found:
        raise Conflict(_("cannot %(verb)s: %(problems)s")
                       % {"verb": verb, "problems": " ".join(p["message"] for p in found)},
                       code="has_problems", details=found)


def _require(bot: Bot, action: str) -> None:
    if action not in ACTIONS[bot.status]:
        raise Conflict(_("cannot %(action)s a bot that is %(status)s; allowed: %(allowed)s")
                       % {"action": action, "status": bot.status,
                          "allowed": ", ".join(ACTIONS[bot.status])},
                       code="action_not_allowed")


# -- versions ---------------------------------------------------------------------------------


def _snapshot(bot: Bot, answers: list[BotAnswer]) -> dict:
    return {"name": bot.name, "avatar_url": bot.avatar_url,
            "greeting_answer_id": bot.greeting_answer_id,
            "answers": {str(a.id): {"name": a.name, "steps": a.steps} for a in answers}}


def _changed(db: Session, bot: Bot, verb: str) -> None:
    """After any change: a published bot is checked and becomes a new version at once (or the
    change is refused and the caller's unit of work rolls it back); then the messages and
    channels that rely on the bot are told."""
    bot.updated_at = utcnow()
    db.flush()
    if bot.status == "published":
        answers = answers_of(db, bot.id)
        _refuse_problems(bot_problems(db, bot, answers), verb)
        _new_version(db, bot, answers)
    bot_changed.send(db, bot)


def _new_version(db: Session, bot: Bot, answers: list[BotAnswer]) -> None:
    snapshot = _snapshot(bot, answers)
    current = (db.get(BotVersion, bot.published_version_id)
               if bot.published_version_id is not None else None)
    if current is not None and current.snapshot == snapshot:
        return  # saved unchanged: nothing a customer meets is new
    last = db.scalar(select(func.max(BotVersion.number)).where(BotVersion.bot_id == bot.id))
    version = BotVersion(bot_id=bot.id, number=(last or 0) + 1,
                         snapshot=snapshot, created_at=utcnow())
    db.add(version)
    db.flush()
    bot.published_version_id = version.id
    db.flush()


# -- bots -------------------------------------------------------------------------------------


def _check_brand(db: Session, brand_id: int) -> None:
    if db.get(Brand, brand_id) is None:
        raise Invalid("brand_id", _("brand %(id)s does not exist") % {"id": brand_id},
                      code="unknown_reference")


def _check_greeting(db: Session, bot: Bot, answer_id: int | None) -> None:
    if answer_id is None:
        return
    answer = db.get(BotAnswer, answer_id)
    if answer is None or answer.bot_id != bot.id:
        raise Invalid("greeting_answer_id", _("answer %(id)s is not one of this bot's answers")
                      % {"id": answer_id}, code="unknown_reference")


def create_bot(db: Session, data: BotIn) -> Bot:
    _check_brand(db, data.brand_id)
    if data.greeting_answer_id is not None:  # a new bot has no answers yet
        raise Invalid("greeting_answer_id", _("answer %(id)s is not one of this bot's answers")
                      % {"id": data.greeting_answer_id}, code="unknown_reference")
    now = utcnow()
    bot = Bot(brand_id=data.brand_id, name=data.name, avatar_url=data.avatar_url,
              status="draft", created_at=now, updated_at=now)
    db.add(bot)
    db.flush()
    return bot


def update_bot(db: Session, bot: Bot, data: BotPatch) -> Bot:
    changes = data.model_dump(exclude_unset=True)
    for field in ("brand_id", "name"):
        if field in changes and changes[field] is None:
            raise Invalid(field, _("%(field)s is required") % {"field": field})
    if changes.get("avatar_url") is None:
        changes.pop("avatar_url", None)
    if "brand_id" in changes and changes["brand_id"] != bot.brand_id:
        _check_brand(db, changes["brand_id"])
        channels = connected_channels(db, bot.id)
        if channels:  # a channel's bot is of the channel's brand
            raise Conflict(_("the bot is connected to %(channels)s; disconnect it before "
                             "moving it to another brand")
                           % {"channels": ", ".join(f"“{c.name}”" for c in channels)},
                           code="bot_in_use")
    if "greeting_answer_id" in changes:
        _check_greeting(db, bot, changes["greeting_answer_id"])
    for field, value in changes.items():
        setattr(bot, field, value)
    _changed(db, bot, "save")
    return bot


def publish(db: Session, bot: Bot) -> Bot:
    _require(bot, "publish")
    answers = answers_of(db, bot.id)
    _refuse_problems(bot_problems(db, bot, answers), "publish")
    bot.status = "published"
    bot.updated_at = utcnow()
    _new_version(db, bot, answers)
    bot_changed.send(db, bot)
    return bot


def unpublish(db: Session, bot: Bot) -> Bot:
    _require(bot, "unpublish")
    bot.status = "draft"
    bot.published_version_id = None
    bot.updated_at = utcnow()
    db.flush()
    bot_changed.send(db, bot)
    return bot


def delete_bot(db: Session, bot: Bot) -> None:
    # Channels let go of it first (the database would too; saying it keeps the session's
    # channels current for the reactions that follow).
    db.execute(update(Channel).where(Channel.bot_id == bot.id).values(bot_id=None)
               .execution_options(synchronize_session="fetch"))
    bot_deleted.send(db, remove(db, bot))


# -- answers ----------------------------------------------------------------------------------


def _dump_steps(steps: list) -> list[dict]:
    return [s.model_dump(mode="json") for s in steps]


def create_answer(db: Session, bot: Bot, data: AnswerIn) -> BotAnswer:
    now = utcnow()
    last = db.scalar(select(func.max(BotAnswer.position)).where(BotAnswer.bot_id == bot.id))
    answer = BotAnswer(bot_id=bot.id, name=data.name, steps=_dump_steps(data.steps),
                       position=(last or 0) + 1, created_at=now, updated_at=now)
    db.add(answer)
    db.flush()
    _changed(db, bot, "save")
    return answer


def update_answer(db: Session, bot: Bot, answer: BotAnswer, data: AnswerPatch) -> BotAnswer:
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise Invalid("name", _("name is required"))
    if data.name is not None:
        answer.name = data.name
    if data.steps is not None:
        answer.steps = _dump_steps(data.steps)
    answer.updated_at = utcnow()
    _changed(db, bot, "save")
    return answer


def delete_answer(db: Session, bot: Bot, answer: BotAnswer) -> None:
    """Deleting is always allowed, on a published bot too: what used the answer (a proactive
    message, the greeting) lets go of it or shows Contains errors."""
    if bot.greeting_answer_id == answer.id:
        bot.greeting_answer_id = None
    db.delete(answer)
    db.flush()
    bot.updated_at = utcnow()
    if bot.status == "published":
        _new_version(db, bot, answers_of(db, bot.id))
    bot_changed.send(db, bot)


def published_answer_ids(db: Session, bot_ids: set[int]) -> dict[int, set[int]]:
    """The answers each of these bots has (one statement), for the problems of messages."""
    out: dict[int, set[int]] = {b: set() for b in bot_ids}
    if bot_ids:
        for answer_id, bot_id in db.execute(select(BotAnswer.id, BotAnswer.bot_id)
                                            .where(BotAnswer.bot_id.in_(bot_ids))):
            out[bot_id].add(answer_id)
    return out
