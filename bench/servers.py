"""The servers under test, each in a process of its own, and the databases behind them.

Every one is a context manager: the process is stopped and its data removed on the way out,
whatever happened inside.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
SECRET = "bench-" + "s" * 40
# Limits high enough that the load generator, one IP, is never rate-limited.
OVERTURE_ENV = {
    "OVERTURE_ENVIRONMENT": "development", "OVERTURE_SECRET_KEY": SECRET,
    "OVERTURE_LOG_LEVEL": "warning",
    "OVERTURE_WIDGET_REQUESTS_PER_IP_PER_MINUTE": "1000000000",
    "OVERTURE_WIDGET_REQUESTS_PER_VISITOR_PER_MINUTE": "1000000000",
}
ERROR_LINE = re.compile(r"Traceback|\bERROR\b|Exception in ASGI")


class Unavailable(RuntimeError):
    """A service the phase needs is missing; the phase is skipped, not failed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))

    def errors(self) -> list[str]:
        """Lines of the server's output that speak of an error (a healthy run has none)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [line for line in text.splitlines() if ERROR_LINE.search(line)]


@contextmanager
def _process(name: str, argv: list[str], env: dict[str, str], port: int,
             workdir: Path) -> Iterator[Server]:
    log = workdir / f"{name.replace(' ', '-')}-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=out,
                                stderr=subprocess.STDOUT, cwd=workdir)
    server = Server(name, f"http://127.0.0.1:{port}", proc, log, env)
    try:
        _wait_ready(server)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.log.read_text()[-3000:]}")
        try:
            httpx.get(server.url + "/widget.js", timeout=1)
            return  # any answer will do: it is listening
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not start:\n{server.log.read_text()[-3000:]}")


@contextmanager
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="overture-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def overture(name: str, database_url: str, where: Path,
             extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """`overture serve` (one uvicorn worker; it migrates itself)."""
    port = free_port()
    env = {**OVERTURE_ENV, "OVERTURE_DATABASE_URL": database_url, **(extra_env or {})}
    with _process(name, [str(BIN / "overture"), "serve", "--port", str(port)], env, port,
                  where) as server:
        yield server


@contextmanager
def baseline(where: Path) -> Iterator[Server]:
    port = free_port()
    with _process("baseline", [sys.executable, "-m", "bench.baseline", "--port", str(port)],
                  {"PYTHONPATH": os.pathsep.join(filter(None, [
                      str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")]))},
                  port,
                  where) as server:
        yield server


@contextmanager
def sqlite_database() -> Iterator[str]:
    """A fresh SQLite file, removed afterwards with its WAL."""
    with workdir() as path:
        yield f"sqlite:///{path / 'bench.db'}"


@contextmanager
def postgres_and_redis(admin_url: str, redis_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A database of our own on the PostgreSQL server (dropped afterwards) and a Redis key
    prefix of our own (its keys deleted afterwards). Yields the database URL and the env."""
    try:
        import psycopg
        import redis
    except ImportError as exc:
        raise Unavailable(f"driver missing: {exc}") from None
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        raise Unavailable(f"PostgreSQL at {admin_url}: {' '.join(str(exc).split())}") from None
    try:
        r = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
        r.ping()
    except redis.RedisError as exc:
        admin.close()
        raise Unavailable(f"Redis at {redis_url}: {exc}") from None
    name = f"overture_bench_{secrets.token_hex(4)}"
    prefix = f"overture-bench-{secrets.token_hex(4)}:"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = admin_url.rsplit("/", 1)[0] + "/" + name
        yield url, {"OVERTURE_REDIS_URL": redis_url, "OVERTURE_REDIS_PREFIX": prefix}
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        keys = list(r.scan_iter(match=prefix + "*", count=1000))
        if keys:
            r.delete(*keys)
        r.close()


def postgres_version(admin_url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(admin_url, connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:
        return f"unavailable ({type(exc).__name__})"
