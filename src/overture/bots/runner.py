"""Running an answer with a customer (SPEC §5, docs/widget-protocol.md "Bots").

The server leads: a run remembers the version it started on, the step that waits, what was
said and what the customer gave. `message` steps follow on by themselves; `options` and
`collect` wait; `handoff` turns the run into a conversation with its ticket; `end` closes it.
The customer's first answer counts the proactive message as replied.
"""

from __future__ import annotations

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from overture.bots import flow
from overture.bots.models import Bot, BotRun, BotVersion
from overture.bots.schemas import (
    Prompt,
    RunAnswerIn,
    RunBot,
    RunLine,
    RunOption,
    RunOut,
    RunStartIn,
)
from overture.channels.models import Channel
from overture.conversations import service as conversations
from overture.i18n import gettext as _
from overture.kit import hotsql
from overture.kit.clock import utcnow
from overture.kit.errors import Conflict, Invalid, NotFound
from overture.proactive import render, stats
from overture.proactive.models import Delivery, ProactiveMessage
from overture.visitors.models import Visitor
from overture.webhooks import outbox

_EMAIL = TypeAdapter(EmailStr)


def _unavailable() -> Conflict:
    return Conflict(_("this bot is not available any more"), code="bot_unavailable")


def _published_version(db: Session, channel: Channel) -> tuple[Bot, BotVersion] | None:
    bot = db.get(Bot, channel.bot_id) if channel.bot_id else None
    if bot is None or bot.status != "published" or bot.published_version_id is None:
        return None
    version = db.get(BotVersion, bot.published_version_id)
    return (bot, version) if version is not None else None


def start(db: Session, channel: Channel, visitor: Visitor,
          body: RunStartIn) -> tuple[BotRun, bool]:
    """The run the customer starts, and whether it is new (a retry gets the same one)."""
    retried = _retry(db, visitor, body.client_id)
    if retried is not None:
        return retried, False
    published = _published_version(db, channel)
    first_line = None
    if body.delivery_id is not None:
        delivery = db.get(Delivery, body.delivery_id)
        if (delivery is None or delivery.visitor_id != visitor.id
                or delivery.channel_id != channel.id):
            raise NotFound(_("delivery not found for this visitor"), code="delivery_not_found")
        message = db.get(ProactiveMessage, delivery.message_id)
        response = (message.response or {}) if message is not None else {}
        if response.get("type") != "bot":
            raise Conflict(_("this proactive message is not answered by a bot"),
                           code="not_a_bot_response")
        if published is None or published[0].id != response.get("bot_id"):
            raise _unavailable()
        answer_id = response.get("answer_id")
        full = (visitor.name or "").strip()
        first_line = render.plain(render.runs(message.message, full.split()[0] if full else "",
                                              full))
    else:
        if published is None or published[0].greeting_answer_id is None:
            raise Conflict(_("this channel has no greeting"), code="no_greeting")
        answer_id = published[0].greeting_answer_id
    version = published[1]
    answer = version.snapshot["answers"].get(str(answer_id))
    if answer is None or not answer["steps"]:
        raise _unavailable()
    now = utcnow()
    run = BotRun(channel_id=channel.id, visitor_id=visitor.id, client_id=body.client_id,
                 delivery_id=body.delivery_id, version_id=version.id, answer_id=answer_id,
                 status="running", step=None, transcript=[], collected={}, applied=[],
                 created_at=now, updated_at=now)
    try:
        with db.begin_nested():  # two tabs starting with one client id: one run
            db.add(run)
            db.flush()
    except IntegrityError:
        retried = _retry(db, visitor, body.client_id)
        if retried is None:
            raise
        return retried, False
    if first_line:
        _say(run, "bot", first_line)
    _walk(db, run, version, answer["steps"][0]["id"])
    return run, True


def _retry(db: Session, visitor: Visitor, client_id: str) -> BotRun | None:
    return db.scalar(select(BotRun).where(BotRun.visitor_id == visitor.id,
                                          BotRun.client_id == client_id))


def access_run(db: Session, channel: Channel, visitor: Visitor | None, run_id: int, *,
               for_update: bool = False) -> BotRun:
    run = db.get(BotRun, run_id, with_for_update=True if for_update else None)
    if run is None or visitor is None or run.visitor_id != visitor.id \
            or run.channel_id != channel.id:
        # The same answer whether it doesn't exist or isn't theirs.
        raise NotFound(_("bot conversation not found"), code="run_not_found")
    return run


def answer(db: Session, channel: Channel, visitor: Visitor, run: BotRun,
           body: RunAnswerIn) -> BotRun:
    """Apply the customer's answer to the step that waits, then move on."""
    if body.client_id in run.applied:  # a retry: applied once already
        return run
    if run.status != "running":
        raise Conflict(_("this bot conversation is over"), code="run_finished")
    if body.step != run.step:
        raise Conflict(_("this question was already answered; here is where things stand"),
                       code="not_current_step")
    version = db.get(BotVersion, run.version_id)
    steps = version.snapshot["answers"][str(run.answer_id)]["steps"]
    step = next(s for s in steps if s["id"] == run.step)
    if step["type"] == "options":
        options = step.get("options", [])
        if body.option is None or body.option >= len(options):
            raise Invalid("option", _("Choose one of the buttons."))
        said, following = options[body.option]["label"], options[body.option].get("next")
    else:
        said = _collected(run, visitor, step, body.value)
        following = step.get("next")
    first = not run.applied
    run.applied = [*run.applied, body.client_id]
    _say(run, "customer", said)
    if first and run.delivery_id is not None:
        _count_reply(db, run.delivery_id)
    _walk(db, run, version, following)
    return run


def _collected(run: BotRun, visitor: Visitor, step: dict, value: str | None) -> str:
    """The value typed for a `collect` step, checked, kept with the run and on the customer.
    Its refusals are the customer's to read, in their language: sentences."""
    if not value:
        raise Invalid("value", _("Please type your answer."))
    field = step.get("field", "email")
    if field == "email":
        try:
            value = str(_EMAIL.validate_python(value))
        except ValidationError:
            raise Invalid("value", _("Enter a valid email address, like name@example.com.")) \
                from None
        visitor.email = visitor.email or value
    elif field == "name":
        if len(value) > 200:
            raise Invalid("value", _("A name has at most 200 characters."))
        visitor.name = visitor.name or value
    else:
        visitor.attributes = {**(visitor.attributes or {}), step["attribute"]: value}
    run.collected = {**run.collected, step.get("attribute") or field: value}
    return value


def _count_reply(db: Session, delivery_id: int) -> None:
    delivery = db.get(Delivery, delivery_id)
    if delivery is None:
        return
    # The same event id as a written reply: one reply per delivery, however it came.
    message = db.get(ProactiveMessage, delivery.message_id)
    hotsql.drive(db.connection(), stats.apply_event(
        None, shard=stats.session_shard(), delivery=delivery, kind="replied",
        event_id=f"reply-{delivery.id}", now=utcnow(),
        notify=outbox.delivery_data(delivery, message.name if message else None)))
    db.expire(delivery)


def _say(run: BotRun, author: str, body: str) -> None:
    run.transcript = [*run.transcript,
                      {"id": len(run.transcript) + 1, "author": author, "body": body}]


def _walk(db: Session, run: BotRun, version: BotVersion, start: str | None) -> None:
    """Say the steps from `start` on until one waits for the customer or finishes the run."""
    run.updated_at = utcnow()
    steps = version.snapshot["answers"][str(run.answer_id)]["steps"]
    run.step = None
    for step in flow.advance(steps, start):
        if (step.get("text") or "").strip():
            _say(run, "bot", step["text"])
        if step["type"] in flow.WAITS:
            run.step = step["id"]
            return
        if step["type"] == "handoff":
            _hand_off(db, run, version, step)
            return
        if step["type"] == "end":
            break
    run.status = "ended"  # an `end` step (or, in a flow that lost its way, nowhere to go)


def _hand_off(db: Session, run: BotRun, version: BotVersion, step: dict) -> None:
    channel = db.get(Channel, run.channel_id)
    visitor = db.get(Visitor, run.visitor_id)
    delivery = db.get(Delivery, run.delivery_id) if run.delivery_id else None
    message = db.get(ProactiveMessage, delivery.message_id) if delivery else None
    conv = conversations.hand_over(
        db, channel, visitor, delivery=delivery, message=message,
        transcript=run.transcript, bot_name=version.snapshot["name"],
        name=run.collected.get("name") or visitor.name,
        email=run.collected.get("email") or visitor.email,
        tags=[*(message.tags if message else []), *step.get("tags", [])])
    run.conversation_id = conv.id
    run.status = "handed_off"


def run_out(db: Session, run: BotRun) -> RunOut:
    version = db.get(BotVersion, run.version_id)
    prompt = None
    if run.status == "running" and run.step is not None:
        steps = version.snapshot["answers"][str(run.answer_id)]["steps"]
        step = next(s for s in steps if s["id"] == run.step)
        if step["type"] == "options":
            prompt = Prompt(step=step["id"], type="options", options=[
                RunOption(index=i, label=o["label"]) for i, o in enumerate(step["options"])])
        else:
            prompt = Prompt(step=step["id"], type="collect", field=step.get("field", "email"))
    return RunOut(run_id=run.id, status=run.status,
                  bot=RunBot(name=version.snapshot["name"],
                             avatar_url=version.snapshot.get("avatar_url", "")),
                  messages=[RunLine(**line) for line in run.transcript], prompt=prompt,
                  conversation_id=run.conversation_id)
