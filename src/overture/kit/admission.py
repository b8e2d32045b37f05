"""Admission to the database: a bound on the units of work open at once, per app.

A request with a sync dependency and a sync endpoint needs two threadpool hops, and holds its
connection in between. Unbounded, a burst ends with every thread of the pool blocked on a
connection checkout while every connection is held by a request waiting for a thread; both
wait until the connection pool's timeout. So a unit of work is admitted here first, on the
event loop and before it has a session, and leaves once its session is closed. At most

    min(connections the pool can hand out, threads of the pool - 1)

are open at once. The admitted never outnumber the connections, so none of them queues on the
connection pool (a SQLite lane's connections are counted out; a passing checkout such as a WAL
checkpoint can make one wait a moment, in a thread). And they never fill the thread pool, so
an admitted request waiting for a thread gets one from work that waits on nothing of ours.

Everything that opens a unit of work while serving requests goes through here:
`deps.get_db` for routes, `run_unit` for code that opens its own in one thread hop. Queries
run in threads only: one on the event loop, waiting for a connection or a lock, would stop
every request that could release it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import anyio.to_thread
from anyio import CapacityLimiter
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

T = TypeVar("T")
_lock = threading.Lock()


def pool_capacity(engine: Engine) -> int | None:
    """How many connections the engine's pool hands out at most; None if it never makes a
    caller wait (NullPool, SQLite's in-memory pools, an unlimited overflow)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return None
    max_overflow = pool._max_overflow  # no public accessor; overflow() is the current count
    if pool.size() <= 0 or max_overflow < 0:
        return None
    return pool.size() + max_overflow


def request_capacity(database) -> int | None:
    """Connections left for units of work: the pool's, less those a database lane sharing the
    engine keeps for its own threads (on SQLite the lane uses the request engine)."""
    capacity = pool_capacity(database.engine)
    if capacity is not None:
        capacity -= database.reserved_connections
    return capacity


def gate_size(capacity: int | None, threads: int) -> int:
    limit = max(1, threads - 1)
    return limit if capacity is None else max(1, min(capacity, limit))


@dataclass
class Gate:
    """One event loop's gate for one app."""

    size: int
    admitted: int = field(default=0, init=False)  # open units of work, for tests and metrics
    semaphore: asyncio.Semaphore = field(init=False)
    # Finishing a unit of work (commit or rollback, close) holds a connection: it takes a
    # thread of its own instead of queueing for the shared pool. At most `size` at once.
    finishers: CapacityLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.semaphore = asyncio.Semaphore(self.size)
        self.finishers = CapacityLimiter(self.size)

    async def finish(self, func: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(func, *args, limiter=self.finishers)


def gate(app) -> Gate:
    """This app's gate on the running event loop, sized when the loop first asks for it.

    Per loop because semaphores and AnyIO's thread limiter belong to one loop (tests and
    embedded servers run several); read lazily, so a thread limit raised at startup counts.
    """
    loop = asyncio.get_running_loop()
    gates: WeakKeyDictionary[asyncio.AbstractEventLoop, Gate] | None
    gates = getattr(app.state, "admission", None)
    if gates is None:
        with _lock:
            gates = getattr(app.state, "admission", None)
            if gates is None:
                gates = app.state.admission = WeakKeyDictionary()
    found = gates.get(loop)
    if found is None:
        threads = int(anyio.to_thread.current_default_thread_limiter().total_tokens)
        with _lock:  # loops of other threads (a test client beside a server) add theirs too
            found = gates[loop] = Gate(gate_size(request_capacity(app.state.db), threads))
    return found


@asynccontextmanager
async def admitted(app) -> AsyncIterator[Gate]:
    """Wait (on the event loop, holding nothing) for a place; give it back on leaving.

    Never nest: a holder waiting for a second place can wait forever.
    """
    g = gate(app)
    async with g.semaphore:
        g.admitted += 1
        try:
            yield g
        finally:
            g.admitted -= 1


async def run_unit(app, func: Callable[..., T], *args: Any) -> T:
    """Run `func`, which opens and closes its own unit of work, in a thread once admitted."""
    async with admitted(app):
        return await anyio.to_thread.run_sync(func, *args)
