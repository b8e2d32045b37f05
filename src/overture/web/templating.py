"""Jinja2 environment (autoescape on) with the i18n extension and shared helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from overture import i18n
from overture.deps import csrf_token

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext,
    npgettext=i18n.npgettext)


def _tojson_attr(value: Any) -> Markup:
    # For data-* attributes: JSON, then HTML-escaped by markupsafe.
    return Markup.escape(json.dumps(value))


env.filters["json_attr"] = _tojson_attr


# Our pages run only our own scripts (none inline: data for scripts travels in
# <script type="application/json">), talk only to us, and are never framed by another site.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
                               "connect-src 'self'; object-src 'none'; base-uri 'self'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def render(request: Request, name: str, status_code: int = 200, *, new_session: bool = True,
           **context: Any) -> HTMLResponse:
    """`new_session=False` for error pages: a refused cross-site post arrives without the
    session cookie, and answering it with a fresh session would sign the user out."""
    context.setdefault("user", getattr(request.state, "user", None))
    context["request"] = request
    context["csrf_token"] = (csrf_token(request) if new_session
                             else request.session.get("csrf", ""))
    context["locale"] = i18n.current_locale.get()
    context["locales"] = i18n.LOCALE_NAMES
    flash = request.session.pop("flash", None)
    context.setdefault("flash", flash)
    context.setdefault("flash_error", request.session.pop("flash_error", None))
    html = env.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def flash(request: Request, message: str) -> None:
    request.session["flash"] = message


def flash_to(request: Request, message: str, url: str) -> RedirectResponse:
    """After a form's write: say what happened on the next page, and go there (303, so a
    reload does not post again)."""
    flash(request, message)
    return RedirectResponse(url, status_code=303)


def refusal_to(request: Request, message: str, url: str) -> RedirectResponse:
    """After a refused action: say why on the next page, as an error (never in the banner
    that says something was done), and go there."""
    request.session["flash_error"] = message
    return RedirectResponse(url, status_code=303)


def ask_before_delete(request: Request, label: str, action: str, back: str,
                   warning: str | None = None):
    """The page that asks before deleting `label`; its form posts to `action`."""
    return render(request, "admin/confirm_delete.html", label=label, warning=warning,
                  action=action, back=back)


NO_STORE = {"Cache-Control": "no-store"}


def secret_revealed(request: Request, secret: str, page: Callable[[], Response]) -> Response:
    """What Reveal asked for (a POST with the CSRF token): the secret alone for the page's
    script, or (without JavaScript) `page()` showing it. Never stored by a cache: the secret is
    in no page that a GET, a prefetch or a history entry returns."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"secret": secret}, headers=NO_STORE)
    response = page()
    response.headers.update(NO_STORE)
    return response
