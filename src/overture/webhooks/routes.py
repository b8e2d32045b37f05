from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from overture.deps import DB, ApiAdmin
from overture.kit.ids import IdPath
from overture.webhooks import service
from overture.webhooks.schemas import (
    DeliveryOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
    WebhookSecretOut,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


def _allow_private(request: Request) -> bool:
    return request.app.state.settings.webhooks_allow_private


@router.get("", response_model=list[WebhookOut])
def list_webhooks(db: DB, user: ApiAdmin):
    return service.list_webhooks(db, user)


@router.post("", response_model=WebhookSecretOut, status_code=201)
def create_webhook(data: WebhookIn, request: Request, db: DB, user: ApiAdmin):
    """The answer holds the signing secret; store it where the receiver checks signatures."""
    return service.create_webhook(db, data, allow_private=_allow_private(request))


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(webhook_id: IdPath, db: DB, user: ApiAdmin):
    return service.access_webhook(db, user, webhook_id)


@router.patch("/{webhook_id}", response_model=WebhookOut)
def update_webhook(webhook_id: IdPath, data: WebhookPatch, request: Request, db: DB,
                   user: ApiAdmin):
    return service.update_webhook(db, service.access_webhook(db, user, webhook_id), data,
                                  allow_private=_allow_private(request))


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookSecretOut)
def rotate_secret(webhook_id: IdPath, db: DB, user: ApiAdmin):
    """A new signing secret, used from the next send on."""
    return service.rotate_secret(db, service.access_webhook(db, user, webhook_id))


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: IdPath, db: DB, user: ApiAdmin):
    service.delete_webhook(db, service.access_webhook(db, user, webhook_id))
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryOut])
def list_deliveries(webhook_id: IdPath, db: DB, user: ApiAdmin,
                    status: Annotated[Literal["pending", "delivered", "failed"] | None,
                                      Query()] = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = service.RECENT):
    """The webhook's most recent deliveries, newest first."""
    webhook = service.access_webhook(db, user, webhook_id)
    return [service.delivery_out(d)
            for d in service.recent_deliveries(db, webhook, status=status, limit=limit)]


@router.post("/{webhook_id}/deliveries/{delivery_id}/resend", response_model=DeliveryOut,
             status_code=201)
def resend(webhook_id: IdPath, delivery_id: IdPath, db: DB, user: ApiAdmin):
    """The same event once more, as a new delivery sent at once."""
    webhook = service.access_webhook(db, user, webhook_id)
    delivery = service.access_delivery(db, user, webhook, delivery_id)
    return service.delivery_out(service.resend(db, webhook, delivery))


@router.post("/{webhook_id}/ping", response_model=DeliveryOut, status_code=201)
def ping(webhook_id: IdPath, db: DB, user: ApiAdmin):
    """A `ping` event to this webhook alone."""
    return service.delivery_out(service.ping(db, service.access_webhook(db, user, webhook_id)))
