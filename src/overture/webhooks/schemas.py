from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from overture.kit.schemas import Strict
from overture.webhooks.models import EVENT_TYPES

EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Events = Annotated[list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES))]


class WebhookIn(Strict):
    url: Url
    description: Description = ""
    events: Events
    active: bool = True


class WebhookPatch(Strict):
    """Fields left out (or null) stay as they are."""

    url: Url | None = None
    description: Description | None = None
    events: Events | None = None
    active: bool | None = None


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    description: str
    events: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


class WebhookSecretOut(WebhookOut):
    """Given when the webhook is created and when its secret is rotated: the key that signs
    every delivery (`Overture-Signature`, docs/webhooks.md)."""

    secret: str


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    webhook_id: int
    event_id: str
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(
        description="when a pending delivery is tried next; null once finished")
    delivered_at: datetime | None
    response_status: int | None
    last_error: str | None
    payload: str = Field(description="the body sent, exactly as signed")
