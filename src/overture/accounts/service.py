"""Users, API tokens and account settings. Services flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from overture.accounts.models import ROLES, AccountSettings, ApiToken, User
from overture.accounts.schemas import SettingsPatch
from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.i18n import gettext as _
from overture.kit.clock import utcnow
from overture.kit.errors import Conflict, Forbidden, Invalid
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


def user_by_email(db: Session, email: str) -> User | None:
    """The user with this email, whatever its case."""
    return db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(db: Session, email: str, password: str) -> User | None:
    user = db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    return user


def create_user(db: Session, *, email: str, name: str, password: str, role: str) -> User:
    if role not in ROLES:
        raise Invalid("role", _("role must be one of: %(roles)s") % {"roles": ", ".join(ROLES)})
    if len(password) < 10:
        raise Invalid("password", _("password must have at least 10 characters"))
    email = email.strip().lower()
    if db.scalar(select(User.id).where(func.lower(User.email) == email)):
        taken = _("a user with email %(email)s already exists") % {"email": email}
        raise Conflict(taken, code="email_taken", details=[{"loc": ["email"], "msg": taken}])
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), role=role)
    db.add(user)
    db.flush()
    return user


def create_token(db: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the stored token and its secret, which is shown once and never again."""
    secret = new_token()
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret))
    db.add(token)
    db.flush()
    return token, secret


def user_for_token(db: Session, secret: str) -> User | None:
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None:
        return None
    user = db.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    # Avoid a write on every call: a minute's precision is plenty for "last used".
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
    return user


def signed_in_user(db: Session, user_id: int) -> User | None:
    """The user a signed session names, while they may still sign in."""
    user = db.get(User, user_id)
    return user if user is not None and user.is_active else None


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
