from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.accounts.service import require_role
from overture.bots.models import Bot
from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.channels.schemas import ChannelIn, ChannelPatch
from overture.db import load, remove
from overture.i18n import gettext as _
from overture.kit.errors import Invalid
from overture.kit.passwords import new_key
from overture.kit.signals import channel_changed, channel_deleted
from overture.schedules.models import Schedule


def access_channel(db: Session, user: User, channel_id: int) -> Channel:
    """The one way to load a channel by id: channels are configuration, for admins only."""
    require_role(user, "admin")
    return load(db, Channel, channel_id, _("channel %(id)s not found") % {"id": channel_id})


def list_channels(db: Session, user: User, brand_id: int | None = None) -> list[Channel]:
    require_role(user, "admin")
    q = select(Channel).order_by(Channel.brand_id, Channel.name, Channel.id)
    if brand_id is not None:
        q = q.where(Channel.brand_id == brand_id)
    return list(db.scalars(q))


def channel_by_key(db: Session, key: str) -> Channel | None:
    return db.scalar(select(Channel).where(Channel.key == key))


def _check_bot(db: Session, brand_id: int, bot_id: int | None) -> None:
    """A channel's bot is one of its brand's bots."""
    if bot_id is None:
        return
    bot = db.get(Bot, bot_id)
    if bot is None:
        raise Invalid("bot_id", _("bot %(id)s does not exist") % {"id": bot_id},
                      code="unknown_reference")
    if bot.brand_id != brand_id:
        raise Invalid("bot_id", _("the bot “%(bot)s” belongs to another brand; connect one of "
                                  "the channel's brand") % {"bot": bot.name},
                      code="other_brand")


def _check_refs(db: Session, brand_id: int | None, schedule_id: int | None) -> None:
    if brand_id is not None and db.get(Brand, brand_id) is None:
        raise Invalid("brand_id", _("brand %(id)s does not exist") % {"id": brand_id},
                      code="unknown_reference")
    if schedule_id is not None and db.get(Schedule, schedule_id) is None:
        raise Invalid("schedule_id", _("schedule %(id)s does not exist") % {"id": schedule_id},
                      code="unknown_reference")


def create_channel(db: Session, data: ChannelIn) -> Channel:
    _check_refs(db, data.brand_id, data.schedule_id)
    _check_bot(db, data.brand_id, data.bot_id)
    fields = data.model_dump(exclude={"translations"})
    channel = Channel(**fields, translations=data.translations.as_stored(), key=new_key(),
                      jwt_secret=secrets.token_urlsafe(32))
    db.add(channel)
    db.flush()
    return channel


def update_channel(db: Session, channel: Channel, data: ChannelPatch) -> Channel:
    changes = data.model_dump(exclude_unset=True)
    if data.translations is not None:
        changes["translations"] = data.translations.as_stored()
    if "brand_id" in changes and changes["brand_id"] is None:
        raise Invalid("brand_id", _("a channel must belong to a brand"))
    if "name" in changes and changes["name"] is None:
        raise Invalid("name", _("name is required"))
    _check_refs(db, changes.get("brand_id"), changes.get("schedule_id"))
    if "bot_id" in changes or "brand_id" in changes:
        _check_bot(db, changes.get("brand_id") or channel.brand_id,
                   changes.get("bot_id", channel.bot_id))
    for field, value in changes.items():
        if value is None and field not in ("schedule_id", "bot_id"):
            continue
        setattr(channel, field, value)
    db.flush()
    channel_changed.send(db, channel)
    return channel


def delete_channel(db: Session, channel: Channel) -> None:
    channel_deleted.send(db, remove(db, channel))


def rotate_secret(db: Session, channel: Channel) -> Channel:
    channel.jwt_secret = secrets.token_urlsafe(32)
    db.flush()
    return channel


def channels_using_schedule(db: Session, schedule_id: int) -> list[Channel]:
    """Channels whose business hours come from this schedule (for the delete warning)."""
    q = select(Channel).where(Channel.schedule_id == schedule_id).order_by(Channel.name, Channel.id)
    return list(db.scalars(q))
