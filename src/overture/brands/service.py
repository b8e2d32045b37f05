from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.accounts.service import require_role
from overture.bots.models import Bot
from overture.brands.models import Brand, new_identity_secret
from overture.brands.schemas import BrandIn
from overture.channels.models import Channel
from overture.db import load
from overture.i18n import gettext as _
from overture.kit.errors import Conflict


def access_brand(db: Session, user: User, brand_id: int) -> Brand:
    """The one way to load a brand by id: brands are configuration, for admins only."""
    require_role(user, "admin")
    return load(db, Brand, brand_id, _("brand %(id)s not found") % {"id": brand_id})


def list_brands(db: Session, user: User) -> list[Brand]:
    require_role(user, "admin")
    return list(db.scalars(select(Brand).order_by(func.lower(Brand.name), Brand.id)))


def _check_unique(db: Session, name: str, exclude: int | None = None) -> None:
    q = select(Brand.id).where(func.lower(Brand.name) == name.lower())
    if exclude is not None:
        q = q.where(Brand.id != exclude)
    if db.scalar(q) is not None:
        raise Conflict(_("a brand named %(name)s already exists") % {"name": repr(name)},
                       code="name_taken")


def create_brand(db: Session, data: BrandIn) -> Brand:
    _check_unique(db, data.name)
    brand = Brand(name=data.name)
    db.add(brand)
    db.flush()
    return brand


def update_brand(db: Session, brand: Brand, data: BrandIn) -> Brand:
    _check_unique(db, data.name, exclude=brand.id)
    brand.name = data.name
    db.flush()
    return brand


def rotate_secret(db: Session, brand: Brand) -> Brand:
    """A new identity secret: tokens signed with the old one are refused from now on, by every
    channel that shares it; the customers they identified stay the brand's."""
    brand.identity_secret = new_identity_secret()
    db.flush()
    return brand


def sharing_channels(db: Session, brand: Brand) -> list[Channel]:
    """The brand's channels that use its identity secret (for its page)."""
    return list(db.scalars(select(Channel).where(
        Channel.brand_id == brand.id, Channel.identity_shared_with_brand.is_(True))
        .order_by(Channel.name, Channel.id)))


def delete_brand(db: Session, brand: Brand) -> None:
    holding = (
        (Channel, _("brand %(name)s still has %(n)s channel(s); delete or move them first")),
        (Bot, _("brand %(name)s still has %(n)s bot(s); delete them first")),
    )
    for model, refusal in holding:
        n = db.scalar(select(func.count(model.id)).where(model.brand_id == brand.id))
        if n:
            raise Conflict(refusal % {"name": repr(brand.name), "n": n}, code="brand_in_use")
    db.delete(brand)
    db.flush()


def channel_counts(db: Session) -> dict[int, int]:
    by_brand = select(Channel.brand_id, func.count()).group_by(Channel.brand_id)
    return {brand_id: n for brand_id, n in db.execute(by_brand).all()}
