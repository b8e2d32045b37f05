"""Webhooks: the admin's endpoints, their recent deliveries, a resend and a test event."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.accounts.service import require_role
from overture.db import after_commit, load
from overture.i18n import gettext as _
from overture.kit.clock import utcnow
from overture.kit.errors import Conflict, NotFound
from overture.proactive import events as proactive_events
from overture.webhooks import outbox
from overture.webhooks.addresses import check_url
from overture.webhooks.models import PING, Webhook, WebhookDelivery, new_signing_secret
from overture.webhooks.schemas import DeliveryOut, WebhookIn, WebhookPatch

RECENT = 50


def access_webhook(db: Session, user: User, webhook_id: int) -> Webhook:
    """The one way to load a webhook by id: webhooks are configuration, for admins only."""
    require_role(user, "admin")
    return load(db, Webhook, webhook_id, _("webhook %(id)s not found") % {"id": webhook_id})


def access_delivery(db: Session, user: User, webhook: Webhook,
                    delivery_id: int) -> WebhookDelivery:
    require_role(user, "admin")
    delivery = db.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook.id:
        raise NotFound(_("delivery %(id)s not found for this webhook") % {"id": delivery_id})
    return delivery


def list_webhooks(db: Session, user: User) -> list[Webhook]:
    require_role(user, "admin")
    return list(db.scalars(select(Webhook).order_by(Webhook.id)))


def _subscriptions_changed(db: Session) -> None:
    # The widget's channel states know which events have webhooks (so that the page-view path
    # writes to the outbox only when one listens): every process drops them.
    proactive_events.changed(db, proactive_events.ALL_CHANNELS)


def create_webhook(db: Session, data: WebhookIn, *, allow_private: bool) -> Webhook:
    webhook = Webhook(url=check_url(data.url, allow_private), description=data.description,
                      active=data.active)
    webhook.events = list(data.events)
    db.add(webhook)
    db.flush()
    _subscriptions_changed(db)
    return webhook


def update_webhook(db: Session, webhook: Webhook, data: WebhookPatch, *,
                   allow_private: bool) -> Webhook:
    if data.url is not None:
        webhook.url = check_url(data.url, allow_private)
    if data.description is not None:
        webhook.description = data.description
    if data.events is not None:
        webhook.events = list(data.events)
    if data.active is not None:
        webhook.active = data.active
    webhook.updated_at = utcnow()
    db.flush()
    _subscriptions_changed(db)
    return webhook


def rotate_secret(db: Session, webhook: Webhook) -> Webhook:
    """A new signing secret, used from the next send on (pending deliveries included)."""
    webhook.secret = new_signing_secret()
    webhook.updated_at = utcnow()
    db.flush()
    return webhook


def delete_webhook(db: Session, webhook: Webhook) -> None:
    """The webhook and its deliveries, pending ones included, are gone."""
    db.delete(webhook)
    db.flush()
    _subscriptions_changed(db)


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    out = DeliveryOut.model_validate(delivery)
    if delivery.status != "pending":
        out.next_attempt_at = None
    return out


def recent_deliveries(db: Session, webhook: Webhook, *, status: str | None = None,
                      limit: int = RECENT) -> list[WebhookDelivery]:
    q = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    if status is not None:
        q = q.where(WebhookDelivery.status == status)
    return list(db.scalars(q.order_by(WebhookDelivery.id.desc()).limit(limit)))


def delivery_counts(db: Session) -> dict[int, dict[str, int]]:
    """Each webhook's deliveries by status (for the list)."""
    out: dict[int, dict[str, int]] = {}
    for webhook_id, status, n in db.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.status, func.count())
            .group_by(WebhookDelivery.webhook_id, WebhookDelivery.status)):
        out.setdefault(webhook_id, {})[status] = n
    return out


def _wake_after_commit(db: Session) -> None:
    after_commit(db, outbox.wake_workers)


def resend(db: Session, webhook: Webhook, delivery: WebhookDelivery) -> WebhookDelivery:
    """The same event (same id and body) once more, as a new delivery sent at once; the
    earlier one keeps its history. A pending delivery is already on its way: 409."""
    if delivery.status == "pending":
        raise Conflict(_("this delivery is still pending; it is sent again on its own"),
                       code="action_not_allowed")
    if not webhook.active:
        raise Conflict(_("the webhook is turned off; turn it on to resend"),
                       code="webhook_inactive")
    now = utcnow()
    again = WebhookDelivery(webhook_id=webhook.id, event_id=delivery.event_id,
                            event=delivery.event, payload=delivery.payload, status="pending",
                            attempts=0, next_attempt_at=now, created_at=now)
    db.add(again)
    db.flush()
    _wake_after_commit(db)
    return again


def ping(db: Session, webhook: Webhook) -> WebhookDelivery:
    """A test event to this webhook alone, whatever events it takes."""
    if not webhook.active:
        raise Conflict(_("the webhook is turned off; turn it on to send a test event"),
                       code="webhook_inactive")
    now = utcnow()
    event_id, payload = outbox.envelope(PING, {"webhook_id": webhook.id}, now)
    delivery = WebhookDelivery(webhook_id=webhook.id, event_id=event_id, event=PING,
                               payload=payload, status="pending", attempts=0,
                               next_attempt_at=now, created_at=now)
    db.add(delivery)
    db.flush()
    _wake_after_commit(db)
    return delivery
