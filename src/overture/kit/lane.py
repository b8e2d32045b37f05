"""The database lane: a few threads that each own one connection, with group commit.

Hot widget requests (page views, re-checks, events) are jobs: functions of a `JobContext` that
return a result, or a generator of statements (`hotsql.Steps`). An async route awaits
`lane.run(job)`; a lane thread takes every job queued (up to `max_batch`), runs them in one
transaction, commits once, and only then answers each job.
So a request never holds a connection while it waits for a thread, nor a thread while it waits
for a connection: the two are one. Acknowledged means committed.

If any job of a batch fails, the batch is rolled back and each of its jobs runs again alone, in
its own transaction: one bad request never takes others down with it. Jobs must therefore be
safe to run twice from the start (they are: load → decide → write from the database's state).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine

from overture.kit import hotsql

log = logging.getLogger(__name__)
T = TypeVar("T")


class Contended(Exception):
    """Raised by a job that lost a race with a concurrent writer: run it again alone."""


@dataclass
class JobContext:
    """What a job gets: its connection, the lane thread's shard, and a batch accumulator.

    `deferred(name, flush)` gives the batch's shared accumulator under `name` (a dict);
    `flush(conn, acc)` runs once, just before the commit. Counters added that way are written
    once per batch, in a sorted order, so two processes' batches never lock the same rows in
    opposite orders.
    """

    conn: Connection
    shard: int
    _deferred: dict[str, tuple[dict, Callable[[Connection, dict], None]]] = field(
        default_factory=dict)

    def deferred(self, name: str, flush: Callable[[Connection, dict], None]) -> dict:
        slot = self._deferred.get(name)
        if slot is None:
            slot = self._deferred[name] = ({}, flush)
        return slot[0]

    def commit(self) -> None:
        for acc, flush in self._deferred.values():
            flush(self.conn, acc)
        self._deferred.clear()
        self.conn.commit()


@dataclass
class _Item:
    job: Callable[[JobContext], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


_STOP = object()


def _settle(item: _Item, result: Any = None, error: BaseException | None = None) -> None:
    def apply() -> None:
        if item.future.done():
            return
        if error is not None:
            item.future.set_exception(error)
        else:
            item.future.set_result(result)

    # RuntimeError: the caller's loop has closed, so nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        item.loop.call_soon_threadsafe(apply)


def _run_jobs(ctx: JobContext, jobs: list[Callable[[JobContext], Any]]) -> list[Any]:
    """Run a batch's jobs. A job is a plain function of the context, or a generator of
    statements (`hotsql.Steps`), which `hotsql.drive_all` runs for all of them at once."""
    results: list[Any] = []
    steps: dict[int, Any] = {}
    for i, job in enumerate(jobs):
        result = job(ctx)
        if isinstance(result, Generator):
            steps[i] = result
        results.append(result)
    if steps:
        for i, result in zip(steps, hotsql.drive_all(ctx.conn, list(steps.values())),
                             strict=True):
            results[i] = result
    return results


def _settle_all(items: list[_Item], results: list[Any]) -> None:
    """Answer a batch: one wake-up of each waiting event loop, not one per request."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Item, Any]]] = {}
    for item, result in zip(items, results, strict=True):
        by_loop.setdefault(item.loop, []).append((item, result))

    def apply(answers: list[tuple[_Item, Any]]) -> None:
        for item, result in answers:
            if not item.future.done():
                item.future.set_result(result)

    for loop, answers in by_loop.items():
        # RuntimeError: that loop has closed, so nobody there is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(apply, answers)


class Lane:
    def __init__(self, engine: Engine, threads: int = 1, max_batch: int = 64,
                 shard_base: int = 0) -> None:
        self.engine = engine
        self.threads = threads
        self.max_batch = max_batch
        self._shard_base = shard_base
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._workers:
                return
            for i in range(self.threads):
                t = threading.Thread(target=self._work, args=(self._shard_base + i,),
                                     name=f"db-lane-{i}", daemon=True)
                t.start()
                self._workers.append(t)

    def stop(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for _ in workers:
            self._queue.put(_STOP)
        for t in workers:
            t.join(10)

    async def run(self, job: Callable[[JobContext], T]) -> T:
        if not self._workers:
            self.start()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put(_Item(job, loop, future))
        return await future

    # -- the lane thread ----------------------------------------------------------------------

    def _work(self, shard: int) -> None:
        conn: Connection | None = None
        while True:
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(nxt)
            try:
                if conn is None or conn.closed or conn.invalidated:
                    conn = self.engine.connect()
                self._run_batch(conn, shard, batch)
            except BaseException as exc:  # the connection itself failed: answer everyone
                log.exception("database lane failed a batch")
                for item in batch:
                    _settle(item, error=exc)
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:
                        log.debug("closing a failed lane connection", exc_info=True)
                conn = None
        if conn is not None:
            conn.close()

    def _run_batch(self, conn: Connection, shard: int, batch: list[_Item]) -> None:
        if len(batch) == 1:
            self._run_alone(conn, shard, batch[0], retry=True)
            return
        ctx = JobContext(conn, shard)
        try:
            results = _run_jobs(ctx, [item.job for item in batch])
            ctx.commit()
        except Exception as exc:
            log.debug("a batch of %d failed (%r); its jobs run again one by one", len(batch),
                      exc)
            conn.rollback()
            for item in batch:
                self._run_alone(conn, shard, item, retry=True)
            return
        _settle_all(batch, results)

    def _run_alone(self, conn: Connection, shard: int, item: _Item, retry: bool) -> None:
        ctx = JobContext(conn, shard)
        try:
            result = _run_jobs(ctx, [item.job])[0]
            ctx.commit()
        except Contended:
            conn.rollback()
            if retry:  # the concurrent writer has committed by now: the job sees its row
                self._run_alone(conn, shard, item, retry=False)
                return
            _settle(item, error=RuntimeError("a concurrent write kept this request from "
                                             "completing"))
            return
        except BaseException as exc:
            conn.rollback()
            _settle(item, error=exc)
            return
        _settle(item, result)
