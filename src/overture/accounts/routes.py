"""The account's JSON API: settings, users and who is calling."""

from __future__ import annotations

from fastapi import APIRouter

from overture.accounts import service
from overture.accounts.schemas import SettingsOut, SettingsPatch, UserIn, UserOut
from overture.deps import DB, ApiAdmin, ApiUser

router = APIRouter(prefix="/api/v1", tags=["account"])


@router.get("/settings", response_model=SettingsOut)
def get_settings(db: DB, user: ApiAdmin):
    return service.access_settings(db, user)


@router.patch("/settings", response_model=SettingsOut)
def patch_settings(data: SettingsPatch, db: DB, user: ApiAdmin):
    return service.update_settings(db, data)


@router.get("/users", response_model=list[UserOut])
def list_users(db: DB, user: ApiAdmin):
    return service.list_users(db, user)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(data: UserIn, db: DB, user: ApiAdmin):
    return service.create_user(db, email=data.email, name=data.name, password=data.password,
                               role=data.role)


@router.get("/me", response_model=UserOut)
def me(user: ApiUser):
    return user
