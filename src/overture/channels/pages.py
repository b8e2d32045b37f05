"""Admin pages for channels: list, form, embed snippet, identity secret."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from overture.accounts.models import User
from overture.bots.service import list_bots
from overture.brands.service import list_brands
from overture.channels import service
from overture.channels.models import KINDS, MESSAGING_KINDS, Channel
from overture.channels.schemas import ChannelIn, ChannelPatch
from overture.deps import DB, PageAdmin, check_csrf, page_admin
from overture.i18n import LOCALE_NAMES
from overture.i18n import gettext as _
from overture.kit.ids import IdPath
from overture.schedules.service import list_schedules
from overture.web.forms import PostedForm, labelled, one, submit
from overture.web.templating import ask_before_delete, flash_to, render, secret_revealed

router = APIRouter(
    prefix="/admin/channels", include_in_schema=False,
    dependencies=[Depends(check_csrf), Depends(page_admin)],
)

TEXT_FIELDS = ("name", "kind", "sender_name", "sender_avatar_url", "launcher_text", "color")
# The texts shown to visitors per language: form fields `translations.<tag>.<text>`.
TRANSLATED = ("launcher_text", "sender_name")
LANGUAGES = {locale.replace("_", "-"): name for locale, name in LOCALE_NAMES.items()}


def kind_labels() -> dict[str, str]:
    """Every kind, in words; looked up per request so that it follows the page's language."""
    return {
        "web_widget": _("Web widget"),
        "ios_sdk": _("iOS SDK"),
        "android_sdk": _("Android SDK"),
        "whatsapp": _("WhatsApp"),
        "facebook_messenger": _("Facebook Messenger"),
        "instagram": _("Instagram"),
        "sms": _("SMS"),
        "third_party_bot": _("Third-party bot"),
    }


def _field_labels() -> dict[str, str]:
    return {
        "brand_id": _("Brand"),
        "name": _("Name"),
        "kind": _("Kind"),
        "allowed_origins": _("Allowed origins"),
        "sender_name": _("Sender name"),
        "sender_avatar_url": _("Sender avatar URL"),
        "launcher_text": _("Launcher text"),
        "color": _("Colour"),
        "schedule_id": _("Schedule"),
        "identity_shared_with_brand": _("Identity secret"),
        "launcher_asks_contact": _("Ask for name and email"),
        "bot_id": _("Bot"),
    }


def _translation_labels() -> dict[str, str]:
    names = {"launcher_text": _("Launcher text"), "sender_name": _("Sender name")}
    return {f"translations.{tag}.{key}": f"{names[key]} ({language})"
            for tag, language in LANGUAGES.items() for key in TRANSLATED}


def _from_form(form: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The form as ChannelIn input, and the textarea line number of each allowed origin."""
    # A field left out of the post takes the schema's default, as through the API.
    data: dict[str, Any] = {key: one(form, key) for key in TEXT_FIELDS if key in form}
    typed = one(form, "allowed_origins").splitlines()
    lines = [(n, line.strip()) for n, line in enumerate(typed, 1) if line.strip()]
    data["allowed_origins"] = [line for _n, line in lines]
    if one(form, "brand_id"):
        data["brand_id"] = one(form, "brand_id")
    data["schedule_id"] = one(form, "schedule_id") or None
    if "bot_id" in form:  # left out of the post, the channel keeps its bot (update_channel)
        data["bot_id"] = one(form, "bot_id") or None
    # A checkbox is posted only when ticked.
    data["identity_shared_with_brand"] = one(form, "identity_shared_with_brand") == "on"
    data["launcher_asks_contact"] = one(form, "launcher_asks_contact") == "on"
    data["translations"] = {tag: {key: one(form, f"translations.{tag}.{key}")
                                  for key in TRANSLATED if f"translations.{tag}.{key}" in form}
                            for tag in LANGUAGES}
    return data, [n for n, _line in lines]


def _readable(errors: list[dict[str, str]], origin_lines: list[int]) -> list[dict[str, str]]:
    """Field paths (allowed_origins.2) as the labels the admin sees beside the inputs."""
    translated = _translation_labels()
    out = labelled(errors, _field_labels(),
                   positions={"allowed_origins": (_("line %(n)s"), origin_lines)},
                   messages={"color": _("must be a colour like #1f73b7")})
    for err in out:  # a translated text, by the label beside its input
        if err["path"] in translated:
            err["field"] = translated[err["path"]]
    return out


def _form_of(channel: Channel) -> dict[str, str]:
    return {
        "brand_id": str(channel.brand_id),
        "name": channel.name,
        "kind": channel.kind,
        "allowed_origins": "\n".join(channel.allowed_origins or []),
        "sender_name": channel.sender_name,
        "sender_avatar_url": channel.sender_avatar_url,
        "launcher_text": channel.launcher_text,
        "color": channel.color,
        "schedule_id": str(channel.schedule_id) if channel.schedule_id is not None else "",
        "identity_shared_with_brand": "on" if channel.identity_shared_with_brand else "",
        "launcher_asks_contact": "on" if channel.launcher_asks_contact else "",
        "bot_id": str(channel.bot_id) if channel.bot_id is not None else "",
        **{f"translations.{tag}.{key}": ((channel.translations or {}).get(tag) or {}).get(key, "")
           for tag in LANGUAGES for key in TRANSLATED},
    }


def _render_form(request: Request, db: Session, user: User, channel: Channel | None,
                 form: dict[str, Any], errors: list[dict[str, str]] | None = None,
                 status_code: int = 200, revealed_secret: str | None = None):
    """The channel's form; an existing channel's page also has its embed snippet, and its
    identity secret — left out of the page unless `revealed_secret` (see `reveal_secret`)."""
    context: dict[str, Any] = {"revealed_secret": revealed_secret}
    if channel is not None:
        base = str(request.base_url).rstrip("/")
        context["snippet"] = (
            f'<script src="{base}/widget.js" data-channel="{channel.key}" async></script>'
        )
    brands = list_brands(db, user)
    return render(
        request, "admin/channel_form.html", status_code=status_code, channel=channel, form=form,
        errors=errors or [], brands=brands, schedules=list_schedules(db, user),
        kinds=kind_labels(), messaging_kinds=MESSAGING_KINDS, languages=LANGUAGES,
        bot_groups=_bot_groups(db, user, brands, str(form.get("brand_id") or "")), **context,
    )


def _bot_groups(db: Session, user: User, brands: list, brand_id: str) -> list[dict[str, Any]]:
    """The bots the channel may connect, per brand: only its brand's once the brand is known
    (the service refuses another brand's bot anyway)."""
    bots = list_bots(db, user)
    return [{"brand": b.name, "bots": [bot for bot in bots if bot.brand_id == b.id]}
            for b in brands if not brand_id or str(b.id) == brand_id]


@router.get("")
def channels_page(request: Request, db: DB, user: PageAdmin):
    brands = {b.id: b.name for b in list_brands(db, user)}
    return render(request, "admin/channels.html", channels=service.list_channels(db, user),
                  brand_names=brands, kinds=kind_labels(), messaging_kinds=MESSAGING_KINDS)


@router.get("/new")
def new_channel(request: Request, db: DB, user: PageAdmin):
    brands = list_brands(db, user)
    form = {"kind": KINDS[0], "color": "#1f73b7",
            "brand_id": str(brands[0].id) if len(brands) == 1 else ""}
    return _render_form(request, db, user, None, form)


@router.post("/new")
def create_channel(request: Request, db: DB, user: PageAdmin, form: PostedForm):
    raw, origin_lines = _from_form(form)
    outcome = submit(db, ChannelIn, raw, lambda data: service.create_channel(db, data))
    if outcome.refused:
        return _render_form(request, db, user, None, form,
                            _readable(outcome.errors, origin_lines), 422)
    return flash_to(request, _("Channel created. Open it to copy its embed snippet."),
                    "/admin/channels")


@router.get("/{channel_id}")
def edit_channel(channel_id: IdPath, request: Request, db: DB, user: PageAdmin):
    channel = service.access_channel(db, user, channel_id)
    return _render_form(request, db, user, channel, _form_of(channel))


@router.post("/{channel_id}")
def update_channel(channel_id: IdPath, request: Request, db: DB, user: PageAdmin,
                   form: PostedForm):
    channel = service.access_channel(db, user, channel_id)
    raw, origin_lines = _from_form(form)
    # Every field is on the form, so the whole channel is replaced by what was posted (but a
    # bot, when the post does not name one: an older form keeps the channel's bot).
    outcome = submit(db, ChannelIn, raw, lambda data: service.update_channel(
        db, channel, ChannelPatch(**{k: v for k, v in dict(data).items()
                                     if k != "bot_id" or "bot_id" in raw})))
    if outcome.refused:
        return _render_form(request, db, user, channel, form,
                            _readable(outcome.errors, origin_lines), 422)
    return flash_to(request, _("Channel saved."), "/admin/channels")


@router.post("/{channel_id}/secret")
def reveal_secret(channel_id: IdPath, request: Request, db: DB, user: PageAdmin):
    """The identity secret, asked for: JSON for the page's Reveal button, or (without
    JavaScript) the channel's page with the secret shown. A POST with the CSRF token, never
    stored by a cache: the secret is in no page that a GET, a prefetch or a history entry
    returns."""
    channel = service.access_channel(db, user, channel_id)
    return secret_revealed(request, channel.jwt_secret, lambda: _render_form(
        request, db, user, channel, _form_of(channel),
        revealed_secret=channel.jwt_secret))


@router.post("/{channel_id}/rotate-secret")
def rotate_secret(channel_id: IdPath, request: Request, db: DB, user: PageAdmin):
    service.rotate_secret(db, service.access_channel(db, user, channel_id))
    return flash_to(request, _("A new identity secret was made. Tokens signed with the old one "
                               "are no longer accepted."), f"/admin/channels/{channel_id}")


@router.get("/{channel_id}/delete")
def confirm_delete(channel_id: IdPath, request: Request, db: DB, user: PageAdmin):
    channel = service.access_channel(db, user, channel_id)
    warning = _("Websites and apps that embed this channel stop showing the widget, and proactive "
                "messages sent through it can no longer be shown.")
    return ask_before_delete(request, channel.name, f"/admin/channels/{channel.id}/delete",
                             "/admin/channels", warning=warning)


@router.post("/{channel_id}/delete")
def delete_channel(channel_id: IdPath, request: Request, db: DB, user: PageAdmin):
    service.delete_channel(db, service.access_channel(db, user, channel_id))
    return flash_to(request, _("Channel deleted."), "/admin/channels")
