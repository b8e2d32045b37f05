"""The realtime hub, run against both backends: in-process ("memory") and Redis ("redis").

Redis tests use a random channel prefix each, so parallel runs on one server never collide;
two Hub instances on the same URL and prefix stand in for two app processes.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from overture.realtime.hub import (
    Hub,
    HubClosed,
    RedisHub,
    SubscriptionClosed,
    make_hub,
)
from tests.services import redis_url

pytestmark = pytest.mark.anyio

HubFactory = Callable[[], Awaitable[Hub]]
# Waits only bound how long a test waits for something that should happen; none is a limit
# the code must meet. A slow machine makes a test slower, never red.
WAIT = 10.0
QUIET = 0.2  # how long "nothing arrives" is given to be wrong


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "redis"])
def hub_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def prefix() -> str:
    return f"overture-test:{uuid.uuid4().hex}:"


@pytest.fixture
async def new_hub(hub_kind: str, prefix: str) -> AsyncIterator[HubFactory]:
    """Start hubs of this test's kind, sharing one prefix (one 'deployment'); stop them after."""
    url = redis_url() if hub_kind == "redis" else None
    hubs: list[Hub] = []

    async def start() -> Hub:
        hub = make_hub(url, prefix=prefix)
        await hub.start()
        hubs.append(hub)
        return hub

    yield start
    for hub in hubs:
        await hub.stop()


@pytest.fixture
async def hub(new_hub: HubFactory) -> Hub:
    return await new_hub()


@pytest.fixture
async def redis_hub(prefix: str) -> AsyncIterator[RedisHub]:
    hub = RedisHub(redis_url(), prefix=prefix)
    await hub.start()
    yield hub
    await hub.stop()


@pytest.fixture
async def admin() -> AsyncIterator[Redis]:
    """A separate client for inspecting (and sabotaging) the hub's connections."""
    client = Redis.from_url(redis_url())
    yield client
    await client.aclose()


async def test_delivers_to_a_subscriber(hub: Hub) -> None:
    async with hub.subscribe("conversation:42") as sub:
        await hub.publish("conversation:42", {"text": "hi", "n": 1, "tags": ("a",)})
        topic, msg = await sub.get(timeout=WAIT)
    assert topic == "conversation:42"
    assert msg == {"text": "hi", "n": 1, "tags": ["a"]}  # JSON round trip on both backends


async def test_delivers_to_every_subscriber(hub: Hub) -> None:
    async with (
        hub.subscribe("channel:abc") as one,
        hub.subscribe("channel:abc") as two,
        hub.subscribe("other", "channel:abc") as three,
    ):
        await hub.publish("channel:abc", {"n": 1})
        for sub in (one, two, three):
            assert await sub.get(timeout=WAIT) == ("channel:abc", {"n": 1})


async def test_concurrent_subscribers_of_a_new_topic_all_receive(hub: Hub) -> None:
    subs = [hub.subscribe("t") for _ in range(10)]
    await asyncio.gather(*(s.__aenter__() for s in subs))
    try:
        await hub.publish("t", {"n": 1})
        for sub in subs:
            assert await sub.get(timeout=WAIT) == ("t", {"n": 1})
    finally:
        await asyncio.gather(*(s.__aexit__(None, None, None) for s in subs))


async def test_topics_are_isolated(hub: Hub) -> None:
    async with hub.subscribe("a") as a, hub.subscribe("b") as b:
        await hub.publish("b", {"to": "b"})
        await hub.publish("a", {"to": "a"})
        assert await a.get(timeout=WAIT) == ("a", {"to": "a"})
        assert await b.get(timeout=WAIT) == ("b", {"to": "b"})
        with pytest.raises(TimeoutError):
            await a.get(timeout=QUIET)


async def test_multi_topic_subscription_iterates_in_order(hub: Hub) -> None:
    async with hub.subscribe("a", "b") as sub:
        for i in range(200):
            await hub.publish("a" if i % 3 else "b", {"i": i})
        got = []
        async for topic, msg in sub:
            got.append((topic, msg["i"]))
            if len(got) == 200:
                break
    assert got == [("a" if i % 3 else "b", i) for i in range(200)]


async def test_unsubscribe_stops_delivery(hub: Hub) -> None:
    async with hub.subscribe("t") as stays:
        async with hub.subscribe("t") as leaves:
            pass
        await hub.publish("t", {"n": 1})
        assert await stays.get(timeout=WAIT) == ("t", {"n": 1})
        with pytest.raises(SubscriptionClosed):
            await leaves.get(timeout=QUIET)
    # Subscribing again after everyone left works (the Redis channel is re-subscribed).
    async with hub.subscribe("t") as again:
        await hub.publish("t", {"n": 2})
        assert await again.get(timeout=WAIT) == ("t", {"n": 2})


async def test_two_processes(hub_kind: str, new_hub: HubFactory) -> None:
    first, second = await new_hub(), await new_hub()
    async with first.subscribe("t") as on_first, second.subscribe("t") as on_second:
        await first.publish("t", {"from": "first"})
        await second.publish("t", {"from": "second"})
        if hub_kind == "redis":
            for sub in (on_first, on_second):
                assert {(await sub.get(timeout=WAIT))[1]["from"] for _ in range(2)} == {
                    "first",
                    "second",
                }
        else:  # in-process hubs are islands
            assert await on_first.get(timeout=WAIT) == ("t", {"from": "first"})
            assert await on_second.get(timeout=WAIT) == ("t", {"from": "second"})
            with pytest.raises(TimeoutError):
                await on_first.get(timeout=QUIET)
            with pytest.raises(TimeoutError):
                await on_second.get(timeout=QUIET)


async def test_publish_threadsafe_from_a_worker_thread(hub: Hub) -> None:
    published = threading.Event()

    def handler() -> None:  # like a sync FastAPI handler in the threadpool
        for i in range(50):
            hub.publish_threadsafe("t", {"i": i})
        published.set()

    async with hub.subscribe("t") as sub:
        worker = threading.Thread(target=handler)
        worker.start()
        # The event loop is held up here, so the worker can only finish if publishing hands
        # each message over without waiting for the loop.
        assert published.wait(WAIT)
        got = [(await sub.get(timeout=WAIT))[1]["i"] for _ in range(50)]
        worker.join(WAIT)
    assert got == list(range(50))  # all of them, in order


async def test_publish_threadsafe_before_start_raises_and_after_stop_is_dropped(
    hub_kind: str,
) -> None:
    hub = make_hub(redis_url() if hub_kind == "redis" else None, prefix="unused:")
    with pytest.raises(RuntimeError, match="start"):
        hub.publish_threadsafe("t", {})
    await hub.start()
    await hub.stop()
    hub.publish_threadsafe("t", {})  # a sync handler racing shutdown must not blow up


async def test_message_must_be_a_json_object(hub: Hub) -> None:
    with pytest.raises(TypeError):
        await hub.publish("t", ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hub.publish_threadsafe("t", {"when": object()})


async def test_overflow_drops_oldest_without_blocking(hub: Hub) -> None:
    async with hub.subscribe("t") as sub:
        # Nobody reads while these are published: publishing must not wait for the reader.
        async with asyncio.timeout(WAIT):
            for i in range(1010):
                await hub.publish("t", {"i": i})
            while sub.dropped < 10:  # Redis delivers asynchronously
                await asyncio.sleep(0.01)
        assert sub.dropped == 10
        got = [(await sub.get(timeout=WAIT))[1]["i"] for _ in range(1000)]
        assert got == list(range(10, 1010))  # the newest 1000, in order
        with pytest.raises(TimeoutError):
            await sub.get(timeout=QUIET)


async def test_get_times_out(hub: Hub) -> None:
    async with hub.subscribe("t") as sub:
        with pytest.raises(TimeoutError):
            await sub.get(timeout=0.05)


async def test_stop_is_idempotent_and_ends_subscriptions(hub: Hub) -> None:
    async with hub.subscribe("t") as sub:
        got: list[int] = []

        async def consume() -> None:
            async for _, msg in sub:
                got.append(msg["i"])

        consumer = asyncio.create_task(consume())
        await hub.publish("t", {"i": 1})
        async with asyncio.timeout(WAIT):
            while not got:
                await asyncio.sleep(0.01)
        await asyncio.gather(hub.stop(), hub.stop())
        await hub.stop()
        await asyncio.wait_for(consumer, WAIT)  # stopping ended the subscription
        assert got == [1]


async def test_subscribe_or_publish_after_stop_raises(hub: Hub) -> None:
    await hub.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        hub.subscribe("t")
    with pytest.raises(HubClosed):
        await hub.publish("t", {})
    with pytest.raises(HubClosed):
        await hub.start()


async def test_redis_shares_one_subscription_per_topic(redis_hub: RedisHub, admin: Redis) -> None:
    channel = redis_hub.prefix + "t"

    async def subscribers() -> int:
        return dict(await admin.pubsub_numsub(channel))[channel.encode()]

    async with redis_hub.subscribe("t"):
        async with redis_hub.subscribe("t"):
            assert await subscribers() == 1  # one pubsub connection for the whole hub
        assert await subscribers() == 1
    async with asyncio.timeout(WAIT):  # UNSUBSCRIBE is sent, not awaited, on exit
        while await subscribers():
            await asyncio.sleep(0.01)


async def _past_resync(sub):
    """The next message that is not a resync (one entered during the cut may get one too)."""
    while True:
        got = await sub.get(timeout=WAIT)
        if got[1] != {"type": "resync"}:
            return got


async def test_redis_reconnects_after_the_connection_is_killed(
    redis_hub: RedisHub, admin: Redis
) -> None:
    async def pubsub_ids() -> set[str]:
        # Only this hub's connections: its client name is unique to this test.
        clients = await admin.client_list(_type="pubsub")
        return {c["id"] for c in clients if c["name"] == redis_hub.client_name}

    async with redis_hub.subscribe("before") as before:
        (old,) = await pubsub_ids()
        await admin.client_kill_filter(_id=old)
        # Entering while the link may be down waits for the reconnect instead of failing.
        async with redis_hub.subscribe("during") as during:
            new = await pubsub_ids()
            assert new and old not in new
            # A subscription that lived through the cut is told to read the database again.
            assert await before.get(timeout=WAIT) == ("before", {"type": "resync"})
            await redis_hub.publish("before", {"n": 1})
            await redis_hub.publish("during", {"n": 2})
            assert await before.get(timeout=WAIT) == ("before", {"n": 1})
            assert await _past_resync(during) == ("during", {"n": 2})
