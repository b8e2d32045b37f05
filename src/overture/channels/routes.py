from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from overture.channels import service
from overture.channels.schemas import ChannelIn, ChannelOut, ChannelPatch, ChannelSecretOut
from overture.deps import DB, ApiAdmin
from overture.kit.ids import MAX_ID, IdPath

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


@router.get("", response_model=list[ChannelOut])
def list_channels(db: DB, user: ApiAdmin,
                  brand_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None):
    return service.list_channels(db, user, brand_id)


@router.post("", response_model=ChannelSecretOut, status_code=201)
def create_channel(data: ChannelIn, db: DB, user: ApiAdmin):
    return service.create_channel(db, data)


@router.get("/{channel_id}", response_model=ChannelOut)
def get_channel(channel_id: IdPath, db: DB, user: ApiAdmin):
    return service.access_channel(db, user, channel_id)


@router.patch("/{channel_id}", response_model=ChannelSecretOut)
def update_channel(channel_id: IdPath, data: ChannelPatch, db: DB, user: ApiAdmin):
    return service.update_channel(db, service.access_channel(db, user, channel_id), data)


@router.delete("/{channel_id}", status_code=204)
def delete_channel(channel_id: IdPath, db: DB, user: ApiAdmin):
    service.delete_channel(db, service.access_channel(db, user, channel_id))
    return Response(status_code=204)
