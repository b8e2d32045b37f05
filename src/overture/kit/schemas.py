"""The base of every body the API and the widget accept."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown fields are refused (422 naming them), never silently dropped: a misspelt field
    must not look saved."""

    model_config = ConfigDict(extra="forbid")
