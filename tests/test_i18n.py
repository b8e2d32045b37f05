"""The Brazilian Portuguese catalogue: complete, consistent with the sources, and on screen.

(a) the .po file parses, has no fuzzy or untranslated entries, and keeps every placeholder;
(b) every string the sources mark for translation today is in it, translated — a new `_()`
    without a translation fails here;
(c) the proactive-messages pages use the SPEC §9 words in Portuguese and English.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from overture import i18n
from overture.proactive.service import STATUS_LABELS
from tests.conftest import csrf_from, login

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
LOCALE_DIR = SRC / "overture" / "locale"
PO = LOCALE_DIR / "pt_BR" / "LC_MESSAGES" / "messages.po"
API = "/api/v1/proactive-messages"

PY_FORMAT = re.compile(r"%\((\w+)\)[sdifr]")
JS_SLOT = re.compile(r"\{(\w+)\}")  # {n}-style slots the page scripts fill in


def _catalogue() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="pt_BR")


def _entries(cat: Catalog):
    for m in cat:
        if m.id:
            yield m


def _forms(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


# --- (a) the catalogue itself ------------------------------------------------------------


def test_catalogue_parses_and_is_complete():
    cat = _catalogue()
    entries = list(_entries(cat))
    assert len(entries) > 300  # the admin center, the editor and the agent workspace
    assert str(cat.locale) == "pt_BR"
    assert not cat.fuzzy, "the header is marked fuzzy"
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    untranslated = [m.id for m in entries if not all(_forms(m.string))]
    assert not untranslated, f"untranslated entries: {untranslated}"


def test_every_placeholder_survives_translation():
    bad = []
    for m in _entries(_catalogue()):
        ids, strings = _forms(m.id), _forms(m.string)
        wanted_py = set().union(*(PY_FORMAT.findall(s) for s in ids))
        wanted_js = set().union(*(JS_SLOT.findall(s) for s in ids))
        for s in strings:
            if set(PY_FORMAT.findall(s)) != wanted_py or set(JS_SLOT.findall(s)) != wanted_js:
                bad.append((m.id, s))
            # Templates format every string (newstyle gettext): a stray % would break the page.
            values = dict.fromkeys(wanted_py, "x")
            try:
                s % values
            except (TypeError, ValueError, KeyError):
                bad.append((m.id, s))
    assert not bad, f"placeholders lost or broken: {bad}"


def test_catalogue_is_valid_for_its_template():
    """messages.pot and the .po hold the same msgids (the .pot is kept up to date too)."""
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        pot = read_po(f)
    assert {(m.context, _forms(m.id)) for m in _entries(pot)} == {
        (m.context, _forms(m.id)) for m in _entries(_catalogue())}


# --- (b) the sources against the catalogue -----------------------------------------------


def _extracted() -> dict[tuple[str | None, str], list[str]]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    found: dict[tuple[str | None, str], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(SRC), method_map, options_map, keywords=DEFAULT_KEYWORDS):
        for msgid in _forms(message)[:1]:
            if msgid:
                found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


def test_extraction_sees_python_and_templates():
    places = {p.split(":")[0] for where in _extracted().values() for p in where}
    assert any(p.endswith(".py") for p in places)
    assert any("templates/admin/" in p for p in places)
    assert any("templates/agent/" in p for p in places)


def test_every_marked_string_is_translated():
    cat = _catalogue()
    missing = []
    for (context, msgid), where in sorted(_extracted().items(), key=lambda kv: kv[1][0]):
        m = cat.get(msgid, context=context)
        if m is None or m.fuzzy or not all(_forms(m.string)):
            missing.append(f"{where[0]}: {msgid!r}")
    assert not missing, ("not translated in pt_BR (run `make messages` and translate):\n"
                         + "\n".join(missing))


def test_labels_translated_through_a_variable_are_in_the_catalogue():
    # proactive/testvisit.py calls _(STATUS_LABELS[...]), which extraction cannot see.
    cat = _catalogue()
    for label in STATUS_LABELS.values():
        m = cat.get(label)
        assert m is not None and m.string, label


# --- the gettext functions -----------------------------------------------------------------


def test_gettext_follows_the_current_locale():
    token = i18n.current_locale.set("pt_BR")
    try:
        assert i18n.gettext("Proactive messages") == "Mensagens proativas"
        assert i18n.gettext("Delete %(what)s?") % {"what": "x"} == "Apagar x?"
        assert i18n.gettext("no such message, ever") == "no such message, ever"
        assert i18n.ngettext("one thing", "{n} things", 3) == "{n} things"
        assert i18n.pgettext("nowhere", "Live") == "Live"
    finally:
        i18n.current_locale.reset(token)
    assert i18n.gettext("Proactive messages") == "Proactive messages"


def test_plural_and_context_entries(tmp_path, monkeypatch):
    folder = tmp_path / "pt_BR" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: pt_BR\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        'msgid "%(n)s ticket"\nmsgid_plural "%(n)s tickets"\n'
        'msgstr[0] "%(n)s ticket"\nmsgstr[1] "%(n)s tickets (pt)"\n\n'
        'msgctxt "connection"\nmsgid "Live"\nmsgstr "Conectado"\n\n'
        'msgid "Live"\nmsgstr "Em uso"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "_DIR", tmp_path)
    i18n._catalog.cache_clear()
    token = i18n.current_locale.set("pt_BR")
    try:
        assert i18n.ngettext("%(n)s ticket", "%(n)s tickets", 0) == "%(n)s ticket"
        assert i18n.ngettext("%(n)s ticket", "%(n)s tickets", 1) == "%(n)s ticket"
        assert i18n.ngettext("%(n)s ticket", "%(n)s tickets", 2) == "%(n)s tickets (pt)"
        assert i18n.gettext("Live") == "Em uso"
        assert i18n.pgettext("connection", "Live") == "Conectado"
        assert i18n.npgettext("connection", "%(n)s ticket", "%(n)s tickets", 2) == "%(n)s tickets"
    finally:
        i18n.current_locale.reset(token)
        i18n._catalog.cache_clear()


# --- (c) on screen -------------------------------------------------------------------------

PT = {"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def _message(client, admin, name: str, status: str) -> int:
    h = admin.headers
    brand = client.post("/api/v1/brands", json={"name": f"Marca {name}"}, headers=h)
    assert brand.status_code == 201, brand.text
    channel = client.post("/api/v1/channels", headers=h, json={
        "brand_id": brand.json()["id"], "name": f"Site {name}", "kind": "web_widget"})
    assert channel.status_code == 201, channel.text
    r = client.post(API, headers=h, json={
        "name": name, "channel_id": channel.json()["id"],
        "message": "Precisa de ajuda, {{first_name}}?",
        "response": {"type": "agent", "collect": ["email"], "follow_up": "Obrigado!"},
        "conditions": {"all": [{"field": "page_url", "operator": "contains",
                                "value": ["/precos"]}]},
        "trigger": {"event": "page_load"}, "frequency": "once_per_visit", "priority": 1,
    })
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    if status in ("live", "paused"):
        assert client.post(f"{API}/{mid}/publish", headers=h).status_code == 200
    if status == "paused":
        assert client.post(f"{API}/{mid}/pause", headers=h).status_code == 200
    assert client.get(f"{API}/{mid}", headers=h).json()["status"] == status
    return mid


def _signed_in(client, admin):
    r = login(client, admin.email)
    assert r.status_code in (302, 303), r.text


def _cells(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def _script_words(html: str) -> list[str]:
    """The strings handed to the page's script as JSON (escaped, so not in the raw HTML)."""
    words: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str):
            words.append(value)

    for blob in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        walk(json.loads(blob))
    return words


def _in_language(html: str, locale: str) -> bool:
    """The page says which language it is in, and the language menu shows it as chosen."""
    return (f'<html lang="{locale.replace("_", "-")}">' in html
            and re.search(rf'<option value="{locale}"[^>]*\sselected[\s>]', html) is not None)


def _assert_list_page_in_portuguese(html: str) -> None:
    """Every SPEC §9 word of the list page in Portuguese, and none of them in English."""
    assert _in_language(html, "pt_BR") and not _in_language(html, "en")
    assert re.search(r"<h1>\s*Mensagens proativas\s*</h1>", html)
    for word in ("Nome", "Status", "Canal", "Enviada", "Aberta", "Respondida", "Atualizado em"):
        assert re.search(rf'<th scope="col"[^>]*>\s*<a [^>]*>{word}[<]', html), word
    for word in ("Rascunho", "Em uso", "Pausada"):
        assert re.search(rf'data-status="\w+">{word}</span>', html), word
    for word in ("Editar", "Clonar", "Publicar", "Apagar", "Pausar", "Retomar"):
        assert re.search(rf'data-action="\w+"[^>]*>{word}</', html), word
    for english in (">Proactive messages<", ">Name<", ">Channel<", ">Sent<", ">Opened<",
                    ">Replied<", ">Updated<", ">Draft<", ">Live<", ">Paused<", ">Edit<",
                    ">Clone<", ">Publish<", ">Pause<", ">Resume<", ">Delete<"):
        assert english not in html, english


def _three_messages(client, admin) -> None:
    _message(client, admin, "Rascunho de teste", "draft")
    _message(client, admin, "No ar", "live")
    _message(client, admin, "Em espera", "paused")


def test_list_page_in_portuguese(client, admin):
    _three_messages(client, admin)
    _signed_in(client, admin)
    r = client.get("/admin/proactive-messages", headers=PT)
    assert r.status_code == 200
    _assert_list_page_in_portuguese(_cells(r.text))


def test_choosing_portuguese_with_the_locale_form(client, admin):
    _three_messages(client, admin)
    _signed_in(client, admin)
    page = client.get("/admin/proactive-messages", headers=EN)
    assert _in_language(page.text, "en") and ">Paused<" in page.text
    r = client.post("/locale", data={"locale": "pt_BR", "csrf_token": csrf_from(page.text),
                                     "next": "/admin/proactive-messages"},
                    follow_redirects=False)
    assert r.status_code in (302, 303)
    html = client.get("/admin/proactive-messages", headers=EN).text  # the choice wins
    _assert_list_page_in_portuguese(_cells(html))


def test_list_page_in_english(client, admin):
    _message(client, admin, "Draft one", "draft")
    _message(client, admin, "Live one", "live")
    _message(client, admin, "Paused one", "paused")
    _signed_in(client, admin)
    html = _cells(client.get("/admin/proactive-messages", headers=EN).text)
    assert _in_language(html, "en") and not _in_language(html, "pt_BR")
    for word in ("Proactive messages", "Name", "Status", "Channel", "Sent", "Opened",
                 "Replied", "Updated"):
        assert word in html, word
    for word in ("Draft", "Live", "Paused"):
        assert re.search(rf'data-status="\w+">{word}</span>', html), word
    for word in ("Edit", "Clone", "Publish", "Delete", "Pause", "Resume"):
        assert re.search(rf'data-action="\w+"[^>]*>{word}</', html), word
    for portuguese in ("Mensagens proativas", "Rascunho", "Em uso", "Pausada", "Editar",
                       "Atualizado em"):
        assert portuguese not in html, portuguese


EDITOR_WORDS = {
    "Adicionar condição": "Add condition",
    "Adicionar condição aninhada": "Add nested condition",
    "Resposta do agente": "Agent response",
    "Resposta do bot": "Bot response",
    "A qualquer hora": "Any time",
    "Durante o horário de operação": "During business hours",
    "Fora do horário de operação": "Outside business hours",
    "Apenas uma vez": "Once per customer",
    "Uma vez por visita": "Once per visit",
    "Sempre que as condições forem atendidas": "Every time the conditions are met",
    "Visitante carrega a página": "Visitor loads the page",
    "Visitante está na página": "Visitor is on the page",
}


@pytest.mark.parametrize("path", ["existing", "new"])
def test_editor_in_portuguese(client, admin, path):
    mid = _message(client, admin, "No ar", "live")
    _signed_in(client, admin)
    url = f"/admin/proactive-messages/{mid}" if path == "existing" else \
        "/admin/proactive-messages/new"
    r = client.get(url, headers=PT)
    assert r.status_code == 200
    html = r.text
    script = _script_words(html)
    for word in EDITOR_WORDS:
        assert word in html or word in script, word
    # the condition builder is drawn by the script, from the JSON blob
    assert {"Adicionar condição", "Adicionar condição aninhada"} <= set(script)
    assert not {"Add condition", "Add nested condition"} & set(script)
    for english in EDITOR_WORDS.values():
        assert f">{english}<" not in html and f"> {english}<" not in html, english
    if path == "existing":
        assert ">Em uso<" in html and ">Pausar<" in html and ">Clonar<" in html
        for word in ("Enviada", "Aberta", "Respondida", "Canal"):
            assert word in html, word


def test_editor_in_english(client, admin):
    mid = _message(client, admin, "Live one", "live")
    _signed_in(client, admin)
    html = client.get(f"/admin/proactive-messages/{mid}", headers=EN).text
    script = _script_words(html)
    for word in EDITOR_WORDS.values():
        assert word in html or word in script, word
    for word in EDITOR_WORDS:
        assert word not in html and word not in script, word


def test_our_own_validation_message_in_portuguese(client, admin):
    """A message raised by a validator (not one of pydantic's) follows the chosen language."""
    brand = client.post("/api/v1/brands", json={"name": "Marca origem"}, headers=admin.headers)
    assert brand.status_code == 201, brand.text
    _signed_in(client, admin)
    page = client.get("/admin/channels/new", headers=EN)
    r = client.post("/locale", data={"locale": "pt_BR", "csrf_token": csrf_from(page.text),
                                     "next": "/admin/channels/new"}, follow_redirects=False)
    assert r.status_code in (302, 303)
    form = client.get("/admin/channels/new", headers=EN)
    r = client.post("/admin/channels/new", data={
        "csrf_token": csrf_from(form.text), "brand_id": str(brand.json()["id"]),
        "name": "Site", "kind": "web_widget", "allowed_origins": "example.com",
        "color": "#1f73b7"})
    assert r.status_code == 422, r.text
    assert "não é uma origem como https://www.example.com" in r.text
    assert "is not an origin like" not in r.text
