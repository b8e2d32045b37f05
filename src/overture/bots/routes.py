from __future__ import annotations

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from overture.bots import service
from overture.bots.models import Bot, BotAnswer
from overture.bots.schemas import (
    AnswerIn,
    AnswerOut,
    AnswerPatch,
    AnswerSummary,
    BotIn,
    BotOut,
    BotPatch,
)
from overture.deps import DB, ApiAdmin
from overture.kit.ids import IdField, IdPath

router = APIRouter(prefix="/api/v1/bots", tags=["bots"])


def to_out(db: Session, row: service.Listed) -> BotOut:
    bot, answers = row.bot, row.answers
    return BotOut(
        id=bot.id, brand_id=bot.brand_id, name=bot.name, avatar_url=bot.avatar_url,
        status=bot.status, version=row.version, greeting_answer_id=bot.greeting_answer_id,
        answers=[AnswerSummary(id=a.id, name=a.name, steps=len(a.steps or [])) for a in answers],
        channel_ids=row.channel_ids, problems=service.bot_problems(db, bot, answers),
        created_at=bot.created_at, updated_at=bot.updated_at)


def bot_out(db: Session, bot: Bot) -> BotOut:
    return to_out(db, service.describe(db, [bot])[0])


def answer_out(answer: BotAnswer) -> AnswerOut:
    return AnswerOut(id=answer.id, bot_id=answer.bot_id, name=answer.name,
                     steps=answer.steps or [], problems=service.answer_problems(answer),
                     created_at=answer.created_at, updated_at=answer.updated_at)


@router.get("", response_model=list[BotOut])
def list_bots(db: DB, user: ApiAdmin, brand_id: IdField | None = Query(None)):
    """A fixed number of statements however many bots there are."""
    return [to_out(db, row) for row in service.describe(db, service.list_bots(db, user, brand_id))]


@router.post("", response_model=BotOut, status_code=201)
def create_bot(data: BotIn, db: DB, user: ApiAdmin):
    return bot_out(db, service.create_bot(db, data))


@router.get("/{bot_id}", response_model=BotOut)
def get_bot(bot_id: IdPath, db: DB, user: ApiAdmin):
    return bot_out(db, service.access_bot(db, user, bot_id))


@router.patch("/{bot_id}", response_model=BotOut)
def update_bot(bot_id: IdPath, data: BotPatch, db: DB, user: ApiAdmin):
    """On a published bot the change must leave it without problems (409 naming them); it is
    then a new version at once: new conversations start on it, running ones finish on theirs."""
    bot = service.access_bot(db, user, bot_id, for_update=True)
    return bot_out(db, service.update_bot(db, bot, data))


@router.delete("/{bot_id}", status_code=204)
def delete_bot(bot_id: IdPath, db: DB, user: ApiAdmin):
    """Channels let go of it; proactive messages answered by it turn Contains errors."""
    service.delete_bot(db, service.access_bot(db, user, bot_id, for_update=True))
    return Response(status_code=204)


@router.post("/{bot_id}/publish", response_model=BotOut)
def publish_bot(bot_id: IdPath, db: DB, user: ApiAdmin):
    """Checks every answer; 409 `has_problems` lists each problem with its answer and step."""
    bot = service.access_bot(db, user, bot_id, for_update=True)
    return bot_out(db, service.publish(db, bot))


@router.post("/{bot_id}/unpublish", response_model=BotOut)
def unpublish_bot(bot_id: IdPath, db: DB, user: ApiAdmin):
    """Proactive messages answered by the bot turn Contains errors at once."""
    bot = service.access_bot(db, user, bot_id, for_update=True)
    return bot_out(db, service.unpublish(db, bot))


@router.get("/{bot_id}/answers", response_model=list[AnswerOut])
def list_answers(bot_id: IdPath, db: DB, user: ApiAdmin):
    bot = service.access_bot(db, user, bot_id)
    return [answer_out(a) for a in service.answers_of(db, bot.id)]


@router.post("/{bot_id}/answers", response_model=AnswerOut, status_code=201)
def create_answer(bot_id: IdPath, data: AnswerIn, db: DB, user: ApiAdmin):
    bot = service.access_bot(db, user, bot_id, for_update=True)
    return answer_out(service.create_answer(db, bot, data))


@router.get("/{bot_id}/answers/{answer_id}", response_model=AnswerOut)
def get_answer(bot_id: IdPath, answer_id: IdPath, db: DB, user: ApiAdmin):
    return answer_out(service.access_answer(db, user, bot_id, answer_id)[1])


@router.patch("/{bot_id}/answers/{answer_id}", response_model=AnswerOut)
def update_answer(bot_id: IdPath, answer_id: IdPath, data: AnswerPatch, db: DB,
                  user: ApiAdmin):
    """`steps` replaces the whole flow. On a published bot the flow must be without problems
    (409 naming them)."""
    bot, answer = service.access_answer(db, user, bot_id, answer_id)
    return answer_out(service.update_answer(db, bot, answer, data))


@router.delete("/{bot_id}/answers/{answer_id}", status_code=204)
def delete_answer(bot_id: IdPath, answer_id: IdPath, db: DB, user: ApiAdmin):
    """Proactive messages that run this answer turn Contains errors at once."""
    bot, answer = service.access_answer(db, user, bot_id, answer_id)
    service.delete_answer(db, bot, answer)
    return Response(status_code=204)
