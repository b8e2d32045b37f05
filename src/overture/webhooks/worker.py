"""The worker that sends the outbox: claims due deliveries, posts them signed, records how
it went.

It runs inside `overture serve` (a task on the server's event loop; its database work in a
thread of its own, its sends asynchronous), or alone as `overture worker`. Any number may
run against one database: a claim takes due rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL
(SQLite has one writer, and the claim is one statement) and moves their `next_attempt_at`
past the send's timeout, so no other worker takes them meanwhile and a worker that dies
leaves them to be sent again once that lease is over (one stopped normally gives them back at
once). Delivery is at least once: receivers drop repeats by the event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import delete, update

from overture.config import Settings
from overture.db import Database
from overture.kit import hotsql
from overture.kit.clock import utcnow
from overture.webhooks import outbox
from overture.webhooks.addresses import Unreachable, resolve
from overture.webhooks.models import WebhookDelivery
from overture.webhooks.signing import SIGNATURE_HEADER, signature

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=24)
LONGEST_WAIT = timedelta(hours=6)
KEEP_FINISHED = timedelta(days=30)
ANSWER_READ_BYTES = 64 * 1024
D = WebhookDelivery


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    event_id: str
    event: str
    payload: str
    attempts: int  # this one included
    created_at: datetime
    url: str
    secret: str
    lease_ends: datetime  # its next_attempt_at while this worker has it
    webhook_id: int


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None


def retry_delay(settings: Settings, attempts: int) -> timedelta:
    """How long after its `attempts`-th failure a delivery is tried again."""
    seconds = settings.webhook_retry_seconds * 2 ** min(max(attempts - 1, 0), 30)
    return min(timedelta(seconds=seconds), LONGEST_WAIT)


def _ids(ids) -> str:
    return ", ".join(str(int(i)) for i in ids)  # integers from our own rows: safe as text


def _candidates(pg: bool, full: list[int]) -> hotsql.HotSQL:
    skip = f" AND d.webhook_id NOT IN ({_ids(full)})" if full else ""
    # PostgreSQL: rows another worker is claiming are skipped, not waited for.
    lock = " FOR UPDATE OF d SKIP LOCKED" if pg else ""
    return hotsql.HotSQL(f"""
        SELECT d.id, d.webhook_id FROM webhook_deliveries d
        JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND w.active{skip}
        ORDER BY d.next_attempt_at, d.id LIMIT :limit{lock}""")  # noqa: S608 (see _ids)


def _claim(ids: list[int]) -> hotsql.HotSQL:
    return hotsql.HotSQL(f"""
        UPDATE webhook_deliveries
        SET attempts = attempts + 1, last_attempt_at = :now, next_attempt_at = :until
        WHERE id IN ({_ids(ids)}) AND status = 'pending' AND next_attempt_at <= :now
        RETURNING id, webhook_id, event_id, event, payload, attempts, created_at""")  # noqa: S608


def _hooks(ids) -> hotsql.HotSQL:
    return hotsql.HotSQL(f"SELECT id, url, secret FROM webhooks "  # noqa: S608 (integers)
                         f"WHERE id IN ({_ids(ids)})")


_DELIVERED = hotsql.HotSQL("""
    UPDATE webhook_deliveries SET status = 'delivered', delivered_at = :now,
        response_status = :status, last_error = NULL
    WHERE id = :id AND status = 'pending'""")
_RETRY = hotsql.HotSQL("""
    UPDATE webhook_deliveries SET next_attempt_at = :until, response_status = :status,
        last_error = :error
    WHERE id = :id AND status = 'pending' AND attempts = :attempts""")
_FAILED = hotsql.HotSQL("""
    UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = :now,
        response_status = :status, last_error = :error
    WHERE id = :id AND status = 'pending' AND attempts = :attempts""")


class Worker:
    def __init__(self, db: Database, settings: Settings, *, concurrency: int = 8) -> None:
        self.db = db
        self.settings = settings
        self.concurrency = concurrency
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhooks")
        self._client: httpx.AsyncClient | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[asyncio.Task, Claimed] = {}
        self._finished_sends: list[tuple[Claimed, Outcome]] = []
        self._pruned_at: datetime | None = None

    # -- the database side (in the worker's thread) --------------------------------------

    def _lease(self) -> timedelta:
        # A send is cut off at the timeout; the margin covers recording its outcome.
        return timedelta(seconds=self.settings.webhook_timeout_seconds + 10)

    @property
    def per_webhook(self) -> int:
        """Sends at once to one webhook: a receiver that hangs holds half the places at most,
        and the other webhooks' deliveries go on meanwhile."""
        return max(1, self.concurrency // 2)

    def claim(self, limit: int, busy: dict[int, int] | None = None) -> list[Claimed]:
        """Up to `limit` due deliveries, oldest first, now this worker's until their lease
        ends; at most `per_webhook` of one webhook, counting the `busy` sends it already has
        (webhook id → sends in progress).

        Hand-written statements (kit/hotsql.py): through SQLAlchemy's statement machinery a
        claim cost 5 ms of the server's CPU, and a record 3 ms, on every round."""
        now = utcnow()
        busy = dict(busy or {})
        full = [w for w, n in busy.items() if n >= self.per_webhook]
        pg = not self.db.is_sqlite
        with self.db.engine.connect() as conn:
            # A read first: an idle worker (or one whose due rows all wait for a turned-off
            # webhook) never takes SQLite's writer lock.
            chosen = []
            for delivery_id, webhook_id in hotsql.run(conn, hotsql.rows(
                    _candidates(pg, full), now=now, limit=limit * self.per_webhook)):
                if busy.get(webhook_id, 0) < self.per_webhook:
                    busy[webhook_id] = busy.get(webhook_id, 0) + 1
                    chosen.append(delivery_id)
                    if len(chosen) == limit:
                        break
            if not chosen:
                return []
            if not pg:
                # The read's snapshot ends here: the claim is a write of its own, and takes
                # only rows still due (another process may have claimed some meanwhile).
                conn.rollback()
            lease_ends = now + self._lease()
            rows = hotsql.run(conn, hotsql.rows(_claim(chosen), now=now, until=lease_ends))
            hooks = {h[0]: h for h in hotsql.run(conn, hotsql.rows(
                _hooks({r[1] for r in rows})))} if rows else {}
            conn.commit()
        return [Claimed(r[0], r[2], r[3], r[4], r[5], _aware(hotsql.read_when(r[6])),
                        hooks[r[1]][1], hooks[r[1]][2], lease_ends, r[1])
                for r in sorted(rows) if r[1] in hooks]

    def record(self, claimed: Claimed, outcome: Outcome) -> None:
        self.record_all([(claimed, outcome)])

    def record_all(self, finished: list[tuple[Claimed, Outcome]]) -> None:
        """How the sends went, in one transaction."""
        now = utcnow()
        with self.db.engine.connect() as conn:
            hotsql.run_all(conn, [self._outcome(c, o, now) for c, o in finished])
            conn.commit()
        if self._pruned_at is None or now - self._pruned_at >= timedelta(hours=1):
            self._prune(now)

    def _outcome(self, claimed: Claimed, outcome: Outcome, now: datetime) -> hotsql.Step:
        status, error = outcome.status, (outcome.error or "")[:300] or None
        if outcome.ok:
            return hotsql.count(_DELIVERED, id=claimed.id, now=now, status=status)
        # A failure is not recorded over a later claim's (this one's lease ran out and
        # another worker is trying it now).
        if now - claimed.created_at >= GIVE_UP_AFTER:
            return hotsql.count(_FAILED, id=claimed.id, attempts=claimed.attempts, now=now,
                                status=status, error=error)
        again = min(now + retry_delay(self.settings, claimed.attempts),
                    claimed.created_at + GIVE_UP_AFTER)
        return hotsql.count(_RETRY, id=claimed.id, attempts=claimed.attempts, until=again,
                            status=status, error=error)

    def settle(self, finished: list[tuple[Claimed, Outcome]], limit: int,
               busy: dict[int, int]) -> list[Claimed]:
        """Record the sends that finished, then claim up to `limit` more: one call to the
        worker's thread a round, however many sends ended since the last."""
        if finished:
            try:
                self.record_all(finished)
            except Exception:  # their leases run out and they are sent again
                log.exception("could not record %d webhook deliveries", len(finished))
        return self.claim(limit, busy) if limit > 0 else []

    def give_back(self, claims: list[Claimed]) -> None:
        """Claims this worker will not finish are due again now, not when their lease ends."""
        now = utcnow()
        with self.db.sessions() as s:
            for c in claims:
                s.execute(update(D).where(D.id == c.id, D.status == "pending",
                                          D.attempts == c.attempts,
                                          D.next_attempt_at == c.lease_ends)
                          .values(next_attempt_at=now)
                          .execution_options(synchronize_session=False))
            s.commit()

    def _prune(self, now: datetime) -> None:
        """Finished deliveries are kept 30 days (the admin's history), then dropped."""
        self._pruned_at = now
        with self.db.sessions() as s:
            s.execute(delete(D).where(D.status != "pending", D.created_at < now - KEEP_FINISHED)
                      .execution_options(synchronize_session=False))
            s.commit()

    # -- the sending side (on the event loop) -----------------------------------------------

    async def send(self, claimed: Claimed) -> Outcome:
        """Post one delivery; what the receiver answered, or why it could not be reached."""
        assert self._client is not None
        parts = urlsplit(claimed.url)
        host = parts.hostname or ""
        port = parts.port if parts.port is not None else 443 if parts.scheme == "https" else 80
        body = claimed.payload.encode()
        address: str | None = None
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Overture-Webhooks/1",
            "Host": parts.netloc,
            "Overture-Event": claimed.event,
            "Overture-Event-Id": claimed.event_id,
            "Overture-Delivery": str(claimed.id),
            SIGNATURE_HEADER: signature(claimed.secret, int(utcnow().timestamp()), body),
        }
        try:
            async with asyncio.timeout(self.settings.webhook_timeout_seconds):
                address = await resolve(host, port, self.settings.webhooks_allow_private)
                # To the address just checked, with the URL's name for Host and TLS.
                shown = f"[{address}]" if ":" in address else address
                target = urlunsplit((parts.scheme, f"{shown}:{port}", parts.path or "/",
                                     parts.query, ""))
                extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
                # Only the status counts. A short answer is read through, so that its
                # connection serves the next send; a long one is cut off (and its connection
                # closed) rather than read.
                async with self._client.stream("POST", target, content=body, headers=headers,
                                               extensions=extensions) as response:
                    status = response.status_code
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read > ANSWER_READ_BYTES:
                            break
        except (TimeoutError, httpx.TimeoutException):
            seconds = self.settings.webhook_timeout_seconds
            return Outcome(False, None, f"no answer within {seconds:g} s")
        except Unreachable as exc:
            return Outcome(False, None, str(exc))
        except httpx.ConnectError as exc:
            where = parts.netloc if address in (None, host) else f"{parts.netloc} ({address})"
            return Outcome(False, None, f"could not connect to {where}: {_reason(exc)}")
        except httpx.HTTPError as exc:
            return Outcome(False, None, f"{type(exc).__name__}: {exc}" if str(exc)
                           else type(exc).__name__)
        if 200 <= status < 300:
            return Outcome(True, status)
        return Outcome(False, status, f"HTTP {status}")

    async def _in_thread(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def _deliver(self, claimed: Claimed) -> None:
        try:
            outcome = await self.send(claimed)
        except Exception as exc:  # our bug, not the receiver's: recorded, and tried again
            log.exception("could not send webhook delivery %s", claimed.id)
            outcome = Outcome(False, None, f"{type(exc).__name__}: {exc}")
        # Recorded by the next round, with every other send that ended meanwhile; its place
        # is free from now (not once the task's callbacks have run, which the round that
        # records it could otherwise miss).
        self._inflight.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
        self._finished_sends.append((claimed, outcome))
        if self._wake is not None:
            self._wake.set()  # a free place: claim more

    async def round(self) -> int:
        """Record the sends that ended, claim what is due (as many as there are free places)
        and start sending it; how many were claimed."""
        finished, self._finished_sends = self._finished_sends, []
        free = self.concurrency - len(self._inflight)
        busy: dict[int, int] = {}
        for c in self._inflight.values():
            busy[c.webhook_id] = busy.get(c.webhook_id, 0) + 1
        claimed = await self._in_thread(self.settle, finished, free, busy)
        for c in claimed:
            task = asyncio.create_task(self._deliver(c))
            self._inflight[task] = c
            task.add_done_callback(self._finished)
        return len(claimed)

    def _finished(self, task: asyncio.Task) -> None:
        self._inflight.pop(task, None)

    async def drain(self) -> None:
        """Send everything due now and wait for the answers (for tests and one-off runs).
        A place freed by one answer takes the next due delivery: a slow receiver holds up
        only its own."""
        assert self._wake is not None
        while True:
            self._wake.clear()  # set again by every send that ends from here on
            claimed = await self.round()
            if not (claimed or self._inflight or self._finished_sends):
                return
            if not (claimed or self._finished_sends):
                await self._wake.wait()

    def wake(self) -> None:
        """Thread-safe: something was just put in the outbox."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(event.set)

    async def __aenter__(self) -> Worker:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                         timeout=self.settings.webhook_timeout_seconds)
        outbox.add_waker(self.wake)
        return self

    async def __aexit__(self, *exc) -> None:
        outbox.remove_waker(self.wake)
        unfinished = list(self._inflight.values())
        for task in list(self._inflight):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._finished_sends:  # ended before the stop: recorded, not sent again
            done = {c.id for c, _ in self._finished_sends}
            unfinished = [c for c in unfinished if c.id not in done]
            await self._in_thread(self.settle, self._finished_sends, 0, {})
            self._finished_sends = []
        if unfinished:
            # Sent again at once, by whichever worker claims next. Should this fail (the
            # database is away), their leases run out instead: nothing is lost either way.
            try:
                await self._in_thread(self.give_back, unfinished)
            except Exception:
                log.exception("could not give back %d webhook deliveries", len(unfinished))
        if self._client is not None:
            await self._client.aclose()
        self._pool.shutdown(wait=True)

    async def run(self) -> None:
        """Until cancelled: send what is due, then wait to be woken or for the next poll."""
        assert self._wake is not None
        while True:
            self._wake.clear()
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: try again at the next poll
                log.exception("webhook worker could not claim deliveries")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.webhook_poll_seconds)


def _reason(exc: BaseException) -> str:
    """Why a connection failed, from the OS error under the client's wrappers ("Connection
    refused"), or the client's own words."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        e = pending.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno:
            return os.strerror(e.errno)
        pending += [x for x in (e.__cause__, e.__context__) if x is not None]
        pending += list(getattr(e, "exceptions", ()))
    return str(exc) or type(exc).__name__


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
