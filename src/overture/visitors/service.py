"""Visitors, visits and page views; identity tokens (JWT) and the merge of anonymous history."""

from __future__ import annotations

from datetime import datetime

import jwt
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.kit import hotsql
from overture.kit.clock import utcnow
from overture.kit.errors import Invalid, Unauthorized
from overture.kit.schemas import control_message, has_control_characters
from overture.visitors.models import PageView, Visit, Visitor

MAX_MERGE_HOPS = 5

DAY = 24 * 3600
_EMAIL = TypeAdapter(EmailStr)


def resolve_visitor(db: Session, anon_id: str, *, create: bool = True) -> Visitor | None:
    """The customer behind a browser's id, following merges; created on first sight."""
    visitor = db.scalar(select(Visitor).where(Visitor.anon_id == anon_id))
    if visitor is None:
        if not create:
            return None
        visitor = Visitor(anon_id=anon_id, attributes={})
        db.add(visitor)
        db.flush()
        return visitor
    for _ in range(MAX_MERGE_HOPS):
        if visitor.merged_into_id is None:
            break
        target = db.get(Visitor, visitor.merged_into_id)
        if target is None:
            break
        visitor = target
    return visitor


def verify_identity(secret: str, token: str, max_lifetime: int = DAY) -> dict:
    """Verify an identity token signed with `secret` (HS256; exp required, and at most
    `max_lifetime` seconds ahead: a leaked token must not vouch for long)."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"require": ["exp", "external_id"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the identity token has expired", code="bad_token") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"the identity token is not valid: {exc}", code="bad_token") from None
    external_id = claims.get("external_id")
    if not isinstance(external_id, str) or not 1 <= len(external_id) <= 200:
        raise Unauthorized("external_id must be text of 1 to 200 characters", code="bad_token")
    if claims["exp"] - utcnow().timestamp() > max_lifetime:
        raise Unauthorized(f"the identity token's exp is more than {max_lifetime // 3600} hours "
                           "ahead; sign tokens that expire sooner", code="bad_token")
    for claim in ("external_id", "name", "email"):
        # Claims are stored and shown like form input: the same refusal for the same bytes.
        if has_control_characters(claims.get(claim)):
            raise Invalid(("token", claim), control_message(), code="bad_claim")
    if claims.get("email"):
        try:
            _EMAIL.validate_python(claims["email"])
        except ValidationError:
            raise Invalid(("token", "email"), "the email claim is not an email address",
                          code="bad_claim") from None
    return claims


def brand_scope(brand_id: int) -> str:
    return f"brand:{brand_id}"


def identity_source(db: Session, channel: Channel) -> tuple[str, str]:
    """The secret that vouches for the channel's customers now, and the scope it gives them:
    the channel's own, or — when the channel chose to share it — its brand's, whose customers
    are one across the brand's channels that share it. A channel that changes its choice
    changes only what new tokens mean: customers already identified keep their scope."""
    if channel.identity_shared_with_brand:
        brand = db.get(Brand, channel.brand_id)
        if brand is not None:
            return brand.identity_secret, brand_scope(brand.id)
    return channel.jwt_secret, f"channel:{channel.id}"


def shares_customers(channel: Channel, customer: Visitor) -> bool:
    """Whether `customer` is one of the customers `channel` shares with its brand's other
    sharing channels (so their conversations there are theirs here too)."""
    return (channel.identity_shared_with_brand
            and customer.identity_scope == brand_scope(channel.brand_id))


def identify(db: Session, channel: Channel, anon_id: str, token: str,
             max_lifetime: int = DAY) -> Visitor:
    """Make this browser mean the customer named by the token, on every device.

    An anonymous visitor's history (visits, page views, deliveries, reach) moves to the
    customer; the anonymous row stays as a pointer (`merged_into_id`) so the browser's id keeps
    resolving to the customer.
    """
    from overture.conversations.models import Conversation
    from overture.proactive.models import Delivery, Reach

    secret, scope = identity_source(db, channel)
    claims = verify_identity(secret, token, max_lifetime)
    external_id = claims["external_id"]
    browser = db.scalar(select(Visitor).where(Visitor.anon_id == anon_id))
    if browser is None:
        browser = Visitor(anon_id=anon_id, attributes={})
        db.add(browser)
        db.flush()
    current = resolve_visitor(db, anon_id)
    assert current is not None
    customer = db.scalar(select(Visitor).where(Visitor.identity_scope == scope,
                                               Visitor.external_id == external_id))
    if customer is None:
        if current.external_id is None:
            current.identity_scope, current.external_id = scope, external_id
            customer = current
        else:  # another customer (or this one, vouched for by another secret) on this browser
            customer = Visitor(identity_scope=scope, external_id=external_id, attributes={})
            db.add(customer)
            db.flush()
            _repoint(db, browser, customer)
    elif customer.id != current.id:
        if current.external_id is None:
            for model in (Visit, PageView, Delivery, Conversation):
                db.execute(update(model).where(model.visitor_id == current.id)
                           .values(visitor_id=customer.id)
                           .execution_options(synchronize_session=False))
            _merge_reach(db, Reach, current, customer)
            customer.visit_count = (customer.visit_count or 0) + (current.visit_count or 0)
            customer.attributes = {**(current.attributes or {}), **(customer.attributes or {})}
            customer.language = customer.language or current.language
            current.merged_into_id = customer.id
        else:
            _repoint(db, browser, customer)
    if isinstance(claims.get("name"), str):
        customer.name = claims["name"][:200]
    if isinstance(claims.get("email"), str):
        customer.email = claims["email"][:254]
    customer.last_seen = utcnow()
    db.flush()
    return customer


def _repoint(db: Session, browser: Visitor, customer: Visitor) -> None:
    if browser.external_id is None:
        browser.merged_into_id = customer.id
        return
    # The browser's row is itself a customer: move the browser id to a pointer row.
    anon_id = browser.anon_id
    browser.anon_id = None
    db.flush()
    db.add(Visitor(anon_id=anon_id, merged_into_id=customer.id, attributes={}))
    db.flush()


def _merge_reach(db: Session, reach, old: Visitor, new: Visitor) -> None:
    """Keep one reach row per (message, customer), with the earliest moments of the two.

    Sent / Opened / Replied count customers (SPEC §6): a moment both rows have was counted
    twice, once for each browser; it is taken back from the day of the later one."""
    from overture.proactive import stats

    existing = {r.message_id: r for r in db.scalars(select(reach).where(
        reach.visitor_id == new.id))}
    twice: list[tuple[int, datetime, str]] = []
    for row in list(db.scalars(select(reach).where(reach.visitor_id == old.id))):
        keep = existing.get(row.message_id)
        if keep is None:
            row.visitor_id = new.id
            continue
        for kind in ("sent", "opened", "replied"):
            ours, theirs = getattr(keep, f"{kind}_at"), getattr(row, f"{kind}_at")
            if ours is not None and theirs is not None:
                twice.append((row.message_id, max(ours, theirs), kind))
            setattr(keep, f"{kind}_at", min((t for t in (ours, theirs) if t is not None),
                                            default=None))
        db.delete(row)
    db.flush()
    for message_id, when, kind in twice:
        hotsql.drive(db.connection(), stats._bump(
            None, stats.session_shard(), message_id, when, {kind: -1}))


def device_from_user_agent(ua: str) -> str:
    ua = ua.lower()
    if "ipad" in ua or "tablet" in ua or ("android" in ua and "mobile" not in ua):
        return "tablet"
    if "mobi" in ua or "iphone" in ua or "android" in ua:
        return "mobile"
    return "desktop"
