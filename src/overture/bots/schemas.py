"""Bots and their answers as the API and the admin pages send and get them.

An answer's steps are a list; the first one starts the flow. Each step has an id the others
link to (`next`, or an option's `next`). What is well-formed is checked here (a save that
breaks it is refused with 422); whether the flow holds together — links, reachability, exits —
is `flow.problems`, listed on a draft and required empty to publish.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from overture.channels.schemas import Avatar
from overture.i18n import gettext as _
from overture.kit.ids import IdField
from overture.kit.schemas import Strict, rule_broken
from overture.kit.text import PlainName
from overture.proactive.schemas import Tags
from overture.widget.schemas import ClientId, EventId

MAX_STEPS = 100
MAX_OPTIONS = 10
STEP_ID = r"^[a-z0-9_\-]{1,40}$"

StepId = Annotated[str, StringConstraints(pattern=STEP_ID)]
StepText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
AttributeName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-.]{1,64}$")]


class Option(Strict):
    label: Label
    next: StepId | None = None


class MessageStep(Strict):
    id: StepId
    type: Literal["message"]
    text: StepText = ""
    next: StepId | None = None


class OptionsStep(Strict):
    id: StepId
    type: Literal["options"]
    text: StepText = ""
    options: list[Option] = Field(default_factory=list, max_length=MAX_OPTIONS)


class CollectStep(Strict):
    id: StepId
    type: Literal["collect"]
    text: StepText = ""
    field: Literal["name", "email", "custom"] = "email"
    # For `custom`: the visitor attribute the answer is kept in (conditions can use it).
    attribute: AttributeName | None = None
    next: StepId | None = None


class HandoffStep(Strict):
    id: StepId
    type: Literal["handoff"]
    text: StepText = ""
    tags: Tags = Field(default_factory=list)


class EndStep(Strict):
    id: StepId
    type: Literal["end"]
    text: StepText = ""


Step = Annotated[MessageStep | OptionsStep | CollectStep | HandoffStep | EndStep,
                 Field(discriminator="type")]


def _unique_ids(steps: list) -> list:
    seen: set[str] = set()
    for i, step in enumerate(steps):
        if step.id in seen:
            raise rule_broken(_("step %(n)s repeats the id %(id)s; each step needs its own")
                              % {"n": i + 1, "id": repr(step.id)})
        seen.add(step.id)
    return steps


Steps = Annotated[list[Step], Field(max_length=MAX_STEPS), AfterValidator(_unique_ids)]


class AnswerIn(Strict):
    name: PlainName
    steps: Steps = Field(default_factory=list)


class AnswerPatch(Strict):
    name: PlainName = None  # type: ignore[assignment]
    steps: Steps | None = None


class BotIn(Strict):
    brand_id: IdField
    name: PlainName
    avatar_url: Avatar = ""
    greeting_answer_id: IdField | None = None


class BotPatch(Strict):
    """Fields left out stay as they are; `"greeting_answer_id": null` drops the greeting."""

    brand_id: IdField = None  # type: ignore[assignment]
    name: PlainName = None  # type: ignore[assignment]
    avatar_url: Avatar | None = None
    greeting_answer_id: IdField | None = None


class Problem(BaseModel):
    """Something that stops the bot from being published, in words an admin understands;
    `step` names the step it is about (when it is about one)."""

    answer_id: int | None = None
    answer_name: str = ""
    step: str | None = None
    code: str
    message: str


class AnswerSummary(BaseModel):
    id: int
    name: str
    steps: int


class BotOut(BaseModel):
    id: int
    brand_id: int
    name: str
    avatar_url: str
    status: Literal["draft", "published"]
    # The published version new conversations start on (None while a draft).
    version: int | None
    greeting_answer_id: int | None
    answers: list[AnswerSummary]
    channel_ids: list[int]
    problems: list[Problem]
    created_at: datetime
    updated_at: datetime


class AnswerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    bot_id: int
    name: str
    steps: list[dict]
    problems: list[Problem]
    created_at: datetime
    updated_at: datetime


# -- the widget's side: a run of an answer with a customer (docs/widget-protocol.md, Bots) ----


class RunStartIn(Strict):
    """Start the answer of a bot-response message (`delivery_id`) or the channel's greeting."""

    visitor_id: ClientId
    client_id: EventId
    delivery_id: IdField | None = None


class RunAnswerIn(Strict):
    """The customer's answer to the step that waits: a button (`option`) or a text (`value`)."""

    visitor_id: ClientId
    client_id: EventId
    step: StepId
    option: Annotated[int, Field(ge=0, le=MAX_OPTIONS - 1)] | None = None
    value: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class RunBot(BaseModel):
    name: str
    avatar_url: str


class RunLine(BaseModel):
    id: int
    author: Literal["bot", "customer"]
    body: str


class RunOption(BaseModel):
    index: int
    label: str


class Prompt(BaseModel):
    step: str
    type: Literal["options", "collect"]
    options: list[RunOption] | None = None
    field: Literal["name", "email", "custom"] | None = None


class RunOut(BaseModel):
    run_id: int
    status: Literal["running", "handed_off", "ended"]
    bot: RunBot
    messages: list[RunLine]
    prompt: Prompt | None
    conversation_id: int | None
