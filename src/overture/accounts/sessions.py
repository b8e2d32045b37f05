"""Signed-in browsers, kept on the server so that they can end: at sign-out, after a password
change or a deactivation, or when someone asks to be signed out everywhere.

The cookie carries a random secret; the table stores its SHA-256, so a copy of the table (or of
a log) signs no one in. Every request looks the row up, so an ended session is refused at once
by every process; open sockets are told through the hub (`SIGNED_OUT_TOPIC`). Services flush;
the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from overture.accounts.models import User, UserSession
from overture.config import Lifetime
from overture.db import publish_after_commit
from overture.kit.clock import utcnow
from overture.kit.passwords import hash_token, new_token

SIGNED_OUT_TOPIC = "accounts.signed-out"
# A minute's precision is plenty for an idle timeout counted in hours: no write per request.
TOUCH_EVERY = timedelta(seconds=60)


def _alive(last_seen: datetime, created: datetime, lifetime: Lifetime, now: datetime) -> bool:
    return now - last_seen <= lifetime.idle and now - created <= lifetime.absolute


def start(db: Session, user: User, user_agent: str | None, lifetime: Lifetime) -> str:
    """A new session for `user`; returns the secret for the cookie (stored only hashed).
    Sessions of anyone that expired unseen (a browser closed for good) are cleared away."""
    secret = new_token()
    now = utcnow()
    db.execute(delete(UserSession).where(or_(UserSession.last_seen_at < now - lifetime.idle,
                                             UserSession.created_at < now - lifetime.absolute)))
    db.add(UserSession(id=hash_token(secret), user_id=user.id, created_at=now,
                       last_seen_at=now, user_agent=(user_agent or "")[:200] or None))
    db.flush()
    return secret


def current(db: Session, secret: str, lifetime: Lifetime) -> tuple[User, UserSession] | None:
    """The active user behind a session secret, or None when the session has ended, expired
    (idle or absolute) or its user was deactivated. An expired row is removed on the way."""
    row = db.execute(
        select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.id == hash_token(secret))
    ).first()
    if row is None:
        return None
    user, session = row
    now = utcnow()
    if not _alive(session.last_seen_at, session.created_at, lifetime, now):
        db.delete(session)
        db.flush()
        return None
    if not user.is_active:
        return None
    if now - session.last_seen_at > TOUCH_EVERY:
        session.last_seen_at = now
    return user, session


def still_valid(db: Session, session_id: str, lifetime: Lifetime) -> bool:
    """For open sockets: is the session (by its stored id) still there and its user active?"""
    row = db.execute(
        select(User.is_active, UserSession.last_seen_at, UserSession.created_at)
        .join(UserSession, UserSession.user_id == User.id).where(UserSession.id == session_id)
    ).first()
    if row is None or not row.is_active:
        return False
    return _alive(row.last_seen_at, row.created_at, lifetime, utcnow())


def end(db: Session, secret: str) -> None:
    """Sign-out: this browser's session ends everywhere."""
    session_id = hash_token(secret)
    row = db.get(UserSession, session_id)
    if row is not None:
        end_all(db, row.user_id, only=session_id)


def end_all(db: Session, user_id: int, *, keep: str | None = None,
            only: str | None = None) -> int:
    """End the user's sessions (all of them, all but `keep`, or just `only`); returns how many.
    Open sockets of those sessions close once the change is committed."""
    query = select(UserSession.id).where(UserSession.user_id == user_id)
    if keep is not None:
        query = query.where(UserSession.id != keep)
    if only is not None:
        query = query.where(UserSession.id == only)
    ended = list(db.scalars(query))
    if ended:
        db.execute(delete(UserSession).where(UserSession.id.in_(ended)))
        db.flush()
    # Sent even when no row was ended: a socket may be open on a session that just expired.
    publish_after_commit(db, SIGNED_OUT_TOPIC, {"user_id": user_id, "sessions": ended})
    return len(ended)


def list_for(db: Session, user: User, lifetime: Lifetime) -> list[UserSession]:
    """The user's sessions that are still alive, most recently used first."""
    now = utcnow()
    rows = db.scalars(select(UserSession).where(UserSession.user_id == user.id)
                      .order_by(UserSession.last_seen_at.desc()))
    return [s for s in rows if _alive(s.last_seen_at, s.created_at, lifetime, now)]
