"""The proactive-message editor that helps, in a real browser, in English and Portuguese:
refusals that mark each field (by its label, beside it, focused), a refused publish said as an
error, test-a-visit on what is on the screen, a question before unsaved changes are lost, tags
checked as they are typed, removal buttons that say what they remove, languages by name, Save
always within reach, and ready-made drafts in the account's language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_accessible

BASE = "/admin/proactive-messages"

WORDS = {
    "en": {
        "trigger": "Set the minutes and seconds to a time from 1 second to 60 minutes.",
        "trigger_label": "Time on the page (minutes and seconds)",
        "row_label": "Condition 2 (Visit count), Value",
        "empty_number": "value must be a whole number; it is empty",
        "created": "Proactive message created.",
        "not_published": "Not published.",
        "write": "Write the message.",
        "tag_space": "“vip customer” has a space: a tag is one word.",
        "remove_condition": "Remove condition 2 (Device type)",
        "remove_first": "Remove condition 1 (Page URL)",
        "remove_nested": "Remove condition 1 (Language) from nested group 1",
        "remove_group": "Remove group 1",
        "remove_value": "Remove value 2 (/plans)",
        "nested_group": "Nested group 1",
        "pt_br": "Portuguese (Brazil)",
        "leave": "Leave this page? Your unsaved changes to this message will be lost.",
        "unsaved": "Unsaved changes",
    },
    "pt_BR": {
        "trigger": "Ajuste os minutos e os segundos para um tempo de 1 segundo a 60 minutos.",
        "trigger_label": "Tempo na página (minutos e segundos)",
        "row_label": "Condição 2 (Número de visitas), Valor",
        "empty_number": "o valor precisa ser um número inteiro; está vazio",
        "created": "Mensagem proativa criada.",
        "not_published": "Não publicada.",
        "write": "Escreva a mensagem.",
        "tag_space": "“vip customer” tem um espaço: uma tag é uma palavra só.",
        "remove_condition": "Remover condição 2 (Tipo de dispositivo)",
        "remove_first": "Remover condição 1 (URL da página)",
        "remove_nested": "Remover condição 1 (Idioma) do grupo aninhado 1",
        "remove_group": "Remover grupo 1",
        "remove_value": "Remover valor 2 (/plans)",
        "nested_group": "Grupo aninhado 1",
        "pt_br": "Português (Brasil)",
        "leave": "Sair desta página? As alterações não salvas desta mensagem serão perdidas.",
        "unsaved": "Alterações não salvas",
    },
}
LANGUAGES = pytest.mark.parametrize("language", ["en", "pt_BR"])


@pytest.fixture
def browser_context_args(browser_context_args):
    # axe-core is put into the page by the test; the page's own policy still runs no inline
    # script of its own (tests/e2e/test_page_policy.py).
    return {**browser_context_args, "bypass_csp": True}
ERROR_RED = "rgb(253, 236, 234)"  # .error's background


def open_editor(page: Page, live_server: str, language: str = "en", path: str = "/new") -> dict:
    """The editor in the admin's language (chosen with the top bar's menu); its words."""
    page.goto(f"{live_server}/admin")
    if language != "en":
        page.locator("#locale-select").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language.replace("_", "-"))
    page.goto(f"{live_server}{BASE}{path}")
    return WORDS[language]


def rows(page: Page):
    return page.locator(".cb-root > .cb-list > .cb-row")


def add_condition(page: Page):
    """A new top-level condition (Page URL contains …): its row."""
    count = rows(page).count()
    page.locator(".cb-root > .cb-actions .cb-add").click()
    expect(rows(page)).to_have_count(count + 1)
    return rows(page).nth(count)


def save(page: Page) -> None:
    page.locator("#pe-save").click()
    page.wait_for_load_state()


@LANGUAGES
def test_a_bad_trigger_marks_the_minutes_and_seconds(admin_page: Page, live_server: str,
                                                     language: str):
    page = admin_page
    words = open_editor(page, live_server, language)
    page.locator("#pe-name").fill("Timed")
    page.locator('input[name="pe-trigger"][value="on_page"]').check()
    page.locator("#pe-minutes").fill("0")
    page.locator("#pe-seconds").fill("0")
    save(page)

    errors = page.locator("#pe-errors")
    expect(errors).to_have_attribute("role", "alert")
    expect(errors).to_contain_text(f"{words['trigger_label']}: {words['trigger']}")
    expect(errors).not_to_contain_text("trigger.")
    for box in ("#pe-minutes", "#pe-seconds"):
        expect(page.locator(box)).to_have_attribute("aria-invalid", "true")
        expect(page.locator(box)).to_have_accessible_description(re.compile(re.escape(
            words["trigger"])))
    expect(page.locator("#pe-minutes")).to_be_focused()
    expect(page.locator("#pe-name")).to_have_value("Timed")  # what was typed is kept

    page.locator("#pe-seconds").fill("20")
    save(page)
    expect(page.locator(".flash")).to_have_text(words["created"])
    expect(page.locator("#pe-minutes")).not_to_have_attribute("aria-invalid", "true")


@LANGUAGES
def test_a_bad_condition_marks_its_row(admin_page: Page, live_server: str, language: str):
    page = admin_page
    words = open_editor(page, live_server, language)
    page.locator("#pe-name").fill("Counted")
    first = add_condition(page)
    first.locator(".cb-value").first.fill("/pricing")
    second = add_condition(page)
    second.locator(".cb-field").select_option("visit_count")
    second.locator(".cb-value").fill("")
    save(page)

    expect(page.locator("#pe-errors")).to_contain_text(
        f"{words['row_label']}: {words['empty_number']}")
    expect(page.locator("#pe-errors")).not_to_contain_text("conditions.")
    bad = rows(page).nth(1)
    expect(bad).to_have_class(re.compile(r"\bcb-row-invalid\b"))
    expect(bad.locator(".cb-errors")).to_have_text(words["empty_number"])
    expect(bad.locator(".cb-value")).to_have_attribute("aria-invalid", "true")
    expect(bad.locator(".cb-value")).to_be_focused()
    # Every input of the row is described by the row's message; the good row is untouched.
    for part in (".cb-field", ".cb-operator", ".cb-value"):
        expect(bad.locator(part)).to_have_accessible_description(words["empty_number"])
    expect(rows(page).nth(0).locator(".cb-field")).not_to_have_attribute("aria-invalid", "true")
    expect(rows(page).nth(0)).not_to_have_class(re.compile(r"cb-row-invalid"))
    # The builder's lists hold only list items (axe "list"), marked and all.
    assert_accessible(page, "the editor after a refused save", context="#proactive-editor")


@LANGUAGES
def test_a_refused_publish_is_an_error_not_a_success(admin_page: Page, live_server: str,
                                                     language: str):
    page = admin_page
    words = open_editor(page, live_server, language)
    page.locator("#pe-name").fill("Half done")
    save(page)
    expect(page.locator(".flash")).to_have_text(words["created"])
    page.locator('.pe-actions [data-action="publish"]').click()

    refusal = page.locator("#pe-refusal")
    expect(refusal).to_have_attribute("role", "alert")
    expect(refusal).to_contain_text(words["not_published"])
    expect(refusal).to_contain_text(words["write"])
    expect(refusal).to_have_css("background-color", ERROR_RED)
    expect(page.locator(".flash")).to_have_count(0)  # never in the success banner
    page.reload()
    expect(page.locator("#pe-refusal")).to_have_count(0)


def test_a_new_unsaved_message_is_tested_as_it_is_on_the_screen(admin_page: Page,
                                                                 live_server: str):
    page = admin_page
    open_editor(page, live_server)
    row = add_condition(page)
    row.locator(".cb-value").first.fill("/pricing")
    page.locator("#pe-test-url").fill("https://acme.test/pricing")
    page.get_by_role("button", name="Test", exact=True).click()
    result = page.locator("#pe-test-result")
    expect(result.locator(".tree-verdict")).to_have_text("✓ The conditions match this visit.")
    expect(result).to_contain_text("✓ Page URL contains /pricing")
    expect(result.locator(".reasons")).to_contain_text(
        "The message is Draft: visitors see it only while it is Live.")

    row.locator(".cb-value").first.fill("/plans")  # changed, not saved
    page.get_by_role("button", name="Test", exact=True).click()
    expect(result.locator(".tree-verdict")).to_have_text("✗ The conditions do not match this visit.")
    expect(result).to_contain_text("✗ Page URL contains /plans")
    expect(page).to_have_url(re.compile(r"/new$"))  # nothing was saved

    # A refusal names the panel's field by its label and marks it.
    page.locator("#pe-test-pages").fill("0")
    page.get_by_role("button", name="Test", exact=True).click()
    expect(result.locator('[role="alert"]')).to_contain_text("Pages in visit: must be at least 1")
    expect(page.locator("#pe-test-pages")).to_have_attribute("aria-invalid", "true")


def test_visit_history_follows_the_visit_count(admin_page: Page, live_server: str):
    page = admin_page
    open_editor(page, live_server)
    history, visits = page.locator("#pe-test-history"), page.locator("#pe-test-visits")
    expect(history).to_have_value("new")
    expect(visits).to_have_value("1")
    visits.fill("3")
    expect(history).to_have_value("returning")
    history.select_option("new")
    expect(visits).to_have_value("1")
    history.select_option("returning")
    expect(visits).to_have_value("2")
    visits.fill("1")
    expect(history).to_have_value("new")

    # And the test says what the visit says.
    row = add_condition(page)
    row.locator(".cb-field").select_option("visit_history")
    row.locator(".cb-value").select_option("returning")
    visits.fill("4")
    page.get_by_role("button", name="Test", exact=True).click()
    expect(page.locator("#pe-test-result .tree-verdict")).to_have_text(
        "✓ The conditions match this visit.")


@LANGUAGES
def test_leaving_with_unsaved_changes_asks_first(admin_page: Page, live_server: str,
                                                 language: str):
    page = admin_page
    words = open_editor(page, live_server, language)
    asked: list[tuple[str, str]] = []

    def answer(accept: bool):
        def handler(dialog):
            asked.append((dialog.type, dialog.message))
            dialog.accept() if accept else dialog.dismiss()
        return handler

    # Nothing changed: leaving asks nothing.
    free = answer(True)
    page.on("dialog", free)
    page.locator(".page-head a.button").click()
    expect(page).to_have_url(re.compile(rf"{BASE}$"))
    assert asked == []
    page.remove_listener("dialog", free)

    page.goto(f"{live_server}{BASE}/new")
    page.locator("#pe-name").fill("Not yet saved")
    expect(page.locator("#pe-unsaved")).to_have_text(words["unsaved"])

    # A link of the page asks in the page's words: staying keeps what was typed.
    stay = answer(False)
    page.on("dialog", stay)
    page.locator(".page-head a.button").click()
    expect(page.locator("#pe-name")).to_have_value("Not yet saved")
    assert asked == [("confirm", words["leave"])]
    page.remove_listener("dialog", stay)

    # Going elsewhere by the browser asks too (beforeunload), and leaving leaves.
    asked.clear()
    go = answer(True)
    page.on("dialog", go)
    page.goto(f"{live_server}/admin/brands")
    assert [kind for kind, _message in asked] == ["beforeunload"]
    page.remove_listener("dialog", go)

    # Once saved, nothing is lost: nothing is asked.
    asked.clear()
    page.goto(f"{live_server}{BASE}/new")
    page.locator("#pe-name").fill("Saved now")
    save(page)
    expect(page.locator("#pe-unsaved")).to_have_text("")
    page.goto(f"{live_server}/admin/brands")
    assert asked == []


def test_an_action_on_the_saved_message_asks_before_unsaved_changes_are_lost(
        admin_page: Page, live_server: str):
    page = admin_page
    open_editor(page, live_server)
    page.locator("#pe-name").fill("Saved name")
    save(page)
    page.locator("#pe-name").fill("Typed, not saved")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.locator('.pe-actions [data-action="clone"]').click()
    expect(page.locator("#pe-name")).to_have_value("Typed, not saved")
    assert asked == [WORDS["en"]["leave"]]
    expect(page.locator("h1")).to_contain_text("Saved name")


@LANGUAGES
def test_tags_are_checked_in_the_editor_by_the_servers_rule(admin_page: Page, live_server: str,
                                                            language: str):
    page = admin_page
    words = open_editor(page, live_server, language)
    page.locator("#pe-name").fill("Tagged")
    tags = page.locator("#pe-tags")
    tags.fill("vip customer, sales")
    problem = page.locator("#pe-tags-error")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text(words["tag_space"])
    expect(problem).to_contain_text("vip-customer")
    expect(tags).to_have_attribute("aria-invalid", "true")
    expect(tags).to_have_accessible_description(re.compile(re.escape(words["tag_space"])))

    page.locator("#pe-save").click()  # refused here: nothing is sent
    expect(tags).to_be_focused()
    expect(page).to_have_url(re.compile(r"/new$"))
    expect(page.locator(".flash")).to_have_count(0)

    tags.fill("Sales!")
    expect(problem).to_contain_text("“Sales!”")
    tags.fill(", ".join(f"t{n}" for n in range(21)))
    expect(problem).to_be_visible()
    tags.fill("vip-customer, Sales")
    expect(problem).to_be_hidden()
    expect(tags).not_to_have_attribute("aria-invalid", "true")
    save(page)
    expect(page.locator(".flash")).to_have_text(words["created"])
    expect(tags).to_have_value("vip-customer, sales")


@LANGUAGES
def test_the_builder_says_what_each_button_removes_and_names_languages(
        admin_page: Page, live_server: str, language: str):
    page = admin_page
    words = open_editor(page, live_server, language)
    first = add_condition(page)
    first.locator(".cb-value").first.fill("/pricing")
    first.locator(".cb-value-add").click()
    first.locator(".cb-value").nth(1).fill("/plans")
    second = add_condition(page)
    second.locator(".cb-field").select_option("device_type")
    third = add_condition(page)
    third.locator(".cb-field").select_option("visit_count")
    page.locator(".cb-root > .cb-actions .cb-add-nested").click()
    nested = page.locator(".cb-nested")
    nested.locator(".cb-row .cb-field").select_option("language")

    buttons = page.locator("#pe-conditions")
    for name in ("remove_first", "remove_condition", "remove_nested", "remove_group",
                 "remove_value"):
        expect(buttons.get_by_role("button", name=words[name], exact=True)).to_have_count(1)
    expect(page.get_by_role("group", name=words["nested_group"], exact=True)).to_be_visible()

    # The language condition offers languages by name, and names the one typed.
    value = nested.locator(".cb-value")
    expect(value).to_have_attribute("list", "pe-languages")
    option = page.locator('#pe-languages option[value="pt-BR"]')
    expect(option).to_have_attribute("label", words["pt_br"])
    assert page.locator("#pe-languages option").count() >= 20
    for tag in ("pt", "pt-PT", "en", "en-US", "es", "fr", "de"):
        expect(page.locator(f'#pe-languages option[value="{tag}"]')).to_have_count(1)
    value.fill("pt-BR")
    expect(nested.locator(".cb-language-name")).to_have_text(words["pt_br"])
    expect(value).to_have_accessible_description(words["pt_br"])

    # The value's button follows what is typed; removing says which and does it.
    first.locator(".cb-value").nth(1).fill("/planos")
    expect(buttons.get_by_role("button", name=words["remove_value"].replace(
        "/plans", "/planos"), exact=True)).to_have_count(1)
    buttons.get_by_role("button", name=words["remove_first"], exact=True).click()
    expect(rows(page)).to_have_count(2)
    expect(rows(page).first.locator(".cb-field")).to_have_value("device_type")
    assert_accessible(page, "the condition builder", context="#pe-conditions")


def test_save_is_within_reach_without_scrolling(admin_page: Page, live_server: str):
    page = admin_page
    page.set_viewport_size({"width": 1280, "height": 720})
    open_editor(page, live_server)
    save_button = page.locator("#pe-save")
    expect(save_button).to_be_in_viewport()
    for n in range(4):
        add_condition(page).locator(".cb-value").first.fill(f"/page-{n}")
    for heading in ("#pe-h-response", "#pe-h-conditions", "#pe-h-when", "#pe-h-tags"):
        page.locator(heading).scroll_into_view_if_needed()
        expect(save_button).to_be_in_viewport()
    page.locator("#pe-name").fill("Reached")
    page.locator("#pe-h-response").scroll_into_view_if_needed()
    save_button.click()
    expect(page.locator(".flash")).to_have_text("Proactive message created.")


def test_the_ready_made_drafts_follow_the_account_language(admin_page: Page,
                                                           live_server: str):
    page = admin_page
    page.goto(f"{live_server}/admin/settings")
    page.locator('select[name="default_locale"]').select_option("pt_BR")
    page.locator('form[action="/admin/settings"] button[type="submit"]').click()
    page.wait_for_load_state()
    open_editor(page, live_server, "pt_BR", path="")
    pricing = page.get_by_role("link", name="Oferecer ajuda na página de preços", exact=True)
    expect(pricing).to_have_count(1)
    expect(page.get_by_role("link", name="Cumprimentar quem visita pela primeira vez",
                            exact=True)).to_have_count(1)
    pricing.click()
    values = rows(page).first.locator(".cb-value")
    expect(values).to_have_count(4)
    assert {v.input_value() for v in values.all()} == {"/precos", "/planos", "/pricing",
                                                       "/plans"}
    expect(page.locator("#pe-tags")).to_have_value("proativa, precos")
    expect(page.locator("#pe-follow-up")).to_have_value(re.compile(r"^Obrigado"))


# -- the other admin forms ---------------------------------------------------------------

OTHER_FORMS = {
    "en": ("Allowed origins, line 2", "'not an origin' is not an origin like "
                                      "https://www.example.com"),
    "pt_BR": ("Origens permitidas, linha 2", "'not an origin' não é uma origem como "
                                              "https://www.example.com"),
}


@LANGUAGES
def test_the_other_admin_forms_mark_the_refused_field(admin_page: Page, live_server: str,
                                                       language: str):
    page = admin_page
    open_editor(page, live_server, language, path="")
    label, message = OTHER_FORMS[language]
    page.goto(f"{live_server}/admin/channels/new")
    page.locator('select[name="brand_id"]').select_option(index=1)
    page.locator('input[name="name"]').fill("Second site")
    page.locator('textarea[name="allowed_origins"]').fill("https://ok.example\nnot an origin")
    page.locator('input[name="name"]').press("Enter")  # the browser's own checks pass

    summary = page.locator("[data-form-errors]")
    expect(summary).to_contain_text(f"{label}: {message}")
    expect(summary).not_to_contain_text("allowed_origins")
    origins = page.locator('textarea[name="allowed_origins"]')
    expect(origins).to_have_attribute("aria-invalid", "true")
    expect(origins).to_have_accessible_description(re.compile(re.escape(message)))
    expect(origins).to_be_focused()
    expect(page.locator(".field-error")).to_have_text(message)
    expect(page.locator('input[name="name"]')).not_to_have_attribute("aria-invalid", "true")
