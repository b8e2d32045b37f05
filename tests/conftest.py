"""The app on a real database: SQLite always; PostgreSQL + Redis when CI provides them.

Every test that uses `app`/`client` runs once per backend (ids `sqlite` and `pg`). Each xdist
worker gets its own database (and Redis key prefix); tables are emptied after each test.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

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

PASSWORD = "correct horse battery"
# Every app and server process the tests start runs with these, besides its database.
TEST_SETTINGS = dict(environment="test", secret_key="test-" + "x" * 40,
                     login_attempts_per_minute=1000, password_hash_profile="test")


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


def _empty_tables(app) -> None:
    engine = app.state.db.engine
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(t.delete())


@pytest.fixture
def db(app):
    """A unit of work for arranging data directly; committed when the block ends."""
    return app.state.db.unit_of_work


@pytest.fixture(autouse=True)
def _clean(request) -> Iterator[None]:
    yield
    clock.reset()
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        _empty_tables(app)
        app.state.channels.invalidate()  # ids are reused once tables are emptied
        app.state.limiter.reset()


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


class ThreadedServer:
    def __init__(self, app):
        self.port = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off", ws="websockets-sansio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)


@pytest.fixture(scope="session")
def _server(app) -> Iterator[ThreadedServer]:
    # Lifespan already ran through the session TestClient in `app`; the server reuses that app.
    server = ThreadedServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_server(_server) -> str:
    return _server.url


