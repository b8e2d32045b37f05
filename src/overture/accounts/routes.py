"""The account's JSON API: settings, users, who is calling, their password, sessions and
API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from overture.accounts import service, sessions
from overture.accounts.schemas import (
    PasswordChange,
    SettingsOut,
    SettingsPatch,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from overture.deps import DB, ApiAdmin, ApiUser
from overture.kit.ids import IdPath

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


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: IdPath, db: DB, user: ApiAdmin):
    return service.access_user(db, user, user_id)


@router.patch("/users/{user_id}", response_model=UserOut)
def patch_user(user_id: IdPath, data: UserPatch, db: DB, user: ApiAdmin):
    """Deactivating (`is_active: false`) ends the user's sessions and revokes their tokens;
    a new `password` ends their sessions."""
    return service.update_user(db, user, service.access_user(db, user, user_id), data)


@router.post("/users/{user_id}/sign-out", status_code=204)
def sign_out_user(user_id: IdPath, db: DB, user: ApiAdmin):
    """End every session of the user, on every browser and process."""
    sessions.end_all(db, service.access_user(db, user, user_id).id)
    return Response(status_code=204)


@router.get("/me", response_model=UserOut)
def me(user: ApiUser):
    return user


@router.post("/me/password", status_code=204)
def change_password(data: PasswordChange, request: Request, db: DB, user: ApiUser):
    """Every other session ends; the browser that asked (if any) stays signed in."""
    service.change_password(db, user, data.current_password, data.new_password,
                            keep_session=getattr(request.state, "session_id", None))
    return Response(status_code=204)


@router.post("/me/sign-out-everywhere", status_code=204)
def sign_out_everywhere(db: DB, user: ApiUser):
    sessions.end_all(db, user.id)
    return Response(status_code=204)


@router.get("/me/tokens", response_model=list[TokenOut])
def list_tokens(db: DB, user: ApiUser):
    return service.list_tokens(db, user)


@router.post("/me/tokens", response_model=TokenCreated, status_code=201)
def create_token(data: TokenIn, db: DB, user: ApiUser):
    token, secret = service.create_token(db, user, data.name)
    return TokenCreated.model_validate({**TokenOut.model_validate(token).model_dump(),
                                        "token": secret})


@router.delete("/me/tokens/{token_id}", status_code=204)
def revoke_token(token_id: IdPath, db: DB, user: ApiUser):
    service.revoke_token(db, service.access_token(db, user, token_id))
    return Response(status_code=204)
