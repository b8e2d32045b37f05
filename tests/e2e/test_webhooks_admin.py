"""Webhooks in a real browser: an admin finds them from the settings page, creates one to a
receiver on this machine (a bad URL and no event chosen are refused beside their fields),
reveals its signing secret, sends a test event that arrives signed with it, sees it
Delivered, resends it to a receiver now answering 500 and sees that too, and is refused a
test event once the webhook is off. The pages in Brazilian Portuguese, and under axe-core."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from overture.kit.clock import utcnow
from overture.webhooks import service
from overture.webhooks.schemas import WebhookIn
from overture.webhooks.signing import SIGNATURE_HEADER, verify
from overture.webhooks.worker import Worker
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import choose_language


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "bypass_csp": True}  # to add axe's script tag


@dataclass
class Receiver:
    """An HTTP server of the integrator's: answers `status`, keeps what it got."""

    url: str
    status: int = 200
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    received = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/overture")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.got.append((dict(self.headers.items()), body))
            self.send_response(received.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def loopback_allowed(app, backend, monkeypatch):
    """Receivers on this machine are allowed (production refuses loopback addresses). Set in
    the state's dict: `monkeypatch.setattr(app.state, ...)` would delete the settings at undo
    (the state keeps its values in `_state`, not in its `__dict__`)."""
    monkeypatch.setitem(app.state._state, "settings",
                        backend.settings(webhooks_allow_private=True))


def send_outbox(app) -> None:
    """What the worker inside `overture serve` does: send everything due, wait for answers.
    In a thread of its own: Playwright's loop runs in this one."""
    async def drain() -> None:
        async with Worker(app.state.db, app.state.settings) as worker:
            await worker.drain()

    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(drain())
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


def newest(page: Page):
    return page.locator("table.deliveries tbody tr").first


def test_an_admin_creates_a_webhook_tests_it_and_sees_each_delivery(
        admin_page: Page, live_server: str, app, loopback_allowed, receiver: Receiver):
    page = admin_page
    page.goto(f"{live_server}/admin/settings")
    page.get_by_role("link", name="Manage webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    page.get_by_role("link", name="New webhook").click()

    # Refused beside their fields: no event chosen (the schema's rule, checked first), then
    # a URL that is not http(s).
    page.get_by_label("URL").fill("ftp://127.0.0.1/hooks")
    page.get_by_label("Description").fill("CRM <script>alert(1)</script>")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#events-error")).to_have_text("choose at least one event")
    page.get_by_label("ticket.created").check()
    page.get_by_role("button", name="Save").click()
    url = page.get_by_label("URL")
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error")).to_have_text(
        "the URL must start with http:// or https://")
    expect(page.get_by_label("ticket.created")).to_be_checked()  # what was typed is kept
    assert_accessible(page, "a webhook's form, refused")

    url.fill(receiver.url)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Webhook created.")
    expect(page.locator("h1")).to_have_text("CRM <script>alert(1)</script>")  # as text
    webhook_path = page.url.removeprefix(live_server)
    webhook_id = int(webhook_path.rsplit("/", 1)[1])

    page.get_by_role("button", name="Reveal").click()
    secret = page.locator("#webhook-secret")
    expect(secret).to_have_text(re.compile(r"^whsec_\S+$"))
    signing_secret = secret.inner_text()
    expect(page.get_by_text(SIGNATURE_HEADER, exact=False).first).to_be_visible()

    # A test event: pending until the worker has sent it, then delivered, signed.
    page.get_by_role("button", name="Send test event").click()
    expect(page.locator(".flash")).to_contain_text("A test event is on its way")
    expect(newest(page)).to_contain_text("Pending")
    expect(newest(page)).to_contain_text("ping")
    send_outbox(app)
    page.reload()
    row = newest(page)
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("HTTP 200")
    expect(row.locator("td").nth(3)).to_have_text("1")  # attempts

    headers, body = receiver.got[-1]
    assert verify(signing_secret, headers[SIGNATURE_HEADER], body, int(utcnow().timestamp()))
    event = json.loads(body)
    assert event["type"] == "ping" and event["data"] == {"webhook_id": webhook_id}

    # The receiver fails now: the same event, resent, is a new delivery that failed its first
    # attempt and waits for its next try.
    receiver.status = 500
    row.get_by_role("button", name="Resend").click()
    expect(page.locator(".flash")).to_contain_text("on its way again")
    send_outbox(app)
    page.reload()
    rows = page.locator("table.deliveries tbody tr")
    expect(rows).to_have_count(2)
    row = newest(page)
    expect(row).to_contain_text("HTTP 500")
    expect(row.locator(".badge")).to_have_text(re.compile("^(Pending|Failed)$"))
    expect(row.get_by_role("button", name="Resend")).to_have_count(0)  # it is retried alone
    expect(rows.nth(1)).to_contain_text("Delivered")
    assert json.loads(receiver.got[-1][1])["id"] == event["id"]  # the same event, again

    row.get_by_role("link", name="Details").click()
    expect(page.locator("table.rows")).to_contain_text("HTTP 500")
    expect(page.locator("table.rows")).to_contain_text(event["id"])
    expect(page.locator("pre")).to_contain_text('"webhook_id": ' + str(webhook_id))
    assert_accessible(page, "a delivery's page")

    # Turned off, it takes no test event: said in red, on the webhook's page.
    page.goto(f"{live_server}{webhook_path}")
    page.get_by_label("Active", exact=True).uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Webhook saved.")
    page.get_by_role("button", name="Send test event").click()
    expect(page.locator(".flash-error")).to_contain_text("turned off")
    assert_accessible(page, "a webhook's page with its deliveries")

    page.goto(f"{live_server}/admin/webhooks")
    listed = page.locator("table.list tbody tr").first
    expect(listed).to_contain_text(receiver.url)
    expect(listed).to_contain_text("Off")
    expect(listed.locator("td.num").first).to_have_text("1")  # pending
    assert_accessible(page, "the webhooks list")


def test_the_webhook_pages_in_brazilian_portuguese(admin_page: Page, live_server: str, app):
    with app.state.db.unit_of_work() as db:
        webhook = service.create_webhook(db, WebhookIn(
            url="https://hooks.example.com/overture", events=["ticket.created"]),
            allow_private=False)
        service.ping(db, webhook)
        webhook_id = webhook.id
    page = admin_page
    page.goto(f"{live_server}/admin/webhooks/{webhook_id}")
    choose_language(page, "pt_BR")
    expect(page.get_by_role("heading", name="Segredo de assinatura")).to_be_visible()
    expect(page.get_by_role("button", name="Enviar evento de teste")).to_be_visible()
    expect(page.get_by_role("heading", name="Entregas recentes")).to_be_visible()
    expect(newest(page)).to_contain_text("Pendente")
    expect(page.get_by_text("Um cliente abre uma mensagem proativa.")).to_be_visible()
    assert_accessible(page, "a webhook's page (pt_BR)")

    page.goto(f"{live_server}/admin/webhooks")
    expect(page.get_by_role("link", name="Novo webhook")).to_be_visible()
    expect(page.locator("table.list .badge")).to_have_text("Ligado")
