"""The app on a real database: SQLite always; PostgreSQL + Redis when CI provides them.

Every test that uses `app`/`client` runs once per backend (ids `sqlite` and `pg`). Each xdist
worker gets its own database (and Redis key prefix); tables are emptied after each test, once
nothing of the app uses the database any more (see `_clean`).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from overture.accounts.models import User
from overture.accounts.service import create_token, get_settings_row
from overture.app import create_app
from overture.cli import migrate
from overture.config import Settings
from overture.kit import passwords
from overture.kit.clock import clock
from overture.kit.passwords import hash_password
from overture.models import Base
from tests.services import database_url, redis_url
from tests.throwaway_redis import throwaway_redis  # noqa: F401 - a fixture for every test

PASSWORD = "correct horse battery"
# Every app and server process the tests start runs with these, besides its database.
TEST_SETTINGS = dict(environment="test", secret_key="test-" + "x" * 40,
                     login_attempts_per_minute=1000, password_hash_profile="test",
                     # Tests send webhooks with a worker of their own (tests/webhooks).
                     webhook_worker=False)
# How long cleaning waits for the live server, the lane and the pools to be done with the
# database. Only a bound: a test that gets there in order never waits for it.
SETTLE_SECONDS = 30.0


def pytest_configure(config):
    # Argon2's production cost is paid once per login; the suite logs in hundreds of times.
    # This process hashes like the test apps (fixtures, commands run in-process).
    passwords.use_profile(TEST_SETTINGS["password_hash_profile"])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    # Before `-m` selects: everything under tests/e2e is a real-browser test.
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_database(server_url: str, name: str) -> str:
    admin = create_engine(_psycopg(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return re.sub(r"/[^/]*$", f"/{name}", server_url)


def _psycopg(url: str) -> str:
    return re.sub(r"^postgresql(\+\w+)?://", "postgresql+psycopg://", url)


@dataclass
class Backend:
    name: str
    database_url: str
    redis_url: str | None
    redis_prefix: str

    def settings(self, **overrides) -> Settings:
        values = dict(TEST_SETTINGS, database_url=self.database_url,
                      redis_url=self.redis_url, redis_prefix=self.redis_prefix)
        values.update(overrides)
        return Settings(**values)


@pytest.fixture(scope="session", params=["sqlite", "pg"])
def backend(request, tmp_path_factory) -> Iterator[Backend]:
    worker = _worker()
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "overture.db"
        b = Backend("sqlite", f"sqlite:///{path}", None, "")
    else:
        url = _postgres_database(database_url(), f"overture_test_{worker}")
        prefix = f"overture-test-{worker}-{secrets.token_hex(4)}:"
        b = Backend("pg", url, redis_url(), prefix)
    migrate(b.database_url)
    yield b


@pytest.fixture(scope="session")
def app(backend: Backend):
    application = create_app(backend.settings())
    with TestClient(application):  # runs the lifespan (hub start/stop) once
        yield application


# -- emptying the database between tests -----------------------------------------------------

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: NOWAIT or lock_timeout gave up


class CleaningFailed(Exception):
    pass


def _empty_tables(engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            for t in tables:
                conn.execute(t.delete())
        return
    names = ", ".join(f'"{t.name}"' for t in tables)
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        try:
            with engine.begin() as conn:
                # Never wait for a lock. A TRUNCATE takes its tables' locks one by one; waiting
                # for one while holding others can close a cycle with a transaction still
                # reading them (a deadlock). Here either every table is free at once, or
                # nothing is held and it tries again.
                conn.execute(text("SET LOCAL lock_timeout = '100ms'"))
                conn.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE NOWAIT"))
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            if time.monotonic() > deadline:
                raise CleaningFailed(
                    f"the tables stayed locked for {SETTLE_SECONDS:.0f} s; other sessions "
                    f"of the database: {_other_sessions(engine)}") from exc
        time.sleep(0.02)


def _other_sessions(engine) -> list[str]:
    with engine.connect() as conn:
        return [f"{state}: {query}" for state, query in conn.execute(text(
            "SELECT state, left(query, 200) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))]


class Checkouts:
    """Who holds each connection checked out of an engine's pool: for the error message of a
    cleaning that finds one still out."""

    def __init__(self, name: str, engine) -> None:
        self.name = name
        self.engine = engine
        self._held: dict[int, tuple[str, traceback.StackSummary]] = {}
        event.listen(engine, "checkout", self._out)
        event.listen(engine, "checkin", self._in)

    def _out(self, dbapi_conn, _record, _proxy) -> None:
        self._held[id(dbapi_conn)] = (threading.current_thread().name,
                                      traceback.extract_stack(limit=40)[:-1])

    def _in(self, dbapi_conn, _record) -> None:
        self._held.pop(id(dbapi_conn), None)

    def count(self) -> int:
        return self.engine.pool.checkedout()

    def describe(self) -> str:
        holders = []
        for thread, stack in list(self._held.values()):
            ours = [f"{f.filename.rsplit('/src/', 1)[-1].rsplit('/tests/', 1)[-1]}:{f.lineno} "
                    f"{f.name}" for f in stack if "/overture/" in f.filename
                    or "/tests/" in f.filename]
            holders.append(f"thread {thread} from {' < '.join(reversed(ours[-6:]))}")
        return f"{self.count()} connection(s) of the {self.name} out: {holders}"


def _wait_for_pools(pools: list[Checkouts], timeout: float,
                    unless: Callable[[], bool]) -> list[str]:
    """Wait until every connection is back in its pool, or `unless()`; who holds those still
    out."""
    deadline = time.monotonic() + timeout
    while True:
        out = [p.describe() for p in pools if p.count()]
        if not out or unless() or time.monotonic() > deadline:
            return out
        time.sleep(0.005)


class Cleaner:
    """Empties an app's database, once nothing of the app is using it.

    A test is over when its function returns, not its server: the live server may still be
    answering what a browser sent just before its page closed (a report, the last frames of a
    socket), and a lane batch may be between two statements. Emptying the tables under them
    can deadlock on PostgreSQL, or leave a row behind for the next test. So first the live
    server finishes every call, the lane every batch, and every connection is back in its
    pool; only then are the tables emptied, without ever waiting for a lock.
    """

    def __init__(self, app) -> None:
        self.app = app
        db = app.state.db
        self.pools = [Checkouts("request engine", db.engine)]
        if db.lane.engine is not db.engine:
            self.pools.append(Checkouts("lane's engine", db.lane.engine))
        self.server: ThreadedServer | None = None
        self.dirty = False
        self._served = 0  # the live server's calls when the tables were last emptied

    def needed(self) -> bool:
        """The last cleaning failed, or the live server took a call after it."""
        return self.dirty or self._calls() != self._served

    def clean(self, *, patience: float = SETTLE_SECONDS / 3, blame: bool = True) -> None:
        """Empty the tables once the live server has answered every call (after `patience`
        seconds, it is restarted, which closes what is still open), the lane has run every
        batch, and the pools have every connection back. With `blame`, raise afterwards if
        it took a restart, or a connection stayed out: the test left them behind."""
        self.dirty = True
        problems = self._settle(patience)
        db = self.app.state.db
        _empty_tables(db.engine)
        self.app.state.channels.invalidate()  # ids are reused once tables are emptied
        self.app.state.limiter.reset()
        self.app.state.open_sockets.reset()
        self._served = self._calls()
        self.dirty = False
        if problems and blame:
            raise CleaningFailed("the test left work behind (the database was emptied after "
                                 "it was stopped): " + "; ".join(problems))

    def _calls(self) -> int:
        return self.server.calls.started if self.server is not None else 0

    def _settle(self, patience: float) -> list[str]:
        problems: list[str] = []
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            seen = self._calls()
            if self.server is not None:
                problems += self._let_the_server_finish(patience)
            db = self.app.state.db
            # Stopping the lane runs every job queued before the stop and gives its
            # connections back; started again, it connects at its next job.
            db.lane.stop()
            db.lane.start()
            out = _wait_for_pools(self.pools, SETTLE_SECONDS / 3,
                                  unless=lambda seen=seen: self._calls() != seen)
            # A call that reached the server after it looked finished (a browser's request
            # still in the socket when its page closed): settle again, it may have started
            # the lane, which keeps a connection while it lives.
            if self._calls() == seen or time.monotonic() > deadline:
                return problems + out

    def _let_the_server_finish(self, patience: float) -> list[str]:
        assert self.server is not None
        still_open = self.server.calls.wait_until_done(patience)
        if not still_open:
            return []
        # Sockets the test left open: restarting the server closes them.
        self.server.stop(now=True)
        self.server.start()
        if self.server.calls.wait_until_done(SETTLE_SECONDS / 3):
            raise CleaningFailed(f"the live server did not stop serving {still_open}")
        return [f"the live server was still serving {still_open}"]


@pytest.fixture(scope="session")
def _cleaner(app) -> Cleaner:
    return Cleaner(app)


@pytest.fixture
def db(app):
    """A unit of work for arranging data directly; committed when the block ends."""
    return app.state.db.unit_of_work


@pytest.fixture(autouse=True)
def _clean(request) -> Iterator[None]:
    cleaner = request.getfixturevalue("_cleaner") if "app" in request.fixturenames else None
    if cleaner is not None and cleaner.needed():
        # What a failed cleaning, or a call that came late, left behind: not this test's doing.
        cleaner.clean(blame=False)
    yield
    clock.reset()
    if cleaner is not None:
        if request.node.stash.get(_FAILED, False):
            # A failed test leaves its pages and sockets open: no use waiting for them.
            cleaner.clean(patience=1.0, blame=False)
        else:
            cleaner.clean()


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    # Not entered as a context manager: the session-wide lifespan in `app` stays the only one.
    yield TestClient(app, base_url="http://testserver")


@dataclass
class Caller:
    id: int
    email: str
    headers: dict[str, str]


@cache
def _password_hash() -> str:
    # The shared test password, hashed once per worker.
    return hash_password(PASSWORD)


def _make_user(app, role: str, email: str) -> Caller:
    with app.state.db.unit_of_work() as session:
        get_settings_row(session)
        user = User(email=email, name=role.title(), password_hash=_password_hash(), role=role)
        session.add(user)
        session.flush()
        _token, secret = create_token(session, user, "tests")
        return Caller(user.id, user.email, {"Authorization": f"Bearer {secret}"})


@pytest.fixture
def admin(app) -> Caller:
    return _make_user(app, "admin", "admin@example.test")


@pytest.fixture
def agent(app) -> Caller:
    return _make_user(app, "agent", "agent@example.test")


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD):
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token}, follow_redirects=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedCalls:
    """An ASGI app in front of the app: which calls (HTTP requests, WebSockets) it is serving."""

    def __init__(self, app) -> None:
        self.app = app
        self.started = 0
        self._open: dict[int, str] = {}
        self._changed = threading.Condition()

    async def __call__(self, scope, receive, send) -> None:
        with self._changed:
            self.started += 1
            key = self.started
            self._open[key] = f"{scope['type']} {scope.get('path', '')}"
        try:
            await self.app(scope, receive, send)
        finally:
            with self._changed:
                del self._open[key]
                self._changed.notify_all()

    def wait_until_done(self, timeout: float) -> list[str]:
        """Wait until no call is being served; the calls still open when `timeout` ran out."""
        with self._changed:
            self._changed.wait_for(lambda: not self._open, timeout)
            return sorted(self._open.values())


class ThreadedServer:
    def __init__(self, app):
        self.calls = ServedCalls(app)
        self.port = 0
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = _free_port()
        config = uvicorn.Config(self.calls, host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="off", ws="websockets-sansio",
                                timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)

    def stop(self, *, now: bool = False) -> None:
        """Close every connection and wait for the server's thread. Calls still running are
        given a moment to finish (`timeout_graceful_shutdown`), or none with `now`."""
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.server.force_exit = now
        self.thread.join(SETTLE_SECONDS / 3)
        if self.thread.is_alive():
            raise RuntimeError("test server did not stop")


@pytest.fixture(scope="session")
def _server(app, _cleaner) -> Iterator[ThreadedServer]:
    # Lifespan already ran through the session TestClient in `app`; the server reuses that app.
    server = ThreadedServer(app)
    server.start()
    _cleaner.server = server
    yield server
    _cleaner.server = None
    server.stop()


@pytest.fixture
def live_server(_server) -> str:
    return _server.url


