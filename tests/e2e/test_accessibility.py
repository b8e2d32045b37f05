"""axe-core over every page a person uses: the sign-in page, each admin page (lists and forms,
the message editor, the bot pages and the flow editor, the webhook pages), /account, the agent
workspace with a ticket open, and the widget on the demo site (bubble, messenger with a
conversation, a bot's buttons). No serious or critical violation is allowed; a failure names
each rule, its impact, its help text and the elements it was found on.

axe-core is read from .cache/axe/ (`make axe`, a step of `make test`); nothing is fetched here.
Pages are opened with the Content-Security-Policy bypassed so that axe's script tag can be
added (the pages' own CSP forbids inline scripts, as it should).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from overture.accounts.models import User
from overture.accounts.service import create_token
from overture.bots.models import Bot, BotAnswer
from overture.brands.models import Brand
from overture.channels.models import Channel
from overture.conversations.models import Ticket
from overture.demo.service import (
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_PASSWORD,
    DEMO_AGENT_EMAIL,
    DEMO_CHANNEL_KEY,
)
from overture.proactive.models import ProactiveMessage
from overture.schedules.models import Schedule
from overture.webhooks import service as webhooks
from overture.webhooks.schemas import WebhookIn
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import choose_language, sign_in
from tests.e2e.widget_helpers import bubble, launcher, messenger, new_page
from tests.widget.helpers import Browser as WidgetClient
from tests.widget.helpers import new_id


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "bypass_csp": True}


@dataclass
class Ids:
    message: int
    brand: int
    channel: int
    schedule: int
    bot: int
    answer: int
    user: int
    webhook: int
    delivery: int


@pytest.fixture
def ids(app, demo) -> Ids:
    """The demo's records, and an API token of the admin's (listed on /account)."""
    with app.state.db.unit_of_work() as db:
        admin = db.scalar(select(User).where(User.email == DEMO_ADMIN_EMAIL))
        create_token(db, admin, "Reporting script")
        webhook = webhooks.create_webhook(db, WebhookIn(
            url="https://hooks.example.com/overture", description="CRM",
            events=["ticket.created", "conversation.message"]), allow_private=False)
        delivery = webhooks.ping(db, webhook)  # a pending delivery in its table
        return Ids(
            message=db.scalar(select(ProactiveMessage.id).where(
                ProactiveMessage.name == "Demo: welcome on the home page")),
            brand=db.scalar(select(Brand.id)),
            channel=db.scalar(select(Channel.id).where(Channel.key == DEMO_CHANNEL_KEY)),
            schedule=db.scalar(select(Schedule.id)),
            bot=db.scalar(select(Bot.id)),
            answer=db.scalar(select(BotAnswer.id).where(BotAnswer.name == "App help")),
            user=db.scalar(select(User.id).where(User.email == DEMO_AGENT_EMAIL)),
            webhook=webhook.id,
            delivery=delivery.id,
        )


# What each page shows once its script has drawn it.
READY = {
    "/admin/proactive-messages/new": ".cb-group",
    "/admin/proactive-messages/{message}": ".cb-group",
    "/admin/bots/{bot}/answers/{answer}": ".be-step",
}

ADMIN_PAGES = [
    "/admin",
    "/admin/proactive-messages",
    "/admin/proactive-messages/new",
    "/admin/proactive-messages/{message}",
    "/admin/brands",
    "/admin/brands/new",
    "/admin/brands/{brand}",
    "/admin/channels",
    "/admin/channels/new",
    "/admin/channels/{channel}",
    "/admin/schedules",
    "/admin/schedules/new",
    "/admin/schedules/{schedule}",
    "/admin/bots",
    "/admin/bots/new",
    "/admin/bots/{bot}",
    "/admin/bots/{bot}/answers/{answer}",
    "/admin/settings",
    "/admin/users",
    "/admin/users/{user}",
    "/admin/brands/{brand}/delete",
    "/admin/webhooks",
    "/admin/webhooks/new",
    "/admin/webhooks/{webhook}",
    "/admin/webhooks/{webhook}/deliveries/{delivery}",
    "/admin/webhooks/{webhook}/delete",
    "/account",
]
# The pages with the most words and widgets are checked in Brazilian Portuguese as well.
PT_BR_PAGES = [
    "/admin/proactive-messages",
    "/admin/proactive-messages/{message}",
    "/admin/bots/{bot}/answers/{answer}",
    "/admin/settings",
    "/admin/webhooks/{webhook}",
    "/account",
]
CASES = [(path, "en") for path in ADMIN_PAGES] + [(path, "pt_BR") for path in PT_BR_PAGES]


@pytest.mark.parametrize(("path", "locale"), CASES)
def test_admin_page(admin_page: Page, live_server: str, ids: Ids, path: str, locale: str):
    page = admin_page
    choose_language(page, locale)
    url = path.format(**vars(ids))
    response = page.goto(live_server + url)
    assert response is not None and response.status == 200, url
    if path in READY:
        expect(page.locator(READY[path]).first).to_be_visible()
    assert_accessible(page, f"{url} ({locale})")


def test_an_error_page(admin_page: Page, live_server: str):
    response = admin_page.goto(f"{live_server}/admin/brands/987654")
    assert response is not None and response.status == 404
    assert_accessible(admin_page, "a page that is not there (404)")


@pytest.mark.parametrize("locale", ["en", "pt_BR"])
def test_admin_pages_in_use(admin_page: Page, live_server: str, ids: Ids, locale: str):
    """What the admin opens on those pages: the list's options menu, the editor's emoji
    palette and a visit tested, a refused save, the flow editor's "Try it" with its buttons."""
    page = admin_page
    choose_language(page, locale)

    page.goto(f"{live_server}/admin/proactive-messages")
    page.locator("details.menu > summary").first.click()
    expect(page.locator("details.menu[open] .menu-items")).to_be_visible()
    assert_accessible(page, f"the messages' options menu ({locale})")

    page.goto(f"{live_server}/admin/proactive-messages/{ids.message}")
    page.locator("#pe-emoji-toggle").click()
    expect(page.locator("#pe-emoji-palette")).to_be_visible()
    page.locator("#pe-test-url").fill(f"{live_server}/demo")
    page.locator("#pe-test-run").click()
    expect(page.locator("#pe-test-result .verdict")).to_be_visible()
    assert_accessible(page, f"the editor, emoji palette open and a visit tested ({locale})")

    page.goto(f"{live_server}/admin/proactive-messages/new")
    expect(page.locator(".cb-group").first).to_be_visible()
    page.locator("#pe-save").click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    assert_accessible(page, f"the editor, a save refused ({locale})")

    page.goto(f"{live_server}/admin/bots/{ids.bot}/answers/{ids.answer}")
    expect(page.locator(".be-choice").first).to_be_visible()
    assert_accessible(page, f"the flow editor, Try it showing buttons ({locale})")


@pytest.mark.parametrize("locale", ["en", "pt_BR"])
def test_sign_in_page(page: Page, live_server: str, demo, locale: str):
    page.goto(f"{live_server}/login")
    choose_language(page, locale)
    assert_accessible(page, f"/login ({locale})")
    # With the refusal shown.
    page.get_by_role("textbox").first.fill("nobody@example.com")
    page.locator("input[type=password]").fill("wrong password")
    page.locator("button[type=submit].primary").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, f"/login, refused ({locale})")


def test_the_check_fails_on_what_it_should_catch(page: Page):
    """The helper itself: a serious violation inside an open shadow root fails the check,
    naming the rule and the element; a moderate one alone does not."""
    page.set_content("""<main><h1>Test</h1><div id="host"></div></main>
        <script>
          const root = document.getElementById('host').attachShadow({mode: 'open'});
          root.innerHTML = '<ol role="log"><li class="line">Hi</li></ol>' +
                           '<p style="color:#aaa;background:#fff">Faint</p>';
        </script>""")
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page, "a test page")
    report = str(failed.value)
    assert "listitem [serious]" in report and "[['#host', 'li']]" in report
    assert "color-contrast [serious]" in report and "Faint" in report
    page.set_content('<html lang="en"><title>Test</title><main><h1>Test</h1>'
                     '<h3>Skipped a level (moderate)</h3></main></html>')
    assert_accessible(page, "a page with a moderate violation only")


# -- the agent workspace ---------------------------------------------------------------------


class Customer(WidgetClient):
    """The widget over HTTP, from the server's own origin (which every channel allows)."""

    def _post(self, path: str, body: dict, **kw):
        return self.client.post(f"/widget/v1/{self.key}/{path}", json=body,
                                headers={"Origin": str(self.client.base_url).rstrip("/")})


@pytest.fixture
def ticket(app, live_server: str, demo) -> int:
    """A conversation started from the demo's pricing message, as the widget would."""
    with httpx.Client(base_url=live_server, timeout=10) as client:
        customer = Customer(client, DEMO_CHANNEL_KEY)
        shown = customer.view(url=f"{live_server}/demo/pricing", title="Pricing")["show"]
        assert shown is not None, customer.last
        started = customer._post("conversations", {
            "visitor_id": customer.visitor_id, "delivery_id": shown["delivery_id"],
            "client_id": new_id("c"), "message": "Which plan for 12 people?"})
        assert started.status_code == 201, started.text
    with app.state.db.unit_of_work() as db:
        return db.scalar(select(Ticket.id).where(
            Ticket.conversation_id == started.json()["conversation_id"]))


@pytest.mark.parametrize("locale", ["en", "pt_BR"])
def test_agent_workspace_with_a_ticket_open(page: Page, live_server: str, ticket: int,
                                            locale: str):
    sign_in(page, live_server, DEMO_AGENT_EMAIL, DEMO_ADMIN_PASSWORD)
    choose_language(page, locale)
    page.goto(f"{live_server}/agent#ticket-{ticket}")
    expect(page.locator("#aw-messages > li").first).to_be_visible()
    expect(page.locator("#aw-req-name")).not_to_be_empty()
    assert_accessible(page, f"/agent#ticket-{ticket} ({locale})")


# -- the widget on the demo site -------------------------------------------------------------


@pytest.fixture
def visitor(browser: Browser, request) -> Iterator[Page]:
    """A demo-site page, the widget's shadow root open so that axe sees inside it."""
    page = new_page(browser, bypass_csp=True, locale=request.param)
    yield page
    page.context.close()


def assert_widget_accessible(page: Page, where: str) -> None:
    """The widget alone (its shadow tree): the demo page around it plays a host site whose
    stylesheet is hostile on purpose, and is not what a customer's visitors see of us."""
    checked = assert_accessible(page, where, context="overture-widget")
    inside = [t for t in checked if isinstance(t[0], list) and t[0][0] == "overture-widget"]
    assert inside, f"axe-core saw nothing inside the widget's shadow root on {where}"


@pytest.mark.parametrize("visitor", ["en-US", "pt-BR"], indirect=True)
def test_widget_bubble_and_conversation(visitor: Page, live_server: str, demo):
    page = visitor
    page.goto(f"{live_server}/demo/pricing")
    card = bubble(page)
    expect(card).to_be_visible()
    assert_widget_accessible(page, "/demo/pricing, the bubble shown")

    card.get_by_role("button").first.click()
    dialog = messenger(page)
    box = dialog.get_by_role("textbox")
    box.fill("Which plan for 12 people?")
    box.press("Enter")
    expect(dialog.locator(".msg.visitor")).to_have_count(1)
    expect(dialog.locator(".msg[data-id]")).to_have_count(3)  # message, question, follow-up
    assert_widget_accessible(page, "/demo/pricing, the messenger open with a conversation")

    dialog.get_by_role("button", name="Close").or_(
        dialog.get_by_role("button", name="Fechar")).click()
    expect(launcher(page)).to_be_visible()
    assert_widget_accessible(page, "/demo/pricing, the messenger closed")


@pytest.mark.parametrize("visitor", ["en-US", "pt-BR"], indirect=True)
def test_widget_data_form(visitor: Page, live_server: str, demo):
    """The welcome message asks for a name and an email: the form, then a refusal beside it."""
    page = visitor
    page.goto(f"{live_server}/demo")
    bubble(page).get_by_role("button").first.click()
    dialog = messenger(page)
    email = dialog.locator("input[type=email]")
    expect(email).to_be_visible()
    assert_widget_accessible(page, "/demo, the messenger's data form")
    dialog.locator("input:not([type=email])").first.fill("Ana")
    email.fill("not-an-email")
    email.press("Enter")
    expect(email).to_have_attribute("aria-invalid", "true")
    assert_widget_accessible(page, "/demo, the data form refused")


@pytest.mark.parametrize("visitor", ["en-US", "pt-BR"], indirect=True)
def test_widget_bot_with_buttons(visitor: Page, live_server: str, demo):
    page = visitor
    page.goto(f"{live_server}/demo/app")
    bubble(page).get_by_role("button").first.click()
    menu = messenger(page).get_by_role("group")
    expect(menu.get_by_role("button")).to_have_count(3)
    assert_widget_accessible(page, "/demo/app, a bot's answer with its buttons")
