"""Sign-in pages, language choice, settings and users API."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from overture import i18n
from overture.accounts import service
from overture.accounts.schemas import SettingsOut, SettingsPatch, UserIn, UserOut
from overture.deps import DB, ApiAdmin, ApiUser, check_csrf
from overture.i18n import gettext as _
from overture.kit.ratelimit import enforce
from overture.web.templating import render

pages = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["account"])


def _safe_next(target: str | None, default: str) -> str:
    # Only local paths: never send a freshly signed-in user to another site.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@pages.get("/login")
def login_page(request: Request, next: str | None = None):
    return render(request, "login.html", next=next or "")


@pages.post("/login")
def login(
    request: Request,
    db: DB,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
):
    settings = request.app.state.settings
    ip = request.client.host if request.client else "unknown"
    enforce(request.app.state.limiter, f"login:{ip}", settings.login_attempts_per_minute, 60,
            "sign-in attempts")
    user = service.authenticate(db, email, password)
    if user is None:
        return render(request, "login.html", status_code=400, next=next, email=email,
                      error=_("Wrong email or password."))
    request.session.clear()
    request.session.update(uid=user.id, csrf=secrets.token_urlsafe(32))
    if user.locale:
        request.session["locale"] = user.locale
    default = "/admin" if user.is_admin else "/agent"
    return RedirectResponse(_safe_next(next, default), status_code=303)


@pages.post("/logout")
def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@pages.post("/locale")
def choose_locale(
    request: Request,
    db: DB,
    locale: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form(max_length=500)] = "",
):
    chosen = i18n.normalise(locale) or "en"
    request.session["locale"] = chosen
    uid = request.session.get("uid")
    if uid is not None:
        from overture.accounts.models import User

        user = db.get(User, uid)
        if user is not None:
            user.locale = chosen
    return RedirectResponse(_safe_next(next, "/admin"), status_code=303)


@api.get("/settings", response_model=SettingsOut)
def get_settings(db: DB, user: ApiUser):
    return service.get_settings_row(db)


@api.patch("/settings", response_model=SettingsOut)
def patch_settings(data: SettingsPatch, db: DB, user: ApiAdmin):
    return service.update_settings(db, data)


@api.get("/users", response_model=list[UserOut])
def list_users(db: DB, user: ApiAdmin):
    return service.list_users(db)


@api.post("/users", response_model=UserOut, status_code=201)
def create_user(data: UserIn, db: DB, user: ApiAdmin):
    return service.create_user(db, email=data.email, name=data.name, password=data.password,
                               role=data.role)


@api.get("/me", response_model=UserOut)
def me(user: ApiUser):
    return user
