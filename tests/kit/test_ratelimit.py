"""Rate limits shared by processes through Redis, without Redis on any request's path."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
import redis

from overture.kit.clock import clock
from overture.kit.ratelimit import MemoryRateLimiter, SharedRateLimiter
from tests.services import redis_url


@pytest.fixture(autouse=True)
def _one_window():
    """Every test starts a second into a minute: its hits fall in one window however slowly
    it runs (a test that means to cross into the next window moves the clock itself)."""
    clock.freeze(clock.now().replace(second=1, microsecond=0))
    yield
    clock.reset()


@pytest.fixture
def pair():
    """Two processes' limiters on one Redis (their syncs driven by hand)."""
    client = redis.Redis.from_url(redis_url())
    prefix = f"overture-test-rl-{secrets.token_hex(4)}:"
    a, b = SharedRateLimiter(client, prefix), SharedRateLimiter(client, prefix)
    a._thread = b._thread = object()  # no background thread: the test syncs when it means to
    yield a, b
    for name in client.scan_iter(prefix + "*"):
        client.delete(name)


def test_each_process_limits_its_own_hits_at_once(pair):
    a, _b = pair
    assert a.hit_many([("k", 3, 60)] * 5) == [True, True, True, False, False]


def test_processes_learn_each_others_hits_at_each_sync(pair):
    a, b = pair
    assert all(a.hit_many([("k", 5, 60)] * 4))
    assert all(b.hit_many([("k", 5, 60)] * 1))  # b doesn't know of a's hits yet
    a.sync()
    b.sync()
    # Together 5 hits were counted: b, which synced last, refuses the next one.
    assert b.hit_many([("k", 5, 60)]) == [False]
    # a learns of b's hits at its next sync after a hit of its own: one overshoot at most.
    assert a.hit_many([("k", 5, 60)]) == [True]
    a.sync()
    assert a.hit_many([("k", 5, 60)]) == [False]


def test_a_new_window_starts_from_zero(pair):
    a, _b = pair
    assert a.hit_many([("k", 1, 60)] * 2) == [True, False]
    clock.advance(timedelta(seconds=60))
    assert a.hit_many([("k", 1, 60)]) == [True]


def test_while_redis_is_away_each_process_goes_on_alone():
    gone = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    limiter = SharedRateLimiter(gone, "overture-test-gone:")
    limiter._thread = object()
    assert limiter.hit_many([("k", 2, 60)] * 3) == [True, True, False]
    limiter.sync()  # fails, logs, keeps the hits to send later
    assert limiter.hit_many([("k", 2, 60)]) == [False]


def test_the_memory_limiter_counts_per_key_and_window():
    limiter = MemoryRateLimiter()
    assert limiter.hit_many([("a", 1, 60), ("b", 1, 60), ("a", 1, 60)]) == [True, True, False]
    limiter.reset()
    assert limiter.hit_many([("a", 1, 60)]) == [True]


def test_redis_holds_a_window_as_one_hash_that_expires(pair):
    a, b = pair
    a.hit_many([("x", 9, 60), ("y", 9, 60), ("x", 9, 60)])
    b.hit_many([("x", 9, 60)])
    a.sync()
    b.sync()
    name = f"{a._prefix}60:{int(clock.now().timestamp() // 60)}"
    assert a._redis.hgetall(name) == {b"x": b"3", b"y": b"1"}
    assert 0 < a._redis.ttl(name) <= 120


def test_a_sync_after_redis_forgot_its_scripts_loads_them_again(pair):
    a, b = pair
    a.hit_many([("k", 3, 60)] * 2)
    a._redis.script_flush()  # as after a restart of Redis
    a.sync()
    b.hit_many([("k", 3, 60)])
    b.sync()
    assert b.hit_many([("k", 3, 60)]) == [False]


def _an_ended_window_is_forgotten_when_the_next_one_opens(limiter, counts) -> None:
    limiter.hit_many([(f"visitor-{i}", 5, 60) for i in range(1000)])
    clock.advance(timedelta(seconds=60))
    assert limiter.hit_many([("visitor-1", 1, 60)]) == [True]
    assert {key for window in counts.values() for key in window} == {"visitor-1"}


def test_the_memory_limiter_forgets_an_ended_window():
    limiter = MemoryRateLimiter()
    _an_ended_window_is_forgotten_when_the_next_one_opens(limiter, limiter._counts)


def test_the_shared_limiter_forgets_an_ended_window(pair):
    a, _b = pair
    _an_ended_window_is_forgotten_when_the_next_one_opens(a, a._own)
    assert {key for window in a._others.values() for key in window} <= {"visitor-1"}
