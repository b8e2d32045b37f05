"""Open connections counted over every process through Redis, and in one process while Redis
is away; a place held by a process that died is free again once its entry lapses."""

from __future__ import annotations

import secrets
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest

from overture.kit.clock import clock
from overture.kit.openings import OpenCounts, SharedOpenCounts
from tests.conftest import _free_port
from tests.services import redis_url

pytestmark = pytest.mark.anyio
PLACES = [("visitor:7", 2), ("ip:203.0.113.9", 3)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def pair():
    """Two processes' counts on one Redis."""
    client = SharedOpenCounts.client(redis_url())
    prefix = f"overture-test-open-{secrets.token_hex(4)}:"
    a, b = SharedOpenCounts(client, prefix), SharedOpenCounts(client, prefix)
    yield a, b
    for counts in (a, b):
        counts.stop()
    for name in client.scan_iter(prefix + "*"):
        client.delete(name)


async def _held(counts, stack: AsyncExitStack, places=PLACES) -> bool:
    return await stack.enter_async_context(counts.hold(places))


async def test_places_are_counted_over_processes_and_given_back(pair):
    a, b = pair
    async with AsyncExitStack() as stack:
        assert await _held(a, stack) and await _held(b, stack)
        assert not await _held(a, stack) and not await _held(b, stack)  # the visitor's 2
        # Another visitor at the same address still gets the address's third place.
        assert await _held(b, stack, [("visitor:8", 2), ("ip:203.0.113.9", 3)])
        async with a.hold([("visitor:9", 2), ("ip:203.0.113.9", 3)]) as fourth:
            assert not fourth  # the address is full; and nothing was taken for visitor 9
        async with b.hold([("visitor:9", 1)]) as alone:
            assert alone
    async with AsyncExitStack() as stack:  # all given back
        assert await _held(a, stack) and await _held(b, stack)


async def test_a_dead_processes_places_lapse(pair):
    a, b = pair
    dead = a.hold(PLACES)
    assert await dead.__aenter__()  # never left: the process died holding it
    async with AsyncExitStack() as stack:
        assert await _held(b, stack)
        assert not await _held(b, stack)
    clock.advance(timedelta(seconds=SharedOpenCounts.TTL + 1))
    try:
        async with AsyncExitStack() as stack:
            assert await _held(b, stack) and await _held(b, stack)
    finally:
        clock.reset()


async def test_renewed_places_do_not_lapse(pair):
    a, b = pair
    async with a.hold(PLACES) as held:
        assert held
        for _ in range(3):
            clock.advance(timedelta(seconds=SharedOpenCounts.TTL * 0.8))
            a.renew()
        async with AsyncExitStack() as stack:
            assert await _held(b, stack)
            assert not await _held(b, stack)
    clock.reset()


async def test_without_redis_each_process_counts_its_own():
    counts = SharedOpenCounts(SharedOpenCounts.client(f"redis://127.0.0.1:{_free_port()}/0"),
                              "nowhere:")
    async with AsyncExitStack() as stack:
        assert await _held(counts, stack) and await _held(counts, stack)
        assert not await _held(counts, stack)
    async with AsyncExitStack() as stack:
        assert await _held(counts, stack)


async def test_in_one_process():
    counts = OpenCounts()
    async with AsyncExitStack() as stack:
        assert await _held(counts, stack) and await _held(counts, stack)
        assert not await _held(counts, stack)
    async with counts.hold(PLACES) as again:
        assert again
