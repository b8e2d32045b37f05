"""Admin pages for brands."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from overture.brands import service
from overture.brands.models import Brand
from overture.brands.schemas import BrandIn
from overture.deps import DB, PageAdmin, check_csrf, page_admin
from overture.i18n import gettext as _
from overture.kit.ids import IdPath
from overture.web.forms import PostedForm, labelled, submit
from overture.web.templating import ask_before_delete, flash_to, render, secret_revealed

router = APIRouter(
    prefix="/admin/brands", include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_admin)],
)


def _form(request: Request, db: Session | None, brand: Brand | None, form: dict,
          errors: list[dict[str, str]] | None = None, revealed_secret: str | None = None):
    """The brand's form; an existing brand's page also has its identity secret (left out of
    the page unless `revealed_secret`, see `reveal_secret`) and the channels that share it."""
    sharing = service.sharing_channels(db, brand) if db is not None and brand is not None else []
    return render(request, "admin/brand_form.html", status_code=422 if errors else 200,
                  brand=brand, form=form, errors=labelled(errors or [], {"name": _("Name")}),
                  sharing_channels=sharing, revealed_secret=revealed_secret)


@router.get("")
def brands_page(request: Request, db: DB, user: PageAdmin):
    return render(request, "admin/brands.html", brands=service.list_brands(db, user),
                  channel_counts=service.channel_counts(db))


@router.get("/new")
def new_brand(request: Request, user: PageAdmin):
    return _form(request, None, None, {})


@router.post("/new")
def create_brand(request: Request, db: DB, user: PageAdmin, form: PostedForm):
    outcome = submit(db, BrandIn, form, lambda data: service.create_brand(db, data))
    if outcome.refused:
        return _form(request, db, None, form, outcome.errors)
    return flash_to(request, _("Brand created."), "/admin/brands")


@router.get("/{brand_id}")
def edit_brand(brand_id: IdPath, request: Request, db: DB, user: PageAdmin):
    brand = service.access_brand(db, user, brand_id)
    return _form(request, db, brand, {"name": brand.name})


@router.post("/{brand_id}")
def update_brand(brand_id: IdPath, request: Request, db: DB, user: PageAdmin,
                 form: PostedForm):
    brand = service.access_brand(db, user, brand_id)
    outcome = submit(db, BrandIn, form, lambda data: service.update_brand(db, brand, data))
    if outcome.refused:
        return _form(request, db, brand, form, outcome.errors)
    return flash_to(request, _("Brand saved."), "/admin/brands")


@router.post("/{brand_id}/secret")
def reveal_secret(brand_id: IdPath, request: Request, db: DB, user: PageAdmin):
    """The shared identity secret, asked for: JSON for the page's Reveal button, or (without
    JavaScript) the brand's page with the secret shown; a POST with the CSRF token, never
    stored by a cache (as for a channel's secret)."""
    brand = service.access_brand(db, user, brand_id)
    return secret_revealed(request, brand.identity_secret, lambda: _form(
        request, db, brand, {"name": brand.name}, revealed_secret=brand.identity_secret))


@router.post("/{brand_id}/rotate-secret")
def rotate_secret(brand_id: IdPath, request: Request, db: DB, user: PageAdmin):
    service.rotate_secret(db, service.access_brand(db, user, brand_id))
    return flash_to(request, _("A new identity secret was made for the brand. Tokens signed "
                               "with the old one are no longer accepted by its channels."),
                    f"/admin/brands/{brand_id}")


@router.get("/{brand_id}/delete")
def confirm_delete(brand_id: IdPath, request: Request, db: DB, user: PageAdmin):
    brand = service.access_brand(db, user, brand_id)
    return ask_before_delete(request, brand.name, f"/admin/brands/{brand.id}/delete",
                             "/admin/brands")


@router.post("/{brand_id}/delete")
def delete_brand(brand_id: IdPath, request: Request, db: DB, user: PageAdmin):
    service.delete_brand(db, service.access_brand(db, user, brand_id))
    return flash_to(request, _("Brand deleted."), "/admin/brands")
