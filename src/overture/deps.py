"""Request dependencies: the unit of work, who is calling, and CSRF."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from anyio import CancelScope
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from overture.accounts import sessions
from overture.accounts.models import User
from overture.accounts.service import require_role, user_for_token
from overture.kit.admission import admitted
from overture.kit.errors import DomainError, Forbidden, Unauthorized

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work. Opened once admitted (kit/admission.py), so no thread ever
    waits for a connection that a request waiting for a thread holds; committed (or rolled
    back) and closed in a thread before the response is sent, then the place is given back."""
    async with admitted(request.app) as gate:
        unit = request.app.state.db.unit_of_work()
        # Only a Session object: its connection is checked out by the first query, in a thread.
        session = unit.__enter__()
        try:
            yield session
        except BaseException as exc:
            with CancelScope(shield=True):
                handled = await gate.finish(unit.__exit__, type(exc), exc, exc.__traceback__)
            if not handled:
                raise
        else:
            with CancelScope(shield=True):
                await gate.finish(unit.__exit__, None, None, None)


# scope="function": commit before the response is sent, so nothing is acknowledged unstored.
DB = Annotated[Session, Depends(get_db, scope="function")]


@dataclass(frozen=True)
class Viewer:
    """What pages show of the signed-in user; safe to use after the session has closed."""

    id: int
    name: str
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _remember(request: Request, user: User) -> None:
    request.state.user = Viewer(user.id, user.name, user.email, user.role)


class LoginRequired(DomainError):
    """A page needs a signed-in user; rendered as a redirect to /login."""

    status = 401
    code = "login_required"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Every unsafe request made with the session cookie must carry the session's token."""
    if request.method not in UNSAFE:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return  # tokens are not sent by browsers on their own: no CSRF exposure
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    ctype = request.headers.get("content-type", "")
    if given is None and (
        ctype.startswith("application/x-www-form-urlencoded")
        or ctype.startswith("multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise Forbidden(
            "The form has expired or did not come from this site (CSRF check failed). "
            "Reload the page and try again.",
            code="csrf_failed",
        )


SESSION_KEY = "sid"  # in the signed cookie: the secret of the server-side session


def _user_from_request(request: Request, db: Session) -> tuple[User | None, str | None]:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = user_for_token(db, auth[7:].strip())
        if user is None:
            raise Unauthorized("invalid or revoked API token", code="bad_token")
        return user, "token"
    secret = request.session.get(SESSION_KEY)
    if not isinstance(secret, str):
        return None, None
    found = sessions.current(db, secret, request.app.state.settings.session_lifetime)
    if found is None:
        # Ended, expired or deactivated: forget it, and the CSRF token that went with it.
        request.session.clear()
        return None, None
    user, session = found
    request.state.session_id = session.id
    return user, "session"


def optional_user(request: Request, db: Session) -> User | None:
    """Whoever is signed in, if anyone (pages that anyone may use, like the language choice)."""
    return _user_from_request(request, db)[0]


def _signed_in(request: Request, db: Session, refusal: DomainError) -> User:
    user, _how = _user_from_request(request, db)
    if user is None:
        raise refusal
    _remember(request, user)
    return user


def api_user(request: Request, db: DB) -> User:
    return _signed_in(request, db, Unauthorized(
        "sign in or send an API token (Authorization: Bearer …)"))


def page_user(request: Request, db: DB) -> User:
    return _signed_in(request, db, LoginRequired("sign in to continue"))


def api_admin(user: Annotated[User, Depends(api_user)]) -> User:
    require_role(user, "admin")
    return user


def page_admin(user: Annotated[User, Depends(page_user)]) -> User:
    require_role(user, "admin")
    return user


ApiUser = Annotated[User, Depends(api_user)]
ApiAdmin = Annotated[User, Depends(api_admin)]
PageUser = Annotated[User, Depends(page_user)]
PageAdmin = Annotated[User, Depends(page_admin)]
