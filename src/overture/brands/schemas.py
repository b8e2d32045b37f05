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


class BrandSecretOut(BrandOut):
    """Admins also see the secret that signs identity tokens for the brand's channels that
    share it (`identity_shared_with_brand`)."""

    identity_secret: str
