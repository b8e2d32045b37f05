"""Ids as the API accepts them: positive and within the database's integer range, so an
absurd id is a clear 404/422 instead of an overflow deep in the driver."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_ID = 2**31 - 1  # PostgreSQL `integer`

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdField = Annotated[int, Field(ge=1, le=MAX_ID)]
AfterId = Annotated[int, Query(ge=0, le=MAX_ID, description="the last message id received")]
