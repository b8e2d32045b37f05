"""The webhook worker against real receivers (tests/webhooks/receiver.py): what they get, how
it is signed, retries and giving up, slow and broken receivers, and workers side by side.

Only the clock is faked; every send is a real HTTP request to 127.0.0.1, so the webhooks are
saved with private addresses allowed, as an installation with its receivers on its own
network would.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from overture.kit.clock import clock
from overture.webhooks import outbox, service, signing
from overture.webhooks.models import WebhookDelivery
from overture.webhooks.schemas import WebhookIn, WebhookPatch
from overture.webhooks.worker import Outcome, Worker
from tests.conftest import TEST_SETTINGS
from tests.webhooks.receiver import CLOSE, HANG, Receiver

T0 = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
RETRY = 60  # seconds before the first retry
TICKET = "ticket.created"
MESSAGE = "conversation.message"


# -- arranging ----------------------------------------------------------------------------

def make_webhook(app, url: str, events=(TICKET,)) -> tuple[int, str]:
    """A webhook saved as an admin would (private addresses allowed): its id and secret."""
    with app.state.db.unit_of_work() as s:
        hook = service.create_webhook(s, WebhookIn(url=url, events=list(events)),
                                      allow_private=True)
        return hook.id, hook.secret


def enqueue(app, event: str = TICKET, n: int = 1) -> None:
    with app.state.db.unit_of_work() as s:
        for i in range(n):
            outbox.enqueue(s, event, {"ticket": {"id": i + 1}, "channel_id": 1})


def patch(app, webhook_id: int, **changes) -> None:
    with app.state.db.unit_of_work() as s:
        hook = s.get(service.Webhook, webhook_id)
        service.update_webhook(s, hook, WebhookPatch(**changes), allow_private=True)


def deliveries(app, webhook_id: int | None = None) -> list[WebhookDelivery]:
    q = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if webhook_id is not None:
        q = q.where(WebhookDelivery.webhook_id == webhook_id)
    with app.state.db.sessions() as s:
        return list(s.scalars(q))


def settings(backend, **overrides):
    values = dict(webhooks_allow_private=True, webhook_retry_seconds=RETRY,
                  webhook_timeout_seconds=5)
    values.update(overrides)
    return backend.settings(**values)


def drain(app, backend, **overrides) -> None:
    """One worker sends everything due now, and stops."""
    async def go() -> None:
        async with Worker(app.state.db, settings(backend, **overrides)) as worker:
            await worker.drain()

    asyncio.run(go())


class Draining:
    """`drain` in a thread of its own, for looking at things while it sends."""

    def __init__(self, app, backend, **overrides) -> None:
        self.error: BaseException | None = None

        def run() -> None:
            try:
                drain(app, backend, **overrides)
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=run, name="draining", daemon=True)
        self.thread.start()

    def join(self, timeout: float = 30) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the worker did not finish"
        if self.error is not None:
            raise self.error


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.02)


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


# -- what a receiver gets ------------------------------------------------------------------

def test_a_delivery_is_a_signed_json_post_a_receiver_can_check(app, backend):
    clock.freeze(T0)
    with Receiver() as r:
        hook_id, secret = make_webhook(app, r.url)
        enqueue(app)
        drain(app, backend)
        [(headers, body)] = r.wait_for(1)

    [d] = deliveries(app)
    assert d.status == "delivered" and d.attempts == 1 and d.response_status == 200
    assert d.delivered_at == T0 and d.last_error is None and d.webhook_id == hook_id
    event = json.loads(body)
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["type"] == TICKET and event["created_at"] == "2026-11-30T12:00:00Z"
    assert event["data"] == {"ticket": {"id": 1}, "channel_id": 1}
    assert event["id"].startswith("evt_") and event["id"] == d.event_id
    assert body == d.payload.encode()  # the exact bytes stored, and signed
    assert headers["Content-Type"] == "application/json"
    assert headers["Overture-Event"] == TICKET
    assert headers["Overture-Event-Id"] == event["id"]
    assert headers["Overture-Delivery"] == str(d.id)

    header = headers["Overture-Signature"]
    now = unix(T0)
    assert signing.verify(secret, header, body, now)
    assert signing.verify(secret, header, body, now + 300)
    assert not signing.verify("whsec_another", header, body, now)
    changed = body[:-2] + bytes([body[-2] ^ 1]) + body[-1:]
    assert not signing.verify(secret, header, changed, now)
    assert not signing.verify(secret, header, body, now + 301)  # replayed later
    assert not signing.verify(secret, header, body, now - 301)
    assert not signing.verify(secret, "v1=" + header.split("v1=")[1], body, now)

    # As a receiver written in another language checks it: HMAC-SHA256 of "<t>.<body>".
    fields = dict(part.split("=", 1) for part in header.split(","))
    assert set(fields) == {"t", "v1"} and fields["t"] == str(now)
    expected = hmac.new(secret.encode(), f"{fields['t']}.{body.decode()}".encode(),
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)


def test_every_subscribed_webhook_gets_the_event_with_the_same_id(app, backend):
    with Receiver() as a, Receiver() as b, Receiver() as other:
        make_webhook(app, a.url, events=(TICKET, MESSAGE))
        make_webhook(app, b.url, events=(TICKET,))
        make_webhook(app, other.url, events=(MESSAGE,))
        enqueue(app, TICKET)
        drain(app, backend)
        [(ha, body_a)] = a.wait_for(1)
        [(hb, body_b)] = b.wait_for(1)
        assert body_a == body_b and ha["Overture-Event-Id"] == hb["Overture-Event-Id"]
        assert ha["Overture-Delivery"] != hb["Overture-Delivery"]
        assert other.requests == []


def test_the_urls_host_path_and_query_reach_the_receiver(app, backend):
    with Receiver() as r:
        port = r.url.split(":")[2].split("/")[0]
        # A name, not an address: the worker resolves it, checks the address, connects to it,
        # and still says which host it wants.
        make_webhook(app, f"http://localhost:{port}/hooks/in?token=a%20b&x=1")
        enqueue(app)
        drain(app, backend)
        [(headers, _)] = r.wait_for(1)
        assert r.paths == ["/hooks/in?token=a%20b&x=1"]
        assert headers["Host"] == f"localhost:{port}"
        assert deliveries(app)[0].status == "delivered"


def test_a_test_event_and_a_resend_go_out_like_any_event(app, backend):
    clock.freeze(T0)
    with Receiver() as r:
        hook_id, secret = make_webhook(app, r.url, events=(MESSAGE,))
        with app.state.db.unit_of_work() as s:
            service.ping(s, s.get(service.Webhook, hook_id))
        drain(app, backend)
        [first] = deliveries(app)
        assert first.status == "delivered" and first.event == "ping"

        clock.advance(timedelta(minutes=5))
        with app.state.db.unit_of_work() as s:
            hook = s.get(service.Webhook, hook_id)
            service.resend(s, hook, s.get(WebhookDelivery, first.id))
        drain(app, backend)
        [(h1, b1), (h2, b2)] = r.wait_for(2)

    assert json.loads(b1) == {"id": first.event_id, "type": "ping",
                              "created_at": "2026-11-30T12:00:00Z",
                              "data": {"webhook_id": hook_id}}
    assert b2 == b1 and h2["Overture-Event-Id"] == h1["Overture-Event-Id"] == first.event_id
    assert h1["Overture-Event"] == h2["Overture-Event"] == "ping"
    [_, again] = deliveries(app)
    assert (h1["Overture-Delivery"], h2["Overture-Delivery"]) == (str(first.id), str(again.id))
    assert again.status == "delivered" and again.attempts == 1
    # Signed when sent: the resend's signature is five minutes younger.
    assert signing.verify(secret, h2["Overture-Signature"], b2, unix(T0) + 300 + 300)
    assert not signing.verify(secret, h1["Overture-Signature"], b1, unix(T0) + 300 + 300)


# -- failing, retrying, giving up ----------------------------------------------------------

def test_a_failing_receiver_is_tried_again_until_it_answers(app, backend):
    clock.freeze(T0)
    with Receiver([500, 500, 200]) as r:
        hook_id, secret = make_webhook(app, r.url)
        enqueue(app)

        drain(app, backend)
        [d] = deliveries(app)
        assert (d.status, d.attempts, d.response_status, d.last_error) == (
            "pending", 1, 500, "HTTP 500")
        assert d.last_attempt_at == T0 and d.next_attempt_at == T0 + timedelta(seconds=RETRY)

        drain(app, backend)  # not due yet
        assert len(r.requests) == 1

        # A new secret signs what is still pending.
        with app.state.db.unit_of_work() as s:
            secret = service.rotate_secret(s, s.get(service.Webhook, hook_id)).secret
        clock.advance(timedelta(seconds=RETRY + 1))
        second = clock.now()
        drain(app, backend)
        [d] = deliveries(app)
        assert (d.status, d.attempts, d.response_status) == ("pending", 2, 500)
        assert d.next_attempt_at == second + timedelta(seconds=2 * RETRY)

        clock.advance(timedelta(seconds=2 * RETRY))
        third = clock.now()
        drain(app, backend)
        [d] = deliveries(app)
        assert (d.status, d.attempts, d.response_status, d.last_error) == (
            "delivered", 3, 200, None)
        assert d.delivered_at == third

        clock.advance(timedelta(days=1))
        drain(app, backend)
        requests = r.wait_for(3)
        assert len(r.requests) == 3

    assert {h["Overture-Event-Id"] for h, _ in requests} == {d.event_id}
    assert {body for _, body in requests} == {d.payload.encode()}
    assert signing.verify(secret, requests[2].headers["Overture-Signature"], requests[2].body,
                          unix(third))
    assert not signing.verify(secret, requests[0].headers["Overture-Signature"],
                              requests[0].body, unix(T0))  # signed with the old secret


def test_backoff_doubles_up_to_six_hours_and_gives_up_after_a_day(app, backend):
    clock.freeze(T0)
    with Receiver(then=503) as r:
        make_webhook(app, r.url)
        enqueue(app)
        waits = []
        drain(app, backend)
        while True:
            [d] = deliveries(app)
            assert d.attempts == len(r.requests) == len(waits) + 1
            if d.status != "pending":
                break
            assert d.last_error == "HTTP 503"
            wait = d.next_attempt_at - clock.now()
            waits.append(wait.total_seconds())
            clock.advance(wait - timedelta(seconds=1))
            drain(app, backend)  # a second early: nothing
            assert len(r.requests) == d.attempts
            clock.advance(timedelta(seconds=1))
            drain(app, backend)

        assert d.status == "failed" and d.response_status == 503
        assert d.last_attempt_at == T0 + timedelta(hours=24)
        # 1, 2, 4 … minutes, at most 6 hours, and the last try at 24 hours from the event.
        assert waits == [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600,
                         86400 - 73860]
        assert d.attempts == 13

        clock.advance(timedelta(days=7))
        drain(app, backend)
        assert len(r.requests) == 13
        assert deliveries(app)[0].status == "failed"


def test_a_receiver_that_does_not_answer_in_time_is_tried_again(app, backend):
    clock.freeze(T0)
    with Receiver([HANG]) as slow, Receiver() as quick:
        slow_id, _ = make_webhook(app, slow.url)
        quick_id, _ = make_webhook(app, quick.url)
        enqueue(app)
        drain(app, backend, webhook_timeout_seconds=0.5)

        [s] = deliveries(app, slow_id)
        assert (s.status, s.attempts, s.response_status, s.last_error) == (
            "pending", 1, None, "no answer within 0.5 s")
        assert s.next_attempt_at == T0 + timedelta(seconds=RETRY)
        [q] = deliveries(app, quick_id)
        assert q.status == "delivered"
        assert len(quick.requests) == 1


def test_one_slow_receiver_does_not_hold_up_the_others(app, backend):
    clock.freeze(T0)
    with Receiver([HANG]) as slow, Receiver() as quick:
        slow_id, _ = make_webhook(app, slow.url, events=(TICKET,))
        quick_id, _ = make_webhook(app, quick.url, events=(MESSAGE,))
        enqueue(app, TICKET)  # the slow one's is claimed first
        enqueue(app, MESSAGE, n=20)  # more than one worker sends at once
        sending = Draining(app, backend, webhook_timeout_seconds=30)
        slow.wait_for(1)
        quick.wait_for(20)
        eventually(lambda: all(d.status == "delivered" for d in deliveries(app, quick_id)))
        [s] = deliveries(app, slow_id)
        assert (s.status, s.attempts, s.last_error) == ("pending", 1, None)  # still waiting
        slow.release()
        sending.join()
        [s] = deliveries(app, slow_id)
        assert s.status == "delivered"


def test_a_receiver_that_hangs_on_many_deliveries_holds_half_the_places(app, backend):
    """Twenty events wait for a receiver that never answers, older than the others: it gets
    at most half the worker's places, and the other webhook's events go out meanwhile."""
    clock.freeze(T0)
    with Receiver(then=HANG) as slow, Receiver() as quick:
        make_webhook(app, slow.url, events=(TICKET,))
        quick_id, _ = make_webhook(app, quick.url, events=(MESSAGE,))
        enqueue(app, TICKET, n=20)  # all claimed before the quick ones, oldest first
        enqueue(app, MESSAGE, n=5)
        sending = Draining(app, backend, webhook_timeout_seconds=30)
        quick.wait_for(5)
        eventually(lambda: all(d.status == "delivered" for d in deliveries(app, quick_id)))
        assert len(slow.requests) == 4  # the default 8 places, half of them
        slow.release()
        sending.join()


def test_a_refused_connection_is_a_failure_that_says_so(app, backend):
    clock.freeze(T0)
    port = unused_port()
    make_webhook(app, f"http://127.0.0.1:{port}/hook")
    enqueue(app)
    drain(app, backend)
    [d] = deliveries(app)
    assert (d.status, d.attempts, d.response_status) == ("pending", 1, None)
    assert f"127.0.0.1:{port}" in d.last_error and "refused" in d.last_error.lower()
    assert d.next_attempt_at == T0 + timedelta(seconds=RETRY)


def test_a_receiver_that_hangs_up_is_a_failure(app, backend):
    with Receiver([CLOSE]) as r:
        make_webhook(app, r.url)
        enqueue(app)
        drain(app, backend)
        [d] = deliveries(app)
        assert d.status == "pending" and d.response_status is None
        assert "disconnected" in d.last_error.lower()
        assert len(r.requests) == 1


def test_redirects_are_not_followed(app, backend):
    with Receiver([302]) as r:
        make_webhook(app, r.url)
        enqueue(app)
        drain(app, backend)
        [d] = deliveries(app)
        assert (d.status, d.response_status, d.last_error) == ("pending", 302, "HTTP 302")
        assert len(r.requests) == 1  # nothing went to the Location


def test_port_zero_is_refused_when_saved(client, admin):
    # urlsplit takes it, and a send would have gone to port 80.
    response = client.post("/api/v1/webhooks", headers=admin.headers, json={
        "url": "http://hooks.example.com:0/in", "events": [TICKET]})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_url" and "65535" in error["message"]


def test_a_private_address_is_refused_at_send_time_too(app, backend):
    with Receiver() as r:
        make_webhook(app, r.url)  # saved while private addresses were allowed
        enqueue(app)
        drain(app, backend, webhooks_allow_private=False)
        [d] = deliveries(app)
        assert (d.status, d.attempts, d.response_status) == ("pending", 1, None)
        assert "loopback or private" in d.last_error and "127.0.0.1" in d.last_error
        assert r.requests == []


# -- webhooks deleted or turned off --------------------------------------------------------

def test_a_deleted_webhooks_deliveries_are_gone_and_never_sent(app, backend):
    with Receiver(then=500) as gone, Receiver() as kept:
        gone_id, _ = make_webhook(app, gone.url)
        make_webhook(app, kept.url)
        enqueue(app, n=3)
        drain(app, backend)  # the first tries fail: still pending
        assert [d.status for d in deliveries(app, gone_id)] == ["pending"] * 3
        with app.state.db.unit_of_work() as s:
            service.delete_webhook(s, s.get(service.Webhook, gone_id))
        assert deliveries(app, gone_id) == []
        clock.advance(timedelta(days=1))
        enqueue(app)
        drain(app, backend)
        assert len(gone.requests) == 3
        assert len(kept.wait_for(4)) == 4


def test_a_webhook_deleted_mid_send_is_no_trouble(app, backend):
    with Receiver([HANG]) as r:
        hook_id, _ = make_webhook(app, r.url)
        enqueue(app)
        sending = Draining(app, backend, webhook_timeout_seconds=30)
        r.wait_for(1)
        with app.state.db.unit_of_work() as s:
            service.delete_webhook(s, s.get(service.Webhook, hook_id))
        r.release()
        sending.join()
        assert deliveries(app) == []


def test_a_turned_off_webhooks_deliveries_wait_until_it_is_on(app, backend):
    clock.freeze(T0)
    with Receiver() as r:
        hook_id, _ = make_webhook(app, r.url)
        enqueue(app, n=2)
        patch(app, hook_id, active=False)
        enqueue(app)  # while off: not for it
        clock.advance(timedelta(hours=1))
        drain(app, backend)
        assert r.requests == []
        assert [(d.status, d.attempts) for d in deliveries(app)] == [("pending", 0)] * 2

        patch(app, hook_id, active=True)
        drain(app, backend)
        assert len(r.wait_for(2)) == 2
        assert [(d.status, d.attempts) for d in deliveries(app)] == [("delivered", 1)] * 2


# -- workers that stop, die, or run side by side ------------------------------------------

def test_a_running_worker_is_woken_by_a_commit_not_the_next_poll(app, backend):
    with Receiver() as r:
        make_webhook(app, r.url)
        started, stop = threading.Event(), threading.Event()

        async def serve() -> None:
            # As in `overture serve`; its next look at the outbox would be a minute away.
            async with Worker(app.state.db, settings(backend, webhook_poll_seconds=60)) as w:
                task = asyncio.create_task(w.run())
                started.set()
                await asyncio.to_thread(stop.wait)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        server = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        server.start()
        try:
            assert started.wait(10)
            for n in (1, 2):
                time.sleep(0.2)  # let it go back to waiting (it finds the event either way)
                enqueue(app)
                r.wait_for(n, timeout=20)
                eventually(lambda n=n: [d.status for d in deliveries(app)] == ["delivered"] * n)
        finally:
            stop.set()
            server.join(30)
        assert not server.is_alive()


def test_a_claim_takes_no_more_than_asked_oldest_first(app, backend):
    clock.freeze(T0)
    make_webhook(app, f"http://127.0.0.1:{unused_port()}/hook", events=(TICKET,))
    make_webhook(app, f"http://127.0.0.1:{unused_port()}/hook", events=(TICKET,))
    enqueue(app, n=10)  # 20 deliveries, the two webhooks' alternating
    worker = Worker(app.state.db, settings(backend))
    first = worker.claim(8)
    assert [c.id for c in first] == [d.id for d in deliveries(app)][:8]
    assert len(worker.claim(8)) == 8 and len(worker.claim(8)) == 4 and worker.claim(8) == []
    assert {d.attempts for d in deliveries(app)} == {1}


def test_a_claim_takes_half_its_places_at_most_for_one_webhook(app, backend):
    clock.freeze(T0)
    one, _ = make_webhook(app, f"http://127.0.0.1:{unused_port()}/hook", events=(TICKET,))
    two, _ = make_webhook(app, f"http://127.0.0.1:{unused_port()}/hook", events=(MESSAGE,))
    enqueue(app, TICKET, n=10)
    enqueue(app, MESSAGE, n=10)
    worker = Worker(app.state.db, settings(backend))  # 8 places
    claimed = worker.claim(8)
    assert Counter(c.webhook_id for c in claimed) == {one: 4, two: 4}
    # Sends already under way count: the first webhook has 3, so 1 more of its own.
    assert Counter(c.webhook_id for c in worker.claim(8, {one: 3, two: 4})) == {one: 1}


def test_a_worker_that_dies_after_claiming_loses_nothing(app, backend):
    clock.freeze(T0)
    timeout = 5
    with Receiver() as r:
        make_webhook(app, r.url)
        enqueue(app, n=5)
        dead = Worker(app.state.db, settings(backend, webhook_timeout_seconds=timeout),
                      concurrency=10)
        assert len(dead.claim(10)) == 5  # ... and never sends nor records them
        assert [(d.status, d.attempts) for d in deliveries(app)] == [("pending", 1)] * 5

        lease = timedelta(seconds=timeout + 10)
        clock.advance(lease - timedelta(seconds=1))
        drain(app, backend, webhook_timeout_seconds=timeout)
        assert r.requests == []  # still leased to the dead one

        clock.advance(timedelta(seconds=1))
        drain(app, backend, webhook_timeout_seconds=timeout)
        assert len(r.wait_for(5)) == 5
        assert [(d.status, d.attempts) for d in deliveries(app)] == [("delivered", 2)] * 5


def test_a_worker_stopped_mid_send_gives_its_claims_back(app, backend):
    clock.freeze(T0)
    with Receiver([HANG]) as r:
        make_webhook(app, r.url)
        enqueue(app)

        async def stop_while_sending() -> None:
            async with Worker(app.state.db, settings(backend, webhook_timeout_seconds=30)) as w:
                assert await w.round() == 1
                await asyncio.to_thread(r.wait_for, 1)

        asyncio.run(stop_while_sending())
        [d] = deliveries(app)
        assert d.status == "pending" and d.next_attempt_at <= T0  # no lease to wait out
        drain(app, backend)  # at the same instant
        r.wait_for(2)
        [d] = deliveries(app)
        assert (d.status, d.attempts) == ("delivered", 2)


def test_a_late_failure_is_not_recorded_over_a_later_claim(app, backend):
    clock.freeze(T0)
    with Receiver([HANG]) as r:
        make_webhook(app, r.url)
        enqueue(app)
        late = Worker(app.state.db, settings(backend, webhook_timeout_seconds=5))
        [claimed] = late.claim(10)
        clock.advance(timedelta(seconds=5 + 30))  # its lease is over: another worker sends
        sending = Draining(app, backend, webhook_timeout_seconds=30)
        r.wait_for(1)
        eventually(lambda: deliveries(app)[0].attempts == 2)
        [d] = deliveries(app)
        # The first worker's answer comes in only now: the second one's lease stands.
        late.record(claimed, Outcome(False, 500, "HTTP 500"))
        [after] = deliveries(app)
        assert (after.next_attempt_at, after.last_error, after.attempts) == (
            d.next_attempt_at, None, 2)
        r.release()
        sending.join()
        assert deliveries(app)[0].status == "delivered"


def test_finished_deliveries_are_kept_thirty_days(app, backend):
    clock.freeze(T0)
    with Receiver() as r:
        hook_id, _ = make_webhook(app, r.url, events=(TICKET,))
        off_id, _ = make_webhook(app, r.url, events=(TICKET,))
        enqueue(app)
        patch(app, off_id, active=False)
        drain(app, backend)
        clock.advance(timedelta(days=30, minutes=1))
        enqueue(app)
        drain(app, backend)  # a worker drops the old finished ones as it records
        assert [(d.status, d.created_at) for d in deliveries(app, hook_id)] == [
            ("delivered", clock.now())]
        # A pending one is kept, however old: it waits for its webhook to be on again.
        assert [d.status for d in deliveries(app, off_id)] == ["pending"]


CHILD = """
import asyncio, json, sys
from overture.config import Settings
from overture.db import Database
from overture.webhooks.worker import Worker

settings = Settings(**json.loads(sys.argv[1]))
db = Database(settings.database_url)
claimed = 0

class Counting(Worker):
    def claim(self, limit, busy=None):
        global claimed
        rows = super().claim(limit, busy)
        claimed += len(rows)
        return rows

async def main():
    async with Counting(db, settings) as worker:
        print("ready", flush=True)
        sys.stdin.readline()
        await worker.drain()

asyncio.run(main())
db.dispose()
print(claimed, flush=True)
"""


def test_workers_side_by_side_send_each_event_once(app, backend):
    with Receiver() as r:
        make_webhook(app, r.url)
        enqueue(app, n=200)
        values = dict(TEST_SETTINGS, database_url=backend.database_url,
                      webhooks_allow_private=True, webhook_timeout_seconds=10)
        workers = [subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(values)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                   for _ in range(2)]
        try:
            for w in workers:
                assert w.stdout.readline().strip() == "ready"
            for w in workers:  # both at once
                w.stdin.write("go\n")
                w.stdin.flush()
            claimed = [int(w.communicate(timeout=60)[0]) for w in workers]
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
                    w.wait()
        assert [w.returncode for w in workers] == [0, 0]

    sent = Counter(h["Overture-Event-Id"] for h, _ in r.requests)
    rows = deliveries(app)
    assert len(rows) == 200 and sorted(sent) == sorted(d.event_id for d in rows)
    assert set(sent.values()) == {1}  # each event exactly once
    assert {(d.status, d.attempts) for d in rows} == {("delivered", 1)}
    assert sum(claimed) == 200
    if backend.name == "pg":
        # Both took a share (SKIP LOCKED lets them claim side by side). SQLite has one
        # writer across processes, and the other may find the work done before it gets in.
        assert min(claimed) > 0
