"""The demo host site at /demo: a small fictional product site, "Acme", that embeds the widget
with the one-line tag exactly as a customer's website would, with hostile CSS of its own."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from overture.channels.service import channel_by_key
from overture.demo.service import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_CHANNEL_KEY
from overture.deps import DB
from overture.web.templating import env

router = APIRouter(prefix="/demo", include_in_schema=False)

PAGES = {"home": "Acme — Home", "pricing": "Acme — Pricing", "app": "Acme — App"}


def _page(db: DB, page: str) -> HTMLResponse:
    # Rendered without the admin's session machinery: this stands for somebody else's site.
    found = channel_by_key(db, DEMO_CHANNEL_KEY) is not None
    name = f"demo/{page}.html" if found else "demo/missing.html"
    html = env.get_template(name).render(
        page=page, title=PAGES[page], channel_key=DEMO_CHANNEL_KEY,
        admin_email=DEMO_ADMIN_EMAIL, admin_password=DEMO_ADMIN_PASSWORD,
    )
    return HTMLResponse(html, status_code=200 if found else 404)


@router.get("")
def home(db: DB) -> HTMLResponse:
    return _page(db, "home")


@router.get("/pricing")
def pricing(db: DB) -> HTMLResponse:
    return _page(db, "pricing")


@router.get("/app")
def app_home(db: DB) -> HTMLResponse:
    return _page(db, "app")


@router.get("/app/{section}")
def app_section(section: str, db: DB) -> HTMLResponse:
    """Deep links into the single-page app: the page renders the section client-side."""
    return _page(db, "app")
