from __future__ import annotations

from fastapi import APIRouter, Response

from overture.brands import service
from overture.brands.schemas import BrandIn, BrandOut, BrandSecretOut
from overture.deps import DB, ApiAdmin
from overture.kit.ids import IdPath

router = APIRouter(prefix="/api/v1/brands", tags=["brands"])


@router.get("", response_model=list[BrandOut])
def list_brands(db: DB, user: ApiAdmin):
    return service.list_brands(db, user)


@router.post("", response_model=BrandSecretOut, status_code=201)
def create_brand(data: BrandIn, db: DB, user: ApiAdmin):
    return service.create_brand(db, data)


@router.get("/{brand_id}", response_model=BrandOut)
def get_brand(brand_id: IdPath, db: DB, user: ApiAdmin):
    return service.access_brand(db, user, brand_id)


@router.patch("/{brand_id}", response_model=BrandSecretOut)
def update_brand(brand_id: IdPath, data: BrandIn, db: DB, user: ApiAdmin):
    return service.update_brand(db, service.access_brand(db, user, brand_id), data)


@router.post("/{brand_id}/rotate-secret", response_model=BrandSecretOut)
def rotate_secret(brand_id: IdPath, db: DB, user: ApiAdmin):
    """A new identity secret for the brand's sharing channels; the old one is refused at once."""
    return service.rotate_secret(db, service.access_brand(db, user, brand_id))


@router.delete("/{brand_id}", status_code=204)
def delete_brand(brand_id: IdPath, db: DB, user: ApiAdmin):
    service.delete_brand(db, service.access_brand(db, user, brand_id))
    return Response(status_code=204)
