"""Settings that don't surprise and the list at scale, in a real browser, in both languages.

Switching messaging off names the live messages it stops and waits for a confirmation;
switched back on, the list publishes them again in one step. The list searches, filters and
goes from page to page; its times are in the account's zone, named; the top bar holds on one
line at 1280 px in Portuguese as in English.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from overture.accounts.service import get_settings_row
from overture.channels.models import Channel
from overture.demo.service import DEMO_CHANNEL_KEY
from overture.proactive.models import ProactiveMessage
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import choose_language

LIST = "/admin/proactive-messages"
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

WORDS = {
    "en": {
        "turn_off": "Turn off messaging?",
        "stop": "Turn off and stop 2 messages",
        "stopped": "2 live messages stopped",
        "error": "Contains errors", "live": "Live",
        "ready": "2 messages can be published again",
        "offer": "2 messages in Contains errors have no problems any more",
        "publish_again": "Publish again (2 messages)",
        "published": "Published again: 2 messages.",
        "messaging": "Messaging", "save": "Save",
        "search": "Search by name", "status": "Status", "channel": "Channel", "filter": "Filter",
        "next": "Next", "previous": "Previous", "page_2": "Page 2 of 2", "count_2": "51–60 of 60",
        "zone": "Times are in America/Sao_Paulo.", "time_zone": "Time zone",
        "name": "Name",
    },
    "pt_BR": {
        "turn_off": "Desativar as mensagens?",
        "stop": "Desativar e parar 2 mensagens",
        "stopped": "2 mensagens em uso foram paradas",
        "error": "Contém erros", "live": "Em uso",
        "ready": "2 mensagens podem ser publicadas novamente",
        "offer": "2 mensagens em “Contém erros” não têm mais problemas",
        "publish_again": "Publicar novamente (2 mensagens)",
        "published": "Publicadas novamente: 2 mensagens.",
        "messaging": "Mensagens", "save": "Salvar",
        "search": "Pesquisar por nome", "status": "Status", "channel": "Canal",
        "filter": "Filtrar", "next": "Próxima", "previous": "Anterior",
        "page_2": "Página 2 de 2", "count_2": "51–60 de 60",
        "zone": "Horários em America/Sao_Paulo.", "time_zone": "Fuso horário",
        "name": "Nome",
    },
}


@pytest.fixture
def browser_context_args(browser_context_args):
    # axe-core is injected as a script: the pages' policy would refuse it.
    return {**browser_context_args, "bypass_csp": True}


def add_messages(app, specs: list[tuple[str, str]]) -> None:
    """Messages (name, status) on the demo's widget, complete, updated a minute apart from
    12:00 UTC on 20 Nov 2026; the ready-made drafts are not created."""
    with app.state.db.unit_of_work() as session:
        get_settings_row(session).drafts_seeded = True
        channel = session.scalar(select(Channel).where(Channel.key == DEMO_CHANNEL_KEY))
        for i, (name, status) in enumerate(specs):
            session.add(ProactiveMessage(
                name=name, brand_id=channel.brand_id, channel_id=channel.id, message="Hello",
                response={"type": "agent", "collect": [], "follow_up": "Thanks"},
                conditions={"all": []}, trigger={"event": "page_load"}, tags=[],
                timing={"when": "any_time"}, status=status,
                updated_at=T0 + timedelta(minutes=i)))


def row(page: Page, name: str):
    return page.locator("table.proactive-list tbody tr", has=page.get_by_role(
        "link", name=name, exact=True))


def names(page: Page):
    return page.locator("table.proactive-list tbody td.name")


@pytest.mark.parametrize("locale", ["en", "pt_BR"])
def test_turning_messaging_off_names_what_stops_and_publish_again_brings_it_back(
        admin_page: Page, live_server: str, app, locale: str):
    words = WORDS[locale]
    page = admin_page
    add_messages(app, [("Welcome back", "live"), ('Fish & "Chips" <b>', "live"),
                       ("Half done", "draft")])
    # Live messages the demo may have of its own are stopped and brought back too.
    page.goto(f"{live_server}{LIST}?status=live")
    live = names(page).all_inner_texts()
    assert {"Welcome back", 'Fish & "Chips" <b>'} <= set(live)
    if len(live) != 2:
        words = {**words, **{k: v.replace("2", str(len(live))) for k, v in words.items()
                             if k in ("stop", "stopped", "ready", "offer", "publish_again",
                                      "published")}}

    page.goto(f"{live_server}/admin/settings")
    choose_language(page, locale)
    page.get_by_label(words["messaging"], exact=True).uncheck()
    page.get_by_role("button", name=words["save"]).click()

    # The confirmation names every live message, and only them; nothing is off yet.
    expect(page.get_by_role("heading", level=1)).to_have_text(words["turn_off"])
    named = page.locator("ul.stopped-names li")
    expect(named).to_have_text(sorted(live, key=str.lower))
    expect(named.filter(has_text="Half done")).to_have_count(0)
    assert_accessible(page, f"the confirmation of switching messaging off ({locale})")
    page.goto(f"{live_server}{LIST}")
    expect(row(page, "Welcome back").locator(".badge")).to_have_text(words["live"])

    # Confirmed: off, and the messages stopped.
    page.goto(f"{live_server}/admin/settings")
    page.get_by_label(words["messaging"], exact=True).uncheck()
    page.get_by_role("button", name=words["save"]).click()
    page.get_by_role("button", name=words["stop"]).click()
    expect(page.locator(".flash")).to_contain_text(words["stopped"])
    expect(page.get_by_label(words["messaging"], exact=True)).not_to_be_checked()
    page.goto(f"{live_server}{LIST}")
    expect(row(page, "Welcome back").locator(".badge")).to_have_text(words["error"])
    expect(page.locator("section.republish")).to_have_count(0)

    # Back on: the settings say how many can come back; the list offers them in one step.
    page.goto(f"{live_server}/admin/settings")
    page.get_by_label(words["messaging"], exact=True).check()
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator(".flash")).to_contain_text(words["ready"])
    page.goto(f"{live_server}{LIST}")
    offer = page.locator("section.republish")
    expect(offer.get_by_role("heading")).to_have_text(words["offer"])
    expect(offer.get_by_role("link", name='Fish & "Chips" <b>')).to_be_visible()
    assert_accessible(page, f"the list offering to publish again ({locale})")
    offer.get_by_role("button", name=words["publish_again"]).click()
    expect(page.locator(".flash")).to_contain_text(words["published"])
    expect(page.locator("section.republish")).to_have_count(0)
    for name in live:
        expect(row(page, name).locator(".badge")).to_have_text(words["live"])
    expect(row(page, "Half done").locator(".badge")).not_to_have_text(words["live"])


@pytest.mark.parametrize("locale", ["en", "pt_BR"])
def test_the_list_searches_filters_and_goes_from_page_to_page(admin_page: Page,
                                                              live_server: str, app,
                                                              locale: str):
    words = WORDS[locale]
    page = admin_page
    add_messages(app, [(f"Offer {i:03}", "live" if i % 2 else "draft") for i in range(120)]
                 + [("Welcome back", "live")])
    page.goto(f"{live_server}{LIST}")
    choose_language(page, locale)
    expect(names(page)).to_have_count(50)

    page.get_by_label(words["search"]).fill("OFFER")
    page.get_by_label(words["status"], exact=True).select_option("live")
    page.get_by_role("button", name=words["filter"], exact=True).click()
    expect(page).to_have_url(re.compile(r"q=OFFER.*status=live"))
    expect(names(page)).to_have_count(50)
    expect(names(page).first).to_have_text("Offer 119")  # newest first

    # Sorting by name keeps the filters, from the first page.
    page.locator('th[data-column="name"] a').click()
    expect(names(page).first).to_have_text("Offer 001")
    expect(page.get_by_label(words["search"])).to_have_value("OFFER")

    page.get_by_role("link", name=words["next"], exact=True).click()
    expect(page.locator(".pager")).to_contain_text(words["page_2"])
    expect(page.locator(".list-count")).to_have_text(words["count_2"])
    expect(names(page)).to_have_text([f"Offer {i:03}" for i in range(101, 120, 2)])
    assert_accessible(page, f"the list filtered, on its second page ({locale})")
    page.get_by_role("link", name=words["previous"], exact=True).click()
    expect(names(page).first).to_have_text("Offer 001")

    # A channel with none of them: nothing matches, said in words.
    page.get_by_label(words["channel"], exact=True).select_option(label="Acme website")
    page.get_by_role("button", name=words["filter"], exact=True).click()
    expect(names(page).first).to_have_text("Offer 001")
    page.get_by_label(words["search"]).fill("WELCOME b")
    page.get_by_label(words["status"], exact=True).select_option("")
    page.get_by_role("button", name=words["filter"], exact=True).click()
    expect(names(page)).to_have_text(["Welcome back"])


@pytest.mark.parametrize("locale", ["en", "pt_BR"])
def test_times_are_shown_in_the_account_zone_chosen_in_settings(admin_page: Page,
                                                                 live_server: str, app,
                                                                 locale: str):
    words = WORDS[locale]
    page = admin_page
    add_messages(app, [("Welcome back", "live")])  # updated at 12:00 UTC on 20 Nov 2026
    page.goto(f"{live_server}/admin/settings")
    choose_language(page, locale)
    page.get_by_label(words["time_zone"]).select_option("America/Sao_Paulo")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_label(words["time_zone"])).to_have_value("America/Sao_Paulo")

    page.goto(f"{live_server}{LIST}")
    when = row(page, "Welcome back").locator("td.when time")
    month = "Nov" if locale == "en" else "nov."
    expect(when).to_have_text(f"20 {month} 2026, 09:00 UTC-3")
    expect(when).to_have_attribute("title", "America/Sao_Paulo")
    expect(page.locator(".list-meta")).to_contain_text(words["zone"])


ADMIN_PAGES = ("/admin", LIST, "/admin/settings", "/admin/channels", "/admin/users")


def test_the_top_bar_holds_on_one_line_at_1280_px_in_portuguese_as_in_english(
        admin_page: Page, live_server: str):
    page = admin_page
    page.set_viewport_size({"width": 1280, "height": 800})

    def measure() -> dict[str, float]:
        heights = {}
        for path in ADMIN_PAGES:
            page.goto(live_server + path)
            bar = page.locator(".topbar")
            heights[path] = bar.bounding_box()["height"]
            # Nothing hidden: every link and control of the bar is shown, on the bar's one row.
            tops = {round(box["y"] + box["height"] / 2) for box in (
                item.bounding_box() for item in bar.locator(
                    ".brand-mark, .mainnav a, #locale-select, .who, button").all())}
            assert max(tops) - min(tops) <= 4, (path, tops)
        return heights

    english = measure()
    page.goto(live_server + "/admin")
    choose_language(page, "pt_BR")
    expect(page.locator(".mainnav")).to_contain_text("Configurações")
    portuguese = measure()
    assert portuguese == english
    assert set(english.values()) == {english["/admin"]}
