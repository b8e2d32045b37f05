import asyncio, uuid, sys
import pytest
from redis.asyncio import Redis
from overture.realtime.hub import RedisHub
from tests.services import redis_url
pytestmark = pytest.mark.anyio

@pytest.fixture
def anyio_backend(): return "asyncio"

async def dump():
    for t in asyncio.all_tasks():
        if "listener" not in t.get_name(): continue
        c = t.get_coro()
        while c is not None:
            f = getattr(c, "cr_frame", None) or getattr(c, "gi_frame", None) or getattr(c, "ag_frame", None)
            print("  ", type(c).__name__, f and (f.f_code.co_filename, f.f_lineno, f.f_code.co_name), file=sys.stderr)
            c = getattr(c, "cr_await", None) or getattr(c, "gi_yieldfrom", None)
            if c is not None and not hasattr(c, "cr_frame") and not hasattr(c, "gi_frame"):
                print("   awaiting", repr(c)[:300], file=sys.stderr); break

@pytest.fixture
async def redis_hub():
    hub = RedisHub(redis_url(), prefix=f"x:{uuid.uuid4().hex}:")
    await hub.start()
    yield hub
    async def watchdog():
        await asyncio.sleep(3)
        print("STOP HUNG", file=sys.stderr); await dump()
    w = asyncio.create_task(watchdog())
    await hub.stop()
    w.cancel()
    print("stopped ok", file=sys.stderr)

@pytest.fixture
async def admin():
    client = Redis.from_url(redis_url())
    yield client
    async def watchdog():
        await asyncio.sleep(3)
        print("ADMIN HUNG", file=sys.stderr); await dump()
    w = asyncio.create_task(watchdog())
    await client.aclose()
    w.cancel()
    print("admin closed ok", file=sys.stderr)

async def test_dbg(redis_hub, admin):
    hub = redis_hub
    async with hub.subscribe("before") as before:
        (old,) = {c["id"] for c in await admin.client_list(_type="pubsub") if c["name"] == hub.client_name}
        await admin.client_kill_filter(_id=old)
        async with hub.subscribe("during") as during:
            pass
