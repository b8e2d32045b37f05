"""The widget API's bot runs (docs/widget-protocol.md, "Bots"): start an answer, read it, answer
the step that waits. Same prefix, origin checks and limits as the other conversation routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from overture.bots import runner
from overture.bots.schemas import RunAnswerIn, RunOut, RunStartIn
from overture.deps import DB
from overture.i18n import gettext as _
from overture.kit.errors import NotFound
from overture.kit.ids import IdPath
from overture.visitors.service import resolve_visitor
from overture.widget.routes import WidgetChannel, _json_body, _parsed, visitor_limit
from overture.widget.schemas import ClientId

router = APIRouter(prefix="/widget/v1/{channel_key}", tags=["widget"])


@router.post("/bot-runs", response_model=RunOut, status_code=201,
             openapi_extra=_json_body(RunStartIn),
             responses={200: {"model": RunOut, "description": "A retry: the same `client_id` "
                                                              "from the same visitor."}})
def start_run(channel: WidgetChannel,
              body: Annotated[RunStartIn, Depends(_parsed(RunStartIn))],
              request: Request, response: Response, db: DB):
    """Run the answer of a bot-response message the customer clicked (`delivery_id`), or the
    greeting of the channel's bot (no `delivery_id`)."""
    visitor_limit(request, body.visitor_id)
    visitor = resolve_visitor(db, body.visitor_id, create=body.delivery_id is None)
    if visitor is None:
        raise NotFound(_("delivery not found for this visitor"), code="delivery_not_found")
    run, created = runner.start(db, channel, visitor, body)
    if not created:
        response.status_code = 200
    return runner.run_out(db, run)


@router.get("/bot-runs/{run_id}", response_model=RunOut)
def get_run(run_id: IdPath, visitor_id: Annotated[ClientId, Query()], channel: WidgetChannel,
            db: DB):
    visitor = resolve_visitor(db, visitor_id, create=False)
    return runner.run_out(db, runner.access_run(db, channel, visitor, run_id))


@router.post("/bot-runs/{run_id}/answers", response_model=RunOut,
             openapi_extra=_json_body(RunAnswerIn))
def answer_run(run_id: IdPath, channel: WidgetChannel,
               body: Annotated[RunAnswerIn, Depends(_parsed(RunAnswerIn))],
               request: Request, db: DB):
    """The customer's answer to the step that waits (`step`): a button (`option`) or a typed
    value (`value`). The first answer counts the proactive message as replied."""
    visitor_limit(request, body.visitor_id)
    visitor = resolve_visitor(db, body.visitor_id, create=False)
    run = runner.access_run(db, channel, visitor, run_id, for_update=True)
    return runner.run_out(db, runner.answer(db, channel, visitor, run, body))
