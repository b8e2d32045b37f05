from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from overture.kit.schemas import Strict
from overture.kit.text import PlainName


class BrandIn(Strict):
    name: PlainName


class BrandOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime
    updated_at: datetime
