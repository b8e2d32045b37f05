"""The account's HTML pages: sign-in and language choice, the admin home, settings and users."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from overture import i18n
from overture.accounts import service, sessions
from overture.accounts.models import ROLES, User
from overture.accounts.schemas import PasswordChange, SettingsPatch, TokenIn, UserIn, UserPatch
from overture.deps import (
    DB,
    SESSION_KEY,
    PageAdmin,
    PageUser,
    check_csrf,
    optional_user,
    page_admin,
    page_user,
)
from overture.i18n import gettext as _
from overture.i18n import ngettext
from overture.kit.ids import IdPath
from overture.kit.ratelimit import enforce_many
from overture.proactive import service as proactive
from overture.web.forms import PostedForm, attempt, labelled, one, parse, submit
from overture.web.templating import flash_to, render

# Sign-in and language: reachable without a session.
public = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
router = APIRouter(
    prefix="/admin", include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_admin)],
)
# Each signed-in user's own account: password, sessions, API tokens.
account = APIRouter(prefix="/account", include_in_schema=False,
                    dependencies=[Depends(check_csrf), Depends(page_user)])

CHECKBOXES = ("agent_workspace_enabled", "messaging_enabled")


def _readable(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    labels = {
        "agent_workspace_enabled": _("Agent workspace"),
        "messaging_enabled": _("Messaging"),
        "visit_timeout_minutes": _("Visit timeout (minutes)"),
        "default_locale": _("Default language"),
        "time_zone": _("Time zone"),
        "email": _("Email"),
        "name": _("Name"),
        "role": _("Role"),
        "password": _("Password"),
        "current_password": _("Current password"),
        "new_password": _("New password"),
    }
    return labelled(errors, labels)


def role_labels() -> dict[str, str]:
    return {"admin": _("Admin"), "agent": _("Agent")}


# ---- sign-in and language ----------------------------------------------------------------


def _safe_next(target: str | None, default: str) -> str:
    # Only local paths: never send a freshly signed-in user to another site.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@public.get("/login")
def login_page(request: Request, next: str | None = None):
    return render(request, "login.html", next=next or "")


@public.post("/login")
def login(
    request: Request,
    db: DB,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
):
    settings = request.app.state.settings
    ip = request.client.host if request.client else "unknown"
    # Per address, and per account: many addresses guessing one password are throttled too.
    account = email.strip().lower()
    enforce_many(request.app.state.limiter, [
        (f"login:{ip}", settings.login_attempts_per_minute, 60, "sign-in attempts"),
        (f"login:account:{account}", settings.login_attempts_per_minute, 60,
         "sign-in attempts for this account")])
    user = service.authenticate(db, email, password)
    if user is None:
        return render(request, "login.html", status_code=400, next=next, email=email,
                      error=_("Wrong email or password."))
    _sign_in(request, db, user)
    default = "/admin" if user.is_admin else "/agent"
    return RedirectResponse(_safe_next(next, default), status_code=303)


def _sign_in(request: Request, db: Session, user: User) -> None:
    """A new session, with a new secret and CSRF token: nothing chosen before signing in (a
    planted cookie, say) carries over, and the browser's previous session ends."""
    previous = request.session.get(SESSION_KEY)
    if isinstance(previous, str):
        sessions.end(db, previous)
    locale = request.session.get("locale")
    request.session.clear()
    secret = sessions.start(db, user, request.headers.get("user-agent"),
                            request.app.state.settings.session_lifetime)
    request.session.update(sid=secret, csrf=secrets.token_urlsafe(32))
    if user.locale or locale:
        request.session["locale"] = user.locale or locale


@public.post("/logout")
def logout(request: Request, db: DB):
    secret = request.session.get(SESSION_KEY)
    if isinstance(secret, str):
        sessions.end(db, secret)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@public.post("/locale")
def choose_locale(
    request: Request,
    db: DB,
    locale: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form(max_length=500)] = "",
):
    chosen = i18n.normalise(locale) or "en"
    request.session["locale"] = chosen
    user = optional_user(request, db)
    if user is not None:
        service.set_locale(db, user.id, chosen)
    return RedirectResponse(_safe_next(next, "/admin"), status_code=303)


# ---- home -------------------------------------------------------------------------------------


@router.get("")
def home(request: Request, db: DB, user: PageAdmin):
    return render(request, "admin/home.html", counts=service.overview_counts(db, user))


# ---- settings ---------------------------------------------------------------------------------


def _settings_form(db: Session, user: User) -> dict[str, Any]:
    row = service.access_settings(db, user)
    return {
        "agent_workspace_enabled": row.agent_workspace_enabled,
        "messaging_enabled": row.messaging_enabled,
        "visit_timeout_minutes": str(row.visit_timeout_minutes),
        "default_locale": row.default_locale,
        "time_zone": row.time_zone,
    }


def _settings_page(request: Request, form: dict[str, Any], *, status_code: int = 200,
                   errors: list[dict[str, str]] | None = None,
                   confirm: dict[str, Any] | None = None):
    common, others = service.time_zone_choices()
    return render(request, "admin/settings.html", status_code=status_code, form=form,
                  errors=errors or [], locale_names=i18n.LOCALE_NAMES, confirm=confirm,
                  common_zones=common, other_zones=others)


@router.get("/settings")
def settings_page(request: Request, db: DB, user: PageAdmin):
    return _settings_page(request, _settings_form(db, user))


# How many live messages the confirmation names, at most (then "and N more").
NAMED_AT_MOST = 100


@router.post("/settings")
def save_settings(request: Request, db: DB, user: PageAdmin, form: PostedForm):
    # An unticked checkbox is not sent at all: absent means off.
    raw: dict[str, Any] = {name: name in form for name in CHECKBOXES}
    raw["visit_timeout_minutes"] = one(form, "visit_timeout_minutes").strip()
    raw["default_locale"] = one(form, "default_locale")
    raw["time_zone"] = one(form, "time_zone").strip() or None  # left out: left as it is
    data, errors = parse(SettingsPatch, raw)
    if data is None:
        return _settings_page(request, raw, status_code=422, errors=_readable(errors))
    row = service.access_settings(db, user)
    switched_off = [name for name in CHECKBOXES if getattr(row, name) and not raw[name]]
    switched_on = [name for name in CHECKBOXES if not getattr(row, name) and raw[name]]
    # Switching a feature off stops every live message: said first, by name, and done only
    # once confirmed (the confirmation posts the same form again, with `confirm`).
    live = proactive.live_messages(db) if switched_off else []
    if live and one(form, "confirm") != "stop-live-messages":
        return _settings_page(request, raw, confirm={
            "off": switched_off, "live": live[:NAMED_AT_MOST],
            "more": max(0, len(live) - NAMED_AT_MOST), "count": len(live)})
    outcome = attempt(db, lambda: service.update_settings(db, data))
    if outcome.refused:
        return _settings_page(request, raw, status_code=outcome.status,
                              errors=_readable(outcome.errors))
    said = [_("Settings saved.")]
    if live:
        said.append(ngettext("%(count)s live message stopped; its status is now "
                             "“Contains errors”.",
                             "%(count)s live messages stopped; their status is now "
                             "“Contains errors”.", len(live)) % {"count": len(live)})
    if switched_on:
        ready = len(proactive.ready_to_publish_again(db))
        if ready:
            said.append(ngettext(
                "%(count)s message can be published again from the Proactive messages list.",
                "%(count)s messages can be published again from the Proactive messages list.",
                ready) % {"count": ready})
    return flash_to(request, " ".join(said), "/admin/settings")


# ---- users ------------------------------------------------------------------------------------


def _users_page(request: Request, db: Session, user: User, form: dict[str, Any],
                errors: list[dict[str, str]] | None = None, status_code: int = 200,
                action_errors: list[dict[str, str]] | None = None):
    return render(request, "admin/users.html", status_code=status_code,
                  users=service.list_users(db, user), roles=role_labels(), form=form,
                  errors=errors or [], action_errors=action_errors or [])


@router.get("/users")
def users_page(request: Request, db: DB, user: PageAdmin):
    return _users_page(request, db, user, {"role": ROLES[1]})


@router.post("/users")
def create_user(request: Request, db: DB, user: PageAdmin, form: PostedForm):
    raw = {key: one(form, key) for key in ("email", "name", "role", "password")}
    outcome = submit(db, UserIn, raw, lambda data: service.create_user(
        db, email=data.email, name=data.name, password=data.password, role=data.role))
    if outcome.refused or outcome.value is None:
        shown = {k: v for k, v in raw.items() if k != "password"}  # never echo a password
        return _users_page(request, db, user, shown, _readable(outcome.errors), 422)
    return flash_to(request, _("User %(email)s created.") % {"email": outcome.value.email},
                    "/admin/users")


def _user_form(request: Request, db: Session, user: User, target: User, *,
               form: dict[str, Any] | None = None, status_code: int = 200,
               errors: list[dict[str, str]] | None = None,
               password_errors: list[dict[str, str]] | None = None,
               action_errors: list[dict[str, str]] | None = None,
               generated_password: str | None = None):
    """One user's page: their details and role, a new password, signing out, (de)activation.
    `errors` belong to the details form, `password_errors` to the password form."""
    shown = form or {"email": target.email, "name": target.name, "role": target.role}
    response = render(request, "admin/user_form.html", status_code=status_code, target=target,
                      form=shown, roles=role_labels(), errors=errors or [],
                      password_errors=password_errors or [],
                      action_errors=action_errors or [], generated_password=generated_password)
    if generated_password:
        response.headers["Cache-Control"] = "no-store"  # shown once: never from a cache
    return response


@router.get("/users/{user_id}")
def edit_user(user_id: IdPath, request: Request, db: DB, user: PageAdmin):
    return _user_form(request, db, user, service.access_user(db, user, user_id))


@router.post("/users/{user_id}")
def update_user(user_id: IdPath, request: Request, db: DB, user: PageAdmin, form: PostedForm):
    target = service.access_user(db, user, user_id)
    raw = {key: one(form, key) for key in ("email", "name", "role") if key in form}
    # An address left as it is is not checked again (one stored before today's rules, say).
    changes = {k: v for k, v in raw.items()
               if not (k == "email" and v.strip().lower() == target.email)}
    outcome = submit(db, UserPatch, changes,
                     lambda data: service.update_user(db, user, target, data))
    if outcome.refused or outcome.value is None:
        shown = {"email": target.email, "name": target.name, "role": target.role, **raw}
        return _user_form(request, db, user, service.access_user(db, user, user_id), form=shown,
                          status_code=outcome.status, errors=_readable(outcome.errors))
    return flash_to(request, _("%(email)s is saved.") % {"email": outcome.value.email},
                    f"/admin/users/{user_id}")


@router.post("/users/{user_id}/password")
def reset_password(user_id: IdPath, request: Request, db: DB, user: PageAdmin,
                   form: PostedForm):
    """An admin sets a user's password: the one typed, or one made up and shown this once.
    The user's sessions end. One's own is changed on the account page, with the current one."""
    target = service.access_user(db, user, user_id)
    if target.id == user.id:
        refusal = [{"field": "", "msg": _("Change your own password on your account page, "
                                          "where you confirm the current one.")}]
        return _user_form(request, db, user, target, status_code=409,
                          password_errors=refusal)
    generate = one(form, "generate") == "1"
    password = service.generate_password() if generate else one(form, "password")
    outcome = submit(db, UserPatch, {"password": password},
                     lambda data: service.update_user(db, user, target, data))
    if outcome.refused or outcome.value is None:
        return _user_form(request, db, user, service.access_user(db, user, user_id),
                          status_code=outcome.status,
                          password_errors=_readable(outcome.errors))
    if generate:
        return _user_form(request, db, user, outcome.value, generated_password=password)
    return flash_to(request, _("%(email)s has a new password: their sessions ended. Give it "
                               "to them.") % {"email": outcome.value.email},
                    f"/admin/users/{user_id}")


def _back(form: dict[str, Any], user_id: int) -> str:
    """Back to the page the action was taken on: the user's own page or the list."""
    own = f"/admin/users/{user_id}"
    return own if one(form, "back") == own else "/admin/users"


def _user_action(request: Request, db: Session, user: User, user_id: int, patch: UserPatch,
                 done: str, back: str):
    outcome = attempt(db, lambda: service.update_user(
        db, user, service.access_user(db, user, user_id), patch))
    if outcome.refused or outcome.value is None:
        if back != "/admin/users":
            return _user_form(request, db, user, service.access_user(db, user, user_id),
                              status_code=outcome.status, action_errors=outcome.errors)
        return _users_page(request, db, user, {"role": ROLES[1]}, status_code=outcome.status,
                           action_errors=outcome.errors)
    return flash_to(request, done % {"email": outcome.value.email}, back)


@router.post("/users/{user_id}/deactivate")
def deactivate_user(user_id: IdPath, request: Request, db: DB, user: PageAdmin,
                    form: PostedForm):
    return _user_action(request, db, user, user_id, UserPatch(is_active=False), _(
        "%(email)s is deactivated: their sessions ended and their API tokens are revoked."),
        _back(form, user_id))


@router.post("/users/{user_id}/activate")
def activate_user(user_id: IdPath, request: Request, db: DB, user: PageAdmin,
                  form: PostedForm):
    return _user_action(request, db, user, user_id, UserPatch(is_active=True),
                        _("%(email)s can sign in again."), _back(form, user_id))


@router.post("/users/{user_id}/sign-out")
def sign_out_user(user_id: IdPath, request: Request, db: DB, user: PageAdmin,
                  form: PostedForm):
    target = service.access_user(db, user, user_id)
    ended = sessions.end_all(db, target.id)
    return flash_to(request, _("%(email)s is signed out everywhere (%(count)s sessions ended).")
                    % {"email": target.email, "count": ended}, _back(form, user_id))


# ---- one's own account -----------------------------------------------------------------------


def _account_page(request: Request, db: Session, user: User, *, status_code: int = 200,
                  errors: list[dict[str, str]] | None = None, new_token: str | None = None):
    lifetime = request.app.state.settings.session_lifetime
    zone = service.get_settings_row(db).time_zone
    return render(request, "account.html", status_code=status_code,
                  sessions=sessions.list_for(db, user, lifetime),
                  current_session=getattr(request.state, "session_id", None),
                  tokens=service.list_tokens(db, user), errors=errors or [],
                  new_token=new_token,
                  when=lambda moment: service.local_time(moment, zone))  # the account's zone


@account.get("")
def account_page(request: Request, db: DB, user: PageUser):
    return _account_page(request, db, user)


@account.post("/password")
def change_password(request: Request, db: DB, user: PageUser, form: PostedForm):
    raw = {key: one(form, key) for key in ("current_password", "new_password")}
    keep = getattr(request.state, "session_id", None)
    outcome = submit(db, PasswordChange, raw, lambda data: service.change_password(
        db, user, data.current_password, data.new_password, keep_session=keep))
    if outcome.refused:
        return _account_page(request, db, user, status_code=outcome.status,
                             errors=_readable(outcome.errors))
    return flash_to(request, _("Password changed. Every other session is signed out."),
                    "/account")


@account.post("/sign-out-everywhere")
def sign_out_everywhere(request: Request, db: DB, user: PageUser):
    sessions.end_all(db, user.id)
    request.session.clear()
    return flash_to(request, _("You are signed out everywhere, here too."), "/login")


@account.post("/tokens")
def create_token(request: Request, db: DB, user: PageUser, form: PostedForm):
    outcome = submit(db, TokenIn, {"name": one(form, "name")},
                     lambda data: service.create_token(db, user, data.name))
    if outcome.refused or outcome.value is None:
        return _account_page(request, db, user, status_code=outcome.status,
                             errors=_readable(outcome.errors))
    _token, secret = outcome.value
    response = _account_page(request, db, user, new_token=secret)
    response.headers["Cache-Control"] = "no-store"  # shown once: never from a cache
    return response


@account.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: IdPath, request: Request, db: DB, user: PageUser):
    token = service.revoke_token(db, service.access_token(db, user, token_id))
    return flash_to(request, _("Token “%(name)s” is revoked: it no longer works anywhere.")
                    % {"name": token.name}, "/account")
