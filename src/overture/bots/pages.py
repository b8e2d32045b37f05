"""Admin pages for bots: the list, a bot's page (settings, answers, problems, publishing) and
the flow editor of an answer.

The flow editor posts the answer's name and, in one field `steps`, the whole flow as JSON built
in the browser by `bot-editor.js`. It is validated here with the API's own schema
(`AnswerPatch`), so a refusal names the same step and field as the API would.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.bots import service
from overture.bots.models import Bot, BotAnswer
from overture.bots.schemas import AnswerIn, AnswerPatch, BotIn, BotPatch
from overture.brands.service import list_brands
from overture.channels.service import list_channels
from overture.deps import DB, PageAdmin, check_csrf, page_admin
from overture.i18n import gettext as _
from overture.kit.ids import IdPath
from overture.web.forms import Outcome, PostedForm, attempt, labelled, one, submit
from overture.web.templating import ask_before_delete, flash_to, render

BASE = "/admin/bots"

router = APIRouter(
    prefix=BASE, include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_admin)],
)


def status_labels() -> dict[str, str]:
    return {"draft": _("Draft"), "published": _("Published")}


def step_href(bot_id: int, problem: dict[str, Any]) -> str | None:
    """Where a problem is fixed: the answer's editor, at the step when it names one."""
    if problem.get("answer_id") is None:
        return None
    href = f"{BASE}/{bot_id}/answers/{problem['answer_id']}"
    return f"{href}#step-{problem['step']}" if problem.get("step") else href


def _linked(bot_id: int, problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**p, "href": step_href(bot_id, p)} for p in problems]


def _refused_problems(outcome: Outcome) -> list[dict[str, Any]] | None:
    """The problems a refusal named (409 has_problems), or None for any other refusal."""
    err = outcome.error
    if err is not None and err.code == "has_problems" and isinstance(err.details, list):
        return [p for p in err.details if isinstance(p, dict)]
    return None


# -- the list ---------------------------------------------------------------------------------


@router.get("")
def bots_page(request: Request, db: DB, user: PageAdmin):
    bots = service.list_bots(db, user)
    answers = service.published_answer_ids(db, {b.id for b in bots})  # every answer, per bot
    channels: dict[int, list[Any]] = {}
    for c in list_channels(db, user):
        if c.bot_id is not None:
            channels.setdefault(c.bot_id, []).append(c)
    return render(request, "admin/bots.html", bots=bots,
                  brand_names={b.id: b.name for b in list_brands(db, user)},
                  answer_counts={b: len(ids) for b, ids in answers.items()},
                  channels=channels, statuses=status_labels())


# -- a bot's page -----------------------------------------------------------------------------


def _bot_labels() -> dict[str, str]:
    return {"brand_id": _("Brand"), "name": _("Name"), "avatar_url": _("Avatar URL"),
            "greeting_answer_id": _("Greeting")}


def _bot_from_form(form: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"name": one(form, "name"),
                            "avatar_url": one(form, "avatar_url").strip(),
                            "greeting_answer_id": one(form, "greeting_answer_id") or None}
    if one(form, "brand_id"):
        data["brand_id"] = one(form, "brand_id")
    return data


def _form_of(bot: Bot) -> dict[str, str]:
    return {"name": bot.name, "brand_id": str(bot.brand_id), "avatar_url": bot.avatar_url,
            "greeting_answer_id": str(bot.greeting_answer_id or "")}


def _render_bot(request: Request, db: Session, user: User, bot: Bot | None,
                form: dict[str, Any], errors: list[dict[str, str]] | None = None,
                refused: list[dict[str, Any]] | None = None, refused_title: str = "",
                status_code: int = 200):
    context: dict[str, Any] = {}
    if bot is not None:
        answers = service.answers_of(db, bot.id)
        context = {
            "answers": answers,
            "answer_problems": {a.id: len(service.answer_problems(a)) for a in answers},
            "problems": _linked(bot.id, service.bot_problems(db, bot, answers)),
            "connected": service.connected_channels(db, bot.id),
            "version": service.version_number(db, bot),
        }
    return render(request, "admin/bot_form.html", status_code=status_code, bot=bot, form=form,
                  errors=labelled(errors or [], _bot_labels()), brands=list_brands(db, user),
                  statuses=status_labels(),
                  refused=_linked(bot.id, refused) if bot is not None and refused else None,
                  refused_title=refused_title, **context)


@router.get("/new")
def new_bot(request: Request, db: DB, user: PageAdmin):
    brands = list_brands(db, user)
    form = {"brand_id": str(brands[0].id) if len(brands) == 1 else ""}
    return _render_bot(request, db, user, None, form)


@router.post("/new")
def create_bot(request: Request, db: DB, user: PageAdmin, form: PostedForm):
    raw = _bot_from_form(form)
    raw.pop("greeting_answer_id")  # a new bot has no answers to greet with yet
    outcome = submit(db, BotIn, raw, lambda data: service.create_bot(db, data))
    if outcome.refused or outcome.value is None:
        return _render_bot(request, db, user, None, form, outcome.errors, status_code=422)
    return flash_to(request, _("Bot created. Add its answers below."),
                    f"{BASE}/{outcome.value.id}")


@router.get("/{bot_id}")
def bot_page(bot_id: IdPath, request: Request, db: DB, user: PageAdmin):
    bot = service.access_bot(db, user, bot_id)
    return _render_bot(request, db, user, bot, _form_of(bot))


@router.post("/{bot_id}")
def update_bot(bot_id: IdPath, request: Request, db: DB, user: PageAdmin, form: PostedForm):
    bot = service.access_bot(db, user, bot_id, for_update=True)
    # Every field is on the form: the bot is replaced by what was posted.
    outcome = submit(db, BotIn, _bot_from_form(form), lambda data: service.update_bot(
        db, bot, BotPatch(**data.model_dump())))
    if outcome.refused:
        refused = _refused_problems(outcome)
        return _render_bot(request, db, user, bot, form, None if refused else outcome.errors,
                           refused=refused, refused_title=_("Not saved: the bot is published, "
                                                            "and this change would give it "
                                                            "problems."),
                           status_code=outcome.status)
    return flash_to(request, _("Bot saved."), f"{BASE}/{bot.id}")


@router.post("/{bot_id}/publish")
def publish_bot(bot_id: IdPath, request: Request, db: DB, user: PageAdmin):
    bot = service.access_bot(db, user, bot_id, for_update=True)
    outcome = attempt(db, lambda: service.publish(db, bot))
    if outcome.error is not None:
        # The problems are shown as an error on the bot's page, each linked to its step.
        refused = _refused_problems(outcome)
        return _render_bot(request, db, user, bot, _form_of(bot),
                           errors=None if refused else outcome.errors, refused=refused,
                           refused_title=_("Not published. Fix these problems first:"),
                           status_code=outcome.status)
    return flash_to(request, _("Published: channels connected to this bot run it now."),
                    f"{BASE}/{bot.id}")


@router.post("/{bot_id}/unpublish")
def unpublish_bot(bot_id: IdPath, request: Request, db: DB, user: PageAdmin):
    bot = service.access_bot(db, user, bot_id, for_update=True)
    outcome = attempt(db, lambda: service.unpublish(db, bot))
    if outcome.error is not None:
        return _render_bot(request, db, user, bot, _form_of(bot), errors=outcome.errors,
                           status_code=outcome.status)
    return flash_to(request, _("Unpublished: the bot is a draft again and no longer answers "
                               "customers."), f"{BASE}/{bot.id}")


@router.get("/{bot_id}/delete")
def confirm_delete(bot_id: IdPath, request: Request, db: DB, user: PageAdmin):
    bot = service.access_bot(db, user, bot_id)
    channels = service.connected_channels(db, bot.id)
    warning = None
    if channels:
        warning = _("These channels lose their bot: %(names)s. Proactive messages answered by "
                    "it show Contains errors.") % {"names": ", ".join(c.name for c in channels)}
    return ask_before_delete(request, bot.name, f"{BASE}/{bot.id}/delete", f"{BASE}/{bot.id}",
                             warning=warning)


@router.post("/{bot_id}/delete")
def delete_bot(bot_id: IdPath, request: Request, db: DB, user: PageAdmin):
    service.delete_bot(db, service.access_bot(db, user, bot_id, for_update=True))
    return flash_to(request, _("Bot deleted."), BASE)


# -- answers ----------------------------------------------------------------------------------


@router.post("/{bot_id}/answers")
def create_answer(bot_id: IdPath, request: Request, db: DB, user: PageAdmin, form: PostedForm):
    bot = service.access_bot(db, user, bot_id, for_update=True)
    outcome = submit(db, AnswerIn, {"name": one(form, "name")},
                     lambda data: service.create_answer(db, bot, data))
    if outcome.refused or outcome.value is None:
        errors = [{**e, "field": _("Answer name") if e["field"] == "name" else e["field"]}
                  for e in outcome.errors]
        return _render_bot(request, db, user, bot, _form_of(bot), errors,
                           status_code=outcome.status)
    return flash_to(request, _("Answer added. Build its flow below."),
                    f"{BASE}/{bot.id}/answers/{outcome.value.id}")


def _step_labels() -> dict[str, str]:
    return {"id": _("Id"), "type": _("Type"), "text": _("Text"), "next": _("Next step"),
            "options": _("Buttons"), "label": _("Label"), "field": _("Asks for"),
            "attribute": _("Attribute"), "tags": _("Tags")}


def _readable_answer_errors(errors: list[dict[str, str]],
                            steps: list[Any]) -> list[dict[str, Any]]:
    """`steps.2.options.options.0.label` as "Step 3 (“menu”), Buttons 1, Label"; the step's id
    travels along, so that the editor marks its card."""
    labels = _step_labels()
    out = []
    for err in errors:
        path = err.get("field", "")
        parts = path.split(".") if path else []
        step_id = None
        if parts[:1] == ["steps"] and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            step = steps[index] if index < len(steps) else None
            step_id = step.get("id") if isinstance(step, dict) else None
            words = [_("Step %(n)s") % {"n": index + 1}
                     + (f" (“{step_id}”)" if isinstance(step_id, str) else "")]
            rest = parts[2:]
            if rest and isinstance(step, dict) and rest[0] == step.get("type"):
                rest = rest[1:]  # the union's tag, not a field
            for part in rest:
                if part.isdigit():
                    words[-1] += f" {int(part) + 1}"
                else:
                    words.append(labels.get(part, part))
            field = ", ".join(words)
        elif parts[:1] == ["steps"]:
            field = _("Steps")
        elif parts[:1] == ["name"]:
            field = _("Name")
        else:
            field = labels.get(path, path)
        out.append({"field": field, "path": path, "msg": err.get("msg", ""),
                    "step": step_id if isinstance(step_id, str) else None})
    return out


def _posted_steps(form: dict[str, Any]) -> tuple[list[Any] | None, list[dict[str, Any]]]:
    """The steps the editor posted (a JSON list), or the error that says they were unreadable."""
    raw = one(form, "steps")
    try:
        steps = json.loads(raw)
    except ValueError:
        steps = None
    if not isinstance(steps, list):
        return None, [{"field": _("Steps"), "path": "steps", "step": None, "msg": _(
            "The steps could not be read. Reload the page and try again.")}]
    return steps, []


def _render_answer(request: Request, db: Session, bot: Bot, answer: BotAnswer,
                   name: str, steps: list[Any], errors: list[dict[str, Any]] | None = None,
                   refused: list[dict[str, Any]] | None = None, status_code: int = 200):
    problems = service.answer_problems(answer)
    editor = {
        "steps": steps,
        "problems": [{"step": p["step"], "message": p["message"]} for p in problems],
        "errors": [{"step": e.get("step"), "field": e["field"], "msg": e["msg"]}
                   for e in errors or []],
        "bot": {"name": bot.name, "avatar_url": bot.avatar_url},
    }
    return render(request, "admin/bot_answer.html", status_code=status_code, bot=bot,
                  answer=answer, answer_name=name, problems=problems, errors=errors or [],
                  refused=refused, statuses=status_labels(), editor=editor)


@router.get("/{bot_id}/answers/{answer_id}")
def answer_page(bot_id: IdPath, answer_id: IdPath, request: Request, db: DB, user: PageAdmin):
    bot, answer = service.access_answer(db, user, bot_id, answer_id)
    return _render_answer(request, db, bot, answer, answer.name, answer.steps or [])


@router.post("/{bot_id}/answers/{answer_id}")
def update_answer(bot_id: IdPath, answer_id: IdPath, request: Request, db: DB,
                  user: PageAdmin, form: PostedForm):
    bot, answer = service.access_answer(db, user, bot_id, answer_id)
    name = one(form, "name")
    steps, errors = _posted_steps(form)
    status_code, refused = 422, None
    if steps is not None:
        outcome = attempt(db, lambda: service.update_answer(
            db, bot, answer, AnswerPatch.model_validate({"name": name, "steps": steps})))
        if not outcome.refused:
            return flash_to(request, _("Answer saved."),
                            f"{BASE}/{bot.id}/answers/{answer.id}")
        status_code, refused = outcome.status, _refused_problems(outcome)
        errors = [] if refused else _readable_answer_errors(outcome.errors, steps)
        # What was typed is shown again, when it is something the editor can show.
        steps = [s for s in steps if isinstance(s, dict)]
    # The session's objects were rolled back: read the saved answer again.
    bot, answer = service.access_answer(db, user, bot_id, answer_id)
    return _render_answer(request, db, bot, answer, name,
                          steps if steps is not None else answer.steps or [], errors,
                          refused, status_code)


@router.get("/{bot_id}/answers/{answer_id}/delete")
def confirm_delete_answer(bot_id: IdPath, answer_id: IdPath, request: Request, db: DB,
                          user: PageAdmin):
    bot, answer = service.access_answer(db, user, bot_id, answer_id)
    warning = _("Proactive messages that run this answer show Contains errors.")
    if bot.greeting_answer_id == answer.id:
        warning = _("It is the bot's greeting: the launcher no longer starts the bot.") + " " \
            + warning
    return ask_before_delete(request, answer.name, f"{BASE}/{bot.id}/answers/{answer.id}/delete",
                             f"{BASE}/{bot.id}/answers/{answer.id}", warning=warning)


@router.post("/{bot_id}/answers/{answer_id}/delete")
def delete_answer(bot_id: IdPath, answer_id: IdPath, request: Request, db: DB,
                  user: PageAdmin):
    bot, answer = service.access_answer(db, user, bot_id, answer_id)
    service.delete_answer(db, bot, answer)
    return flash_to(request, _("Answer deleted."), f"{BASE}/{bot.id}")

