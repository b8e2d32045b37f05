"""Admin pages for webhooks: the list, a webhook's form with its signing secret, a test
event and its recent deliveries, and one delivery with the body that was sent."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from overture.accounts.service import get_settings_row, local_time, zone_of
from overture.deps import DB, PageAdmin, check_csrf, page_admin
from overture.i18n import gettext as _
from overture.i18n import ngettext
from overture.kit.ids import IdPath
from overture.web.forms import PostedForm, attempt, labelled, many, one, submit
from overture.web.templating import (
    ask_before_delete,
    flash_to,
    refusal_to,
    render,
    secret_revealed,
)
from overture.webhooks import service
from overture.webhooks.models import EVENT_TYPES, PING, Webhook
from overture.webhooks.schemas import WebhookIn, WebhookPatch
from overture.webhooks.signing import SIGNATURE_HEADER

BASE = "/admin/webhooks"
router = APIRouter(
    prefix=BASE, include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_admin)],
)


def event_labels() -> dict[str, str]:
    """When each event fires, in the page's language (looked up per request)."""
    return {
        "proactive_message.sent": _("A proactive message is shown to a customer."),
        "proactive_message.opened": _("A customer opens a proactive message."),
        "proactive_message.dismissed": _("A customer closes a proactive message."),
        "proactive_message.replied": _("A customer replies to a proactive message (a message, "
                                       "the data form or a bot answer)."),
        "ticket.created": _("A conversation gets its ticket."),
        "conversation.message": _("Any message is written in a conversation: the customer's, "
                                  "an agent's or the bot's."),
        PING: _("A test event, sent with “Send test event”."),
    }


def status_labels() -> dict[str, str]:
    return {"pending": _("Pending"), "delivered": _("Delivered"), "failed": _("Failed")}


def _field_labels() -> dict[str, str]:
    return {"url": _("URL"), "description": _("Description"), "events": _("Events"),
            "active": _("Active")}


def _from_form(form: dict[str, Any]) -> dict[str, Any]:
    return {"url": one(form, "url"), "description": one(form, "description"),
            "events": many(form, "events"),
            "active": one(form, "active") == "on"}  # a checkbox is posted only when ticked


def _form_of(webhook: Webhook) -> dict[str, Any]:
    return {"url": webhook.url, "description": webhook.description, "events": webhook.events,
            "active": "on" if webhook.active else ""}


def _readable(errors: list[dict[str, str]], chosen: list[str]) -> list[dict[str, str]]:
    for err in errors:  # pydantic refuses an empty list in its own words
        if err.get("field") == "events" and not chosen:
            err["msg"] = _("choose at least one event")
    return labelled(errors, _field_labels())


def _allow_private(request: Request) -> bool:
    return request.app.state.settings.webhooks_allow_private


def _render_form(request: Request, db: Session, webhook: Webhook | None, form: dict[str, Any],
                 errors: list[dict[str, str]] | None = None,
                 revealed_secret: str | None = None):
    """The form; an existing webhook's page also has its signing secret (left out of the page
    unless `revealed_secret`, see `reveal_secret`), the test event and its recent deliveries."""
    context: dict[str, Any] = {}
    if webhook is not None:
        zone = get_settings_row(db).time_zone
        context.update(deliveries=service.recent_deliveries(db, webhook),
                       when=lambda moment: local_time(moment, zone),
                       zone=zone_of(zone).key)
    chosen = many(form, "events")
    shown = _readable(errors or [], chosen)
    events_error = next((e["msg"] for e in shown
                         if e["path"] == "events" or e["path"].startswith("events.")), None)
    return render(request, "admin/webhook_form.html", status_code=422 if errors else 200,
                  webhook=webhook, form=form, errors=shown, events_error=events_error,
                  chosen=chosen,
                  event_types=EVENT_TYPES, events=event_labels(), statuses=status_labels(),
                  revealed_secret=revealed_secret, signature_header=SIGNATURE_HEADER,
                  recent=service.RECENT, **context)


@router.get("")
def webhooks_page(request: Request, db: DB, user: PageAdmin):
    return render(request, "admin/webhooks.html", webhooks=service.list_webhooks(db, user),
                  counts=service.delivery_counts(db))


@router.get("/new")
def new_webhook(request: Request, db: DB, user: PageAdmin):
    return _render_form(request, db, None, {"active": "on", "events": []})


@router.post("/new")
def create_webhook(request: Request, db: DB, user: PageAdmin, form: PostedForm):
    outcome = submit(db, WebhookIn, _from_form(form), lambda data: service.create_webhook(
        db, data, allow_private=_allow_private(request)))
    if outcome.refused or outcome.value is None:
        return _render_form(request, db, None, form, outcome.errors)
    return flash_to(request, _("Webhook created. Reveal its signing secret below to check "
                               "the signature of what it receives."),
                    f"{BASE}/{outcome.value.id}")


@router.get("/{webhook_id}")
def edit_webhook(webhook_id: IdPath, request: Request, db: DB, user: PageAdmin):
    webhook = service.access_webhook(db, user, webhook_id)
    return _render_form(request, db, webhook, _form_of(webhook))


@router.post("/{webhook_id}")
def update_webhook(webhook_id: IdPath, request: Request, db: DB, user: PageAdmin,
                   form: PostedForm):
    webhook = service.access_webhook(db, user, webhook_id)
    # Every field is on the form: the webhook becomes what was posted.
    outcome = submit(db, WebhookIn, _from_form(form), lambda data: service.update_webhook(
        db, webhook, WebhookPatch(**data.model_dump()), allow_private=_allow_private(request)))
    if outcome.refused:
        return _render_form(request, db, webhook, form, outcome.errors)
    return flash_to(request, _("Webhook saved."), f"{BASE}/{webhook_id}")


@router.post("/{webhook_id}/secret")
def reveal_secret(webhook_id: IdPath, request: Request, db: DB, user: PageAdmin):
    """The signing secret, asked for: JSON for the page's Reveal button, or (without
    JavaScript) the webhook's page with the secret shown; a POST with the CSRF token, never
    stored by a cache (as for a channel's secret)."""
    webhook = service.access_webhook(db, user, webhook_id)
    return secret_revealed(request, webhook.secret, lambda: _render_form(
        request, db, webhook, _form_of(webhook), revealed_secret=webhook.secret))


@router.post("/{webhook_id}/rotate-secret")
def rotate_secret(webhook_id: IdPath, request: Request, db: DB, user: PageAdmin):
    service.rotate_secret(db, service.access_webhook(db, user, webhook_id))
    return flash_to(request, _("A new signing secret was made. Deliveries are signed with it "
                               "from now on, pending ones included."), f"{BASE}/{webhook_id}")


@router.post("/{webhook_id}/ping")
def ping(webhook_id: IdPath, request: Request, db: DB, user: PageAdmin):
    webhook = service.access_webhook(db, user, webhook_id)
    outcome = attempt(db, lambda: service.ping(db, webhook))
    if outcome.error is not None:
        return refusal_to(request, _("No test event sent: %(reason)s")
                          % {"reason": outcome.error.message}, f"{BASE}/{webhook_id}")
    return flash_to(request, _("A test event is on its way. Reload this page to see how it "
                               "went."), f"{BASE}/{webhook_id}")


@router.post("/{webhook_id}/deliveries/{delivery_id}/resend")
def resend(webhook_id: IdPath, delivery_id: IdPath, request: Request, db: DB, user: PageAdmin,
           form: PostedForm):
    webhook = service.access_webhook(db, user, webhook_id)
    delivery = service.access_delivery(db, user, webhook, delivery_id)
    # Back where the button was: the delivery's own page, or the webhook's.
    back = (f"{BASE}/{webhook_id}/deliveries/{delivery_id}" if one(form, "back") == "delivery"
            else f"{BASE}/{webhook_id}")
    outcome = attempt(db, lambda: service.resend(db, webhook, delivery))
    if outcome.error is not None:
        return refusal_to(request, _("Not sent again: %(reason)s")
                          % {"reason": outcome.error.message}, back)
    return flash_to(request, _("The event is on its way again, as a new delivery."),
                    f"{BASE}/{webhook_id}")


@router.get("/{webhook_id}/deliveries/{delivery_id}")
def delivery_page(webhook_id: IdPath, delivery_id: IdPath, request: Request, db: DB,
                  user: PageAdmin):
    webhook = service.access_webhook(db, user, webhook_id)
    delivery = service.access_delivery(db, user, webhook, delivery_id)
    zone = get_settings_row(db).time_zone
    try:  # indented to be read; the body sent is the one line in `payload`
        body = json.dumps(json.loads(delivery.payload), indent=2, ensure_ascii=False)
    except ValueError:
        body = delivery.payload
    return render(request, "admin/webhook_delivery.html", webhook=webhook,
                  delivery=service.delivery_out(delivery), body=body,
                  when=lambda moment: local_time(moment, zone), statuses=status_labels(),
                  events=event_labels())


@router.get("/{webhook_id}/delete")
def confirm_delete(webhook_id: IdPath, request: Request, db: DB, user: PageAdmin):
    webhook = service.access_webhook(db, user, webhook_id)
    pending = service.delivery_counts(db).get(webhook.id, {}).get("pending", 0)
    warning = _("Its deliveries are deleted with it: those still pending are never sent.")
    if pending:
        warning += " " + ngettext("%(num)s delivery is pending now.",
                                  "%(num)s deliveries are pending now.", pending) % {
                                      "num": pending}
    return ask_before_delete(request, webhook.description or webhook.url,
                             f"{BASE}/{webhook.id}/delete", f"{BASE}/{webhook.id}",
                             warning=warning)


@router.post("/{webhook_id}/delete")
def delete_webhook(webhook_id: IdPath, request: Request, db: DB, user: PageAdmin):
    service.delete_webhook(db, service.access_webhook(db, user, webhook_id))
    return flash_to(request, _("Webhook deleted."), BASE)
