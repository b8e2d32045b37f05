"""Users, API tokens and account settings. Services flush; the caller commits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_datetime
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from overture.accounts import sessions
from overture.accounts.models import ROLES, AccountSettings, ApiToken, User
from overture.accounts.schemas import SettingsPatch, UserPatch
from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.db import load
from overture.i18n import current_locale
from overture.i18n import gettext as _
from overture.kit.clock import utcnow
from overture.kit.errors import Conflict, Forbidden, Invalid, NotFound
from overture.kit.passwords import hash_password, hash_token, new_token, verify_password
from overture.kit.signals import settings_changed
from overture.schedules.models import Schedule


def require_role(user: User, *roles: str) -> None:
    """The role check every `access_*` loader and list query starts with."""
    if user.role not in roles:
        refusal = (_("this is for admins") if roles == ("admin",)
                   else _("this is for admins and agents"))
        raise Forbidden(refusal, code="forbidden")


def get_settings_row(db: Session) -> AccountSettings:
    row = db.get(AccountSettings, 1)
    if row is None:
        row = AccountSettings(id=1)
        db.add(row)
        db.flush()
    return row


def access_settings(db: Session, user: User) -> AccountSettings:
    """The account settings as the API and the settings page show them: for admins only."""
    require_role(user, "admin")
    return get_settings_row(db)


def update_settings(db: Session, data: SettingsPatch) -> AccountSettings:
    """Apply the fields given (None leaves a field as it is); the API and the page share this."""
    row = get_settings_row(db)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(row, field, value)
    db.flush()
    settings_changed.send(db, row)
    return row


# -- the account's time zone ------------------------------------------------------------------

# Offered first on the settings page: where most teams are, from west to east.
COMMON_TIME_ZONES = (
    "UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "America/Mexico_City", "America/Bogota", "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires", "Europe/London", "Europe/Lisbon", "Europe/Madrid",
    "Europe/Paris", "Europe/Berlin", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata",
    "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney",
)


@cache
def time_zone_choices() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The zones the settings page offers: the common ones first, then every other IANA zone
    this server knows, A→Z."""
    known = available_timezones()
    common = tuple(z for z in COMMON_TIME_ZONES if z in known)
    return common, tuple(sorted(known - set(common)))


def zone_of(name: str | None) -> ZoneInfo:
    """The zone by its IANA name; UTC for one this server does not know (a row edited by hand,
    a zone dropped from the system's database)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def utc_offset(offset: timedelta | None) -> str:
    """"UTC", "UTC-3", "UTC+5:30"."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    if not minutes:
        return "UTC"
    sign, minutes = ("-", -minutes) if minutes < 0 else ("+", minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


@dataclass(frozen=True)
class LocalTime:
    """A moment as the admin pages show it: in the account's zone, with the zone named."""

    iso: str        # the moment itself (UTC), for <time datetime>
    text: str       # "29 Nov 2026, 14:05" (in the page's language)
    zone: str       # "BRT", "EST", "UTC-3": the zone's abbreviation, or its offset
    zone_name: str  # "America/Sao_Paulo"

    def __str__(self) -> str:
        return f"{self.text} {self.zone}"


def local_time(moment: datetime, zone_name: str | None) -> LocalTime:
    zone = zone_of(zone_name)
    local = moment.astimezone(zone)
    abbreviation = local.tzname() or ""
    shown = abbreviation if abbreviation.isalpha() else utc_offset(local.utcoffset())
    return LocalTime(moment.isoformat(),
                     format_datetime(local, "d MMM y, HH:mm", locale=current_locale.get()),
                     shown, zone.key)


def user_by_email(db: Session, email: str) -> User | None:
    """The user with this email, whatever its case."""
    return db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(db: Session, email: str, password: str) -> User | None:
    user = db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    return user


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < 10:
        raise Invalid(field, _("password must have at least 10 characters"))


def _check_email_free(db: Session, email: str, *, other_than: int | None = None) -> None:
    query = select(User.id).where(func.lower(User.email) == email)
    if other_than is not None:
        query = query.where(User.id != other_than)
    if db.scalar(query):
        taken = _("a user with email %(email)s already exists") % {"email": email}
        raise Conflict(taken, code="email_taken", details=[{"loc": ["email"], "msg": taken}])


def create_user(db: Session, *, email: str, name: str, password: str, role: str) -> User:
    if role not in ROLES:
        raise Invalid("role", _("role must be one of: %(roles)s") % {"roles": ", ".join(ROLES)})
    _check_password(password)
    email = email.strip().lower()
    _check_email_free(db, email)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), role=role)
    db.add(user)
    db.flush()
    return user


def access_user(db: Session, user: User, user_id: int) -> User:
    """Another user's account, as the users page and API show it: for admins only."""
    require_role(user, "admin")
    return load(db, User, user_id, _("no user with id %(id)s") % {"id": user_id},
                for_update=True)


def update_user(db: Session, actor: User, target: User, data: UserPatch) -> User:
    """An admin edits a user: email, name, role, active or not, a new password. Deactivating
    or resetting the password ends the user's sessions at once; deactivating also revokes their
    API tokens, so that turning the account back on does not bring old tokens back. A role
    taken away counts from the next request: every request loads the user's role afresh."""
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    # An admin cannot shut themselves out: the one making the change stays an active admin, so
    # there is always an active admin to undo things.
    if target.id == actor.id and (("role" in changes and changes["role"] != target.role)
                                  or changes.get("is_active") is False):
        raise Conflict(_("you cannot deactivate your own account or change your own role; "
                         "ask another admin"), code="own_account")
    if "email" in changes:
        email = changes["email"].strip().lower()
        _check_email_free(db, email, other_than=target.id)
        target.email = email
    if "name" in changes:
        target.name = changes["name"].strip()
    if "role" in changes:
        target.role = changes["role"]
    if "password" in changes:
        set_password(db, target, changes["password"])
    if "is_active" in changes and changes["is_active"] != target.is_active:
        target.is_active = changes["is_active"]
        if not target.is_active:
            sessions.end_all(db, target.id)
            revoke_tokens_of(db, target.id)
    db.flush()
    return target


def generate_password() -> str:
    """A password an admin hands to someone: 20 letters and digits in groups of five, none
    that reads like another (no 0/O, 1/l/I, 8/B), over 100 bits of chance."""
    alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
    chars = "".join(secrets.choice(alphabet) for _n in range(20))
    return "-".join(chars[i:i + 5] for i in range(0, 20, 5))


def set_password(db: Session, user: User, password: str) -> None:
    """A new password set for the user (by an admin or the operator): every session ends."""
    _check_password(password)
    user.password_hash = hash_password(password)
    sessions.end_all(db, user.id)
    db.flush()


def change_password(db: Session, user: User, current_password: str, new_password: str,
                    keep_session: str | None) -> None:
    """The user changes their own password: every other session ends; `keep_session` (the
    browser they did it from) stays signed in."""
    if not verify_password(user.password_hash, current_password):
        raise Invalid("current_password", _("the current password is not right"),
                      code="wrong_password")
    _check_password(new_password, "new_password")
    if verify_password(user.password_hash, new_password):
        raise Invalid("new_password", _("the new password is the same as the current one"))
    user.password_hash = hash_password(new_password)
    sessions.end_all(db, user.id, keep=keep_session)
    db.flush()


def create_token(db: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the stored token and its secret, which is shown once and never again."""
    secret = new_token()
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret))
    db.add(token)
    db.flush()
    return token, secret


def user_for_token(db: Session, secret: str) -> User | None:
    """The active user a token vouches for; None when it is unknown or revoked."""
    row = db.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    token, user = row
    if not user.is_active:
        return None
    now = utcnow()
    # Avoid a write on every call: a minute's precision is plenty for "last used".
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
    return user


def list_tokens(db: Session, user: User) -> list[ApiToken]:
    """The user's own tokens, newest first, revoked ones included (they say when)."""
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                           .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def access_token(db: Session, user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; another user's is as unknown as a missing one."""
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("no API token with id %(id)s") % {"id": token_id})
    return token


def revoke_token(db: Session, token: ApiToken) -> ApiToken:
    """From now on the token vouches for no one, on every process (each call looks it up)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.flush()
    return token


def revoke_tokens_of(db: Session, user_id: int) -> None:
    db.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
               .values(revoked_at=utcnow()))


def list_users(db: Session, user: User) -> list[User]:
    require_role(user, "admin")
    return list(db.scalars(select(User).order_by(User.name, User.id)))


def overview_counts(db: Session, user: User) -> dict[str, int]:
    """What the admin home shows: how many brands, channels and schedules exist."""
    require_role(user, "admin")
    return {name: db.scalar(select(func.count()).select_from(model)) or 0
            for name, model in (("brands", Brand), ("channels", Channel),
                                ("schedules", Schedule))}


def set_locale(db: Session, user_id: int, locale: str) -> None:
    """Remember a signed-in user's language choice (for their next sign-in)."""
    user = db.get(User, user_id)
    if user is not None:
        user.locale = locale
        db.flush()
