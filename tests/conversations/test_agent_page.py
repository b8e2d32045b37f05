"""The agent workspace page (/agent): who may open it, what it renders, and escaping."""

from __future__ import annotations

import json
import re

from markupsafe import escape

from overture.accounts.models import User
from overture.accounts.service import get_settings_row
from tests.conftest import PASSWORD, _password_hash, login


def _config(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="aw-config">(.*?)</script>', page, re.S)
    assert m, "no #aw-config blob in the page"
    return json.loads(m.group(1))


def test_the_page_needs_sign_in(client):
    r = client.get("/agent", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/agent"


def test_agents_get_the_workspace(client, agent):
    assert login(client, agent.email).status_code == 303
    r = client.get("/agent")
    assert r.status_code == 200
    page = r.text
    assert "<h1>Agent workspace</h1>" in page
    assert '<script src="/static/agent.js" defer></script>' in page
    # Landmarks and labelled controls.
    for needle in ('aria-labelledby="aw-queue-h"', 'aria-labelledby="aw-chat-h"',
                   '<aside class="aw-ticket"', '<label for="aw-draft">',
                   '<label for="aw-status">', '<label for="aw-tags">', 'aria-live="polite"'):
        assert needle in page
    # An agent takes tickets; the assignee picker and the admin link are for admins.
    assert 'id="aw-take"' in page
    assert 'id="aw-assign"' not in page
    assert 'href="/admin"' not in page
    config = _config(page)
    assert config["me"] == {"id": agent.id, "name": "Agent", "is_admin": False}
    assert config["csrf"] and config["csrf"] in page  # the same token as the page's forms
    assert config["strings"]["unassigned"] == "Unassigned"
    assert config["strings"]["visitor_ref"] == "Visitor {ref}"
    # The queue's search and views.
    assert '<label for="aw-q">Search the queue</label>' in page and 'role="search"' in page
    tabs = re.findall(r'role="tab" id="aw-view-(\w+)".*?class="aw-view-label">([^<]*)<', page,
                      re.S)
    assert tabs == [("mine", "Mine"), ("unassigned", "Unassigned"), ("open", "All open"),
                    ("solved", "Solved")]


def test_admins_get_the_workspace_with_a_picker_and_a_way_back(client, admin):
    login(client, admin.email)
    r = client.get("/agent")
    assert r.status_code == 200
    assert 'id="aw-assign"' in r.text
    assert '<a href="/admin">' in r.text
    assert _config(r.text)["me"]["is_admin"] is True


def test_a_notice_when_the_workspace_is_switched_off(client, agent, db):
    login(client, agent.email)
    assert 'id="aw-disabled"' not in client.get("/agent").text
    with db() as session:
        get_settings_row(session).agent_workspace_enabled = False
    r = client.get("/agent")
    assert r.status_code == 200  # still reachable: there may be tickets to finish
    assert 'id="aw-disabled"' in r.text
    assert "switched off" in r.text


def test_names_with_html_are_escaped(client, db):
    name = '</script><script>alert("x")</script><b>Bob</b>'
    with db() as session:
        get_settings_row(session)
        session.add(User(email="bob@example.test", name=name, password_hash=_password_hash(),
                         role="agent"))
    login(client, "bob@example.test", PASSWORD)
    page = client.get("/agent").text
    assert name not in page
    assert "<script>alert" not in page and "<b>Bob</b>" not in page
    assert str(escape(name)) in page  # the top bar shows it as text
    assert _config(page)["me"]["name"] == name  # and the script gets it intact, as data


def test_the_page_speaks_portuguese(client, agent):
    login(client, agent.email)
    client.post("/locale", data={"locale": "pt_BR", "next": "/agent",
                                 "csrf_token": _config(client.get("/agent").text)["csrf"]})
    page = client.get("/agent").text
    assert '<html lang="pt-BR">' in page
    assert "<h1>Espaço de trabalho do agente</h1>" in page
    assert '<h2 id="aw-queue-h">Fila</h2>' in page
    # The script's words come in the page's language too.
    strings = _config(page)["strings"]
    assert strings["unassigned"] == "Não atribuído"
    assert strings["author_sender"] == "Mensagem proativa"
    assert "{n}" in strings["count_open_other"]  # slots survive translation
