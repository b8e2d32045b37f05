"""Admin pages for the account: settings and users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from overture import i18n
from overture.accounts import service
from overture.accounts.models import ROLES
from overture.accounts.schemas import SettingsPatch, UserIn
from overture.deps import DB, PageAdmin, check_csrf, page_admin
from overture.i18n import gettext as _
from overture.kit.errors import DomainError
from overture.web.forms import PostedForm, domain_errors, parse
from overture.web.templating import flash, render

router = APIRouter(
    prefix="/admin", include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_admin)],
)

CHECKBOXES = ("agent_workspace_enabled", "messaging_enabled")


def _one(form: dict[str, Any], key: str) -> str:
    value = form.get(key, "")
    return value if isinstance(value, str) else (value[0] if value else "")


def _readable(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    labels = {
        "agent_workspace_enabled": _("Agent workspace"),
        "messaging_enabled": _("Messaging"),
        "visit_timeout_minutes": _("Visit timeout (minutes)"),
        "default_locale": _("Default language"),
        "email": _("Email"),
        "name": _("Name"),
        "role": _("Role"),
        "password": _("Password"),
    }
    return [{"field": labels.get(e["field"], e["field"]), "msg": e["msg"]} for e in errors]


def role_labels() -> dict[str, str]:
    return {"admin": _("Admin"), "agent": _("Agent")}


# ---- settings ---------------------------------------------------------------------------------


def _settings_form(db: Session) -> dict[str, Any]:
    row = service.get_settings_row(db)
    return {
        "agent_workspace_enabled": row.agent_workspace_enabled,
        "messaging_enabled": row.messaging_enabled,
        "visit_timeout_minutes": str(row.visit_timeout_minutes),
        "default_locale": row.default_locale,
    }


@router.get("/settings")
def settings_page(request: Request, db: DB, user: PageAdmin):
    return render(request, "admin/settings.html", form=_settings_form(db), errors=[],
                  locale_names=i18n.LOCALE_NAMES)


@router.post("/settings")
def save_settings(request: Request, db: DB, user: PageAdmin, form: PostedForm):
    # An unticked checkbox is not sent at all: absent means off.
    raw: dict[str, Any] = {name: name in form for name in CHECKBOXES}
    raw["visit_timeout_minutes"] = _one(form, "visit_timeout_minutes").strip()
    raw["default_locale"] = _one(form, "default_locale")
    data, errors = parse(SettingsPatch, raw)
    if data:
        try:
            service.update_settings(db, data)
        except DomainError as exc:
            errors = domain_errors(exc)
    if errors:
        return render(request, "admin/settings.html", status_code=422, form=raw,
                      errors=_readable(errors), locale_names=i18n.LOCALE_NAMES)
    flash(request, _("Settings saved."))
    return RedirectResponse("/admin/settings", status_code=303)


# ---- users ------------------------------------------------------------------------------------


def _users_page(request: Request, db: Session, form: dict[str, Any],
                errors: list[dict[str, str]] | None = None, status_code: int = 200):
    return render(request, "admin/users.html", status_code=status_code,
                  users=service.list_users(db), roles=role_labels(), form=form,
                  errors=errors or [])


@router.get("/users")
def users_page(request: Request, db: DB, user: PageAdmin):
    return _users_page(request, db, {"role": ROLES[1]})


@router.post("/users")
def create_user(request: Request, db: DB, user: PageAdmin, form: PostedForm):
    raw = {key: _one(form, key) for key in ("email", "name", "role", "password")}
    data, errors = parse(UserIn, raw)
    made = None
    if data:
        try:
            made = service.create_user(db, email=data.email, name=data.name,
                                       password=data.password, role=data.role)
        except DomainError as exc:
            errors = domain_errors(exc)
            if exc.code == "email_taken":
                errors = [{"field": "email", "msg": exc.message}]
    if errors or made is None:
        shown = {k: v for k, v in raw.items() if k != "password"}  # never echo a password
        return _users_page(request, db, shown, _readable(errors), 422)
    flash(request, _("User %(email)s created.") % {"email": made.email})
    return RedirectResponse("/admin/users", status_code=303)
