"""People and access in a real browser: an admin edits a user, changes their role, deactivates
them and sets their password, and the user's open browser feels it at once; each user makes,
copies and revokes their API tokens; an agent is kept out of the admin; a channel's embed
snippet is copied and its identity secret revealed; a schedule's rows, time zone and holidays
are edited in place. In English and, where the words matter, in Brazilian Portuguese."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from overture.accounts.models import User
from overture.channels.models import Channel
from overture.demo.service import (
    DEMO_ADMIN_PASSWORD,
    DEMO_AGENT_EMAIL,
    DEMO_CHANNEL_KEY,
)
from overture.schedules.models import Schedule
from tests.e2e.conftest import choose_language, sign_in

NEW_PASSWORD = "a new long passphrase"

WORDS = {
    "en": {"edit_agent": "Edit Alex Agent", "name": "Name", "email": "Email", "role": "Role",
           "admin": "Admin", "save": "Save", "saved": "is saved.", "deactivate": "Deactivate",
           "deactivated": "is deactivated", "new_password": "New password",
           "set_password": "Set password", "has_new": "has a new password",
           "generate": "Generate a password", "copy": "Copy", "copied": "Copied",
           "for_admins": "This page is for admins", "back": "Back to the agent workspace",
           "workspace": "Agent workspace", "reveal": "Reveal", "hide": "Hide",
           "copy_snippet": "Copy snippet", "copy_secret": "Copy secret",
           "add_hours": "Add hours", "add_holiday": "Add a holiday",
           "remove_hours": "Remove the hours of row {n}", "remove_holiday": "Remove holiday {n}",
           "time_zone": "Time zone", "day": "Day", "start": "Start", "end": "End",
           "holiday_name": "Holiday name", "first_day": "First day", "last_day": "Last day",
           "no_hours": "No hours yet", "created": "Schedule created.",
           "overlaps": "overlaps Monday 09:00–12:00", "monday": "Monday"},
    "pt_BR": {"edit_agent": "Editar Alex Agent", "name": "Nome", "email": "E-mail",
              "role": "Função", "admin": "Administrador", "save": "Salvar",
              "saved": "foi salvo.", "deactivate": "Desativar", "deactivated": "foi desativado",
              "new_password": "Nova senha", "set_password": "Definir senha",
              "has_new": "tem uma nova senha", "generate": "Gerar uma senha",
              "copy": "Copiar", "copied": "Copiado",
              "for_admins": "Esta página é para administradores",
              "back": "Voltar ao espaço de trabalho do agente",
              "workspace": "Espaço de trabalho do agente", "reveal": "Revelar",
              "hide": "Ocultar", "copy_snippet": "Copiar código",
              "copy_secret": "Copiar segredo", "add_hours": "Adicionar horário",
              "add_holiday": "Adicionar feriado",
              "remove_hours": "Remover o horário da linha {n}",
              "remove_holiday": "Remover o feriado {n}", "time_zone": "Fuso horário",
              "day": "Dia", "start": "Início", "end": "Fim", "holiday_name": "Nome do feriado",
              "first_day": "Primeiro dia", "last_day": "Último dia",
              "no_hours": "Nenhum horário ainda", "created": "Programação criada.",
              "overlaps": "sobrepõe-se a Segunda-feira 09:00–12:00", "monday": "Segunda-feira"},
}
LOCALES = list(WORDS)


def agent_browser(browser: Browser, live_server: str) -> tuple[BrowserContext, Page]:
    """The demo agent, signed in in a browser of their own, with the workspace open."""
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, email=DEMO_AGENT_EMAIL, password=DEMO_ADMIN_PASSWORD)
    expect(page).to_have_url(f"{live_server}/agent")
    return context, page


def can_sign_in(browser: Browser, live_server: str, password: str) -> bool:
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, live_server, email=DEMO_AGENT_EMAIL, password=password)
        return page.url == f"{live_server}/agent"
    finally:
        context.close()


def accept_next_dialog(page: Page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())


# -- users -----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_an_admin_edits_a_user_and_changes_their_role(admin_page, live_server, browser,
                                                      app, locale):
    w = WORDS[locale]
    agent_context, agent = agent_browser(browser, live_server)
    try:
        agent.goto(f"{live_server}/admin/users")
        expect(agent.get_by_role("heading", level=1)).to_have_text(
            WORDS["en"]["for_admins"])

        page = admin_page
        choose_language(page, locale)
        page.goto(f"{live_server}/admin/users")
        page.get_by_role("link", name=w["edit_agent"]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Alex Agent")
        page.get_by_label(w["name"], exact=True).fill("Alex <Lead>")
        page.get_by_label(w["email"], exact=True).fill("Alex.Lead@Example.com")
        page.get_by_label(w["role"]).select_option("admin")
        page.get_by_role("button", name=w["save"], exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(f"alex.lead@example.com {w['saved']}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Alex <Lead>")

        page.goto(f"{live_server}/admin/users")
        row = page.get_by_role("row").filter(has_text="Alex <Lead>")
        expect(row).to_contain_text("alex.lead@example.com")
        expect(row).to_contain_text(w["admin"])

        # The agent's open browser is an admin's from their next click.
        agent.goto(f"{live_server}/admin/users")
        expect(agent.get_by_role("heading", level=1)).not_to_have_text(
            WORDS["en"]["for_admins"])
        expect(agent.get_by_role("row").filter(has_text="Alex <Lead>")).to_have_count(1)
    finally:
        agent_context.close()
    with app.state.db.unit_of_work() as db:
        lead = db.scalar(select(User).where(User.email == "alex.lead@example.com"))
        assert (lead.name, lead.role) == ("Alex <Lead>", "admin")


@pytest.mark.parametrize("locale", LOCALES)
def test_deactivating_a_user_signs_their_open_browser_out(admin_page, live_server, browser,
                                                          locale):
    w = WORDS[locale]
    agent_context, agent = agent_browser(browser, live_server)
    try:
        page = admin_page
        choose_language(page, locale)
        page.goto(f"{live_server}/admin/users")
        page.get_by_role("link", name=w["edit_agent"]).click()
        accept_next_dialog(page)
        page.get_by_role("button", name=w["deactivate"], exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(
            f"{DEMO_AGENT_EMAIL} {w['deactivated']}")

        agent.reload()
        expect(agent).to_have_url(re.compile(r"/login\?next=/agent$"))
        assert not can_sign_in(browser, live_server, DEMO_ADMIN_PASSWORD)
    finally:
        agent_context.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_an_admin_sets_a_users_password(admin_page, live_server, browser, locale):
    w = WORDS[locale]
    agent_context, agent = agent_browser(browser, live_server)
    try:
        page = admin_page
        choose_language(page, locale)
        page.goto(f"{live_server}/admin/users")
        page.get_by_role("link", name=w["edit_agent"]).click()
        page.get_by_label(w["new_password"]).fill(NEW_PASSWORD)
        accept_next_dialog(page)
        page.get_by_role("button", name=w["set_password"]).click()
        expect(page.get_by_role("status")).to_contain_text(
            f"{DEMO_AGENT_EMAIL} {w['has_new']}")

        agent.reload()  # their session ended with the old password
        expect(agent).to_have_url(re.compile(r"/login\?next=/agent$"))
    finally:
        agent_context.close()
    assert can_sign_in(browser, live_server, NEW_PASSWORD)
    assert not can_sign_in(browser, live_server, DEMO_ADMIN_PASSWORD)


def test_an_admin_has_a_password_made_up_and_copies_it(admin_page, live_server, browser):
    page = admin_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/admin/users")
    page.get_by_role("link", name="Edit Alex Agent").click()
    accept_next_dialog(page)
    page.get_by_role("button", name="Generate a password").click()
    made = page.locator("[data-generated-password]").inner_text()
    assert re.fullmatch(r"[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}", made), made
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator(".copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == made
    assert can_sign_in(browser, live_server, made)
    assert not can_sign_in(browser, live_server, DEMO_ADMIN_PASSWORD)


# -- one's own API tokens --------------------------------------------------------------------


def test_an_agent_makes_copies_and_revokes_a_token(page, live_server, demo):
    sign_in(page, live_server, email=DEMO_AGENT_EMAIL, password=DEMO_ADMIN_PASSWORD)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.get_by_role("link", name="Alex Agent").click()  # their name, in the top bar
    page.get_by_label("Token name").fill("Nightly export")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("[data-new-token]").inner_text()
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator(".copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    bearer = {"Authorization": f"Bearer {secret}"}
    me = page.request.get(f"{live_server}/api/v1/me", headers=bearer)
    assert me.status == 200 and me.json()["email"] == DEMO_AGENT_EMAIL

    page.goto(f"{live_server}/account")
    row = page.get_by_role("row").filter(has_text="Nightly export")
    when = re.compile(r"^\d+ \w+ \d{4}, \d\d:\d\d UTC$")  # the account's zone: UTC
    expect(row.get_by_role("cell").nth(1)).to_have_text(when)  # created
    expect(row.get_by_role("cell").nth(2)).to_have_text(when)  # last used: just now
    page.once("dialog", lambda dialog: dialog.dismiss())  # asked first: no
    row.get_by_role("button", name="Revoke token Nightly export").click()
    assert page.request.get(f"{live_server}/api/v1/me", headers=bearer).status == 200
    accept_next_dialog(page)
    row.get_by_role("button", name="Revoke token Nightly export").click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    assert page.request.get(f"{live_server}/api/v1/me", headers=bearer).status == 401


# -- an agent in the admin -------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_an_agent_is_kept_out_of_the_admin_with_a_clear_page(page, live_server, demo, locale):
    w = WORDS[locale]
    sign_in(page, live_server, email=DEMO_AGENT_EMAIL, password=DEMO_ADMIN_PASSWORD)
    choose_language(page, locale)
    nav = page.get_by_role("navigation", name=re.compile("Main|Principal"))
    expect(nav.get_by_role("link")).to_have_text([w["workspace"]])  # no admin links
    assert page.locator(".topbar a[href^='/admin']").count() == 0

    for path in ("/admin", "/admin/proactive-messages", "/admin/channels", "/admin/users",
                 "/admin/settings", "/admin/schedules/new"):
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text(w["for_admins"])
        expect(nav.get_by_role("link")).to_have_text([w["workspace"]])
    page.get_by_role("link", name=w["back"]).click()
    expect(page).to_have_url(f"{live_server}/agent")


# -- channels: the snippet and the secret ----------------------------------------------------


def channel_secret(app) -> str:
    with app.state.db.unit_of_work() as db:
        return db.scalar(select(Channel.jwt_secret).where(Channel.key == DEMO_CHANNEL_KEY))


def open_demo_channel(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/admin/channels")
    page.get_by_role("link", name="Acme website").click()


def test_the_embed_snippet_is_copied_to_the_clipboard(admin_page, live_server):
    page = admin_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    open_demo_channel(page, live_server)
    snippet = (f'<script src="{live_server}/widget.js" data-channel="{DEMO_CHANNEL_KEY}" '
               f'async></script>')
    expect(page.locator("#embed-snippet")).to_have_text(snippet)
    page.get_by_role("button", name="Copy snippet").click()
    expect(page.locator("#install-title ~ .copy-line .copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == snippet


def test_without_the_clipboard_api_the_snippet_is_selected(admin_page, live_server):
    page = admin_page
    # A browser without navigator.clipboard (an older one, or a page served over plain HTTP).
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    open_demo_channel(page, live_server)
    page.get_by_role("button", name="Copy snippet").click()
    status = page.locator("#install-title ~ .copy-line .copy-status")
    expect(status).to_have_text(re.compile(r"^(Copied|Selected: press Ctrl\+C)"))
    assert page.evaluate("String(window.getSelection())") == (
        f'<script src="{live_server}/widget.js" data-channel="{DEMO_CHANNEL_KEY}" '
        f'async></script>')


@pytest.mark.parametrize("locale", LOCALES)
def test_the_identity_secret_is_revealed_on_request(admin_page, live_server, app, locale):
    w = WORDS[locale]
    page = admin_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    choose_language(page, locale)
    secret = channel_secret(app)
    open_demo_channel(page, live_server)
    assert secret not in page.content()
    expect(page.locator("#channel-secret")).to_be_hidden()
    expect(page.get_by_role("button", name=w["copy_secret"])).to_be_hidden()

    page.get_by_role("button", name=w["reveal"]).click()
    expect(page.locator("#channel-secret")).to_have_text(secret)
    page.get_by_role("button", name=w["copy_secret"]).click()
    expect(page.locator(".secret-actions .copy-status")).to_have_text(w["copied"])
    assert page.evaluate("navigator.clipboard.readText()") == secret

    page.get_by_role("button", name=w["hide"]).click()
    expect(page.locator("#channel-secret")).to_be_hidden()
    assert secret not in page.content()
    page.reload()
    assert secret not in page.content()


def test_a_rotated_secret_is_revealed_anew(admin_page, live_server, app):
    page = admin_page
    open_demo_channel(page, live_server)
    page.get_by_role("button", name="Reveal").click()
    before = channel_secret(app)
    expect(page.locator("#channel-secret")).to_have_text(before)
    accept_next_dialog(page)
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("status")).to_contain_text("A new identity secret was made")
    expect(page.locator("#channel-secret")).to_be_hidden()
    page.get_by_role("button", name="Reveal").click()
    after = channel_secret(app)
    assert after != before
    expect(page.locator("#channel-secret")).to_have_text(after)


# -- schedules -------------------------------------------------------------------------------


@pytest.fixture
def browser_context_args(browser_context_args):
    # The browser's own zone is what a new schedule offers first.
    return {**browser_context_args, "timezone_id": "Asia/Tokyo"}


def rows(page: Page, tbody: str):
    return page.locator(f"#{tbody} > tr")


@pytest.mark.parametrize("locale", LOCALES)
def test_a_schedule_is_made_with_rows_a_time_zone_and_holidays(admin_page, live_server, app,
                                                              locale):
    w = WORDS[locale]
    page = admin_page
    choose_language(page, locale)
    page.goto(f"{live_server}/admin/schedules/new")
    hours, holidays = rows(page, "interval-rows"), rows(page, "holiday-rows")
    expect(hours).to_have_count(0)  # no spare rows once the script runs
    expect(page.get_by_text(w["no_hours"])).to_be_visible()
    zone = page.get_by_label(w["time_zone"])
    expect(zone).to_have_value("Asia/Tokyo")  # the browser's zone, for a new schedule
    zone.select_option("America/Sao_Paulo")

    page.get_by_label(w["name"], exact=True).fill("Support <hours>")
    page.get_by_role("button", name=w["add_hours"]).click()
    expect(hours).to_have_count(1)
    expect(hours.nth(0).get_by_label(w["day"])).to_be_focused()
    hours.nth(0).get_by_label(w["start"]).fill("09:00")
    hours.nth(0).get_by_label(w["end"]).fill("17:00")
    # The next row: the next day, at the same times.
    page.get_by_role("button", name=w["add_hours"]).click()
    page.get_by_role("button", name=w["add_hours"]).click()
    expect(hours).to_have_count(3)
    expect(hours.nth(1).get_by_label(w["day"])).to_have_value("1")
    expect(hours.nth(2).get_by_label(w["day"])).to_have_value("2")
    expect(hours.nth(2).get_by_label(w["start"])).to_have_value("09:00")
    hours.nth(2).get_by_label(w["end"]).fill("12:00")
    expect(page.get_by_text(w["no_hours"])).to_be_hidden()
    page.get_by_role("button", name=w["remove_hours"].format(n=2)).click()
    expect(hours).to_have_count(2)
    expect(page.get_by_role("button", name=w["remove_hours"].format(n=3))).to_have_count(0)

    page.get_by_role("button", name=w["add_holiday"]).click()
    page.get_by_role("button", name=w["add_holiday"]).click()
    expect(holidays).to_have_count(2)
    holidays.nth(0).get_by_label(w["holiday_name"]).fill("Carnival")
    holidays.nth(0).get_by_label(w["first_day"]).fill("2027-02-08")
    holidays.nth(0).get_by_label(w["last_day"]).fill("2027-02-09")
    holidays.nth(1).get_by_label(w["holiday_name"]).fill("Not this one")
    page.get_by_role("button", name=w["remove_holiday"].format(n=2)).click()
    expect(holidays).to_have_count(1)

    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(w["created"])
    with app.state.db.unit_of_work() as db:
        made = db.scalar(select(Schedule).where(Schedule.name == "Support <hours>"))
        assert made.timezone == "America/Sao_Paulo"
        assert made.intervals == [{"weekday": 0, "start": "09:00", "end": "17:00"},
                                  {"weekday": 2, "start": "09:00", "end": "12:00"}]
        assert made.holidays == [{"name": "Carnival", "first_day": "2027-02-08",
                                  "last_day": "2027-02-09"}]
        schedule_id = made.id

    # Opened again: its rows, its zone; a saved schedule keeps its zone, not the browser's.
    page.goto(f"{live_server}/admin/schedules/{schedule_id}")
    expect(hours).to_have_count(2)
    expect(holidays).to_have_count(1)
    expect(page.get_by_label(w["time_zone"])).to_have_value("America/Sao_Paulo")


@pytest.mark.parametrize("locale", LOCALES)
def test_overlapping_hours_are_marked_on_their_rows(admin_page, live_server, locale):
    w = WORDS[locale]
    page = admin_page
    choose_language(page, locale)
    page.goto(f"{live_server}/admin/schedules/new")
    page.get_by_label(w["name"], exact=True).fill("Office")
    page.get_by_label(w["time_zone"]).select_option("Europe/Lisbon")
    hours = rows(page, "interval-rows")
    for start, end in (("09:00", "12:00"), ("11:00", "13:00")):
        page.get_by_role("button", name=w["add_hours"]).click()
        row = hours.last
        row.get_by_label(w["day"]).select_option("0")
        row.get_by_label(w["start"]).fill(start)
        row.get_by_label(w["end"]).fill(end)
    page.get_by_role("button", name=w["save"], exact=True).click()

    expect(hours).to_have_count(2)  # what was typed, shown again
    second = hours.nth(1)
    expect(second.get_by_label(w["start"])).to_have_attribute("aria-invalid", "true")
    expect(second).to_contain_text(w["overlaps"])
    expect(hours.nth(0).get_by_label(w["day"])).to_be_focused()
    expect(page.get_by_label(w["time_zone"])).to_have_value("Europe/Lisbon")
