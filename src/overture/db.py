"""Engine, declarative base and the unit of work (one session per request or job).

Services flush, never commit. The request commits once at the end; callbacks registered with
`after_commit` run only if that commit succeeded (side effects after commit).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from overture.kit.errors import NotFound
from overture.kit.lane import Lane
from overture.kit.sqlite_writer import Checkpointer, WriterLock

log = logging.getLogger(__name__)
T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Stores UTC, always returns aware datetimes (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=pool_size, max_overflow=max_overflow)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # A backstop: the Checkpointer normally keeps the WAL far below this (4,000 pages).
            cur.execute("PRAGMA wal_autocheckpoint=4000")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                         pool_pre_ping=True)


class Database:
    def __init__(self, url: str, *, lane_threads: int | None = None):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # The realtime hub, once the app has started: services publish through the session.
        self.hub = None
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self.checkpointer: Checkpointer | None = None
        if self.is_sqlite:
            # One lane thread: SQLite has one writer, and it commits for everybody at once.
            threads = lane_threads or 1
            lane_engine = self.engine
            WriterLock().install(self.engine)
            self.checkpointer = Checkpointer(self.engine)
        else:
            threads = lane_threads or 2
            lane_engine = make_engine(url, pool_size=threads, max_overflow=0)
        # Processes start their lane threads' counter shards at random places, so that two
        # processes rarely add to the same counter row.
        self.lane = Lane(lane_engine, threads=threads, shard_base=secrets.randbelow(1 << 16))

    @property
    def reserved_connections(self) -> int:
        """Connections of the request engine that serving keeps for itself (the SQLite lane's,
        and the checkpointer's passing one), not for units of work."""
        if self.lane.engine is not self.engine:
            return 0
        return self.lane.threads + (1 if self.checkpointer is not None else 0)

    def start(self) -> None:
        """Background work of a serving process: the lane, and SQLite's checkpoints."""
        self.lane.start()
        if self.checkpointer is not None:
            self.checkpointer.start()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Commit once at the end, or roll everything back."""
        session = self.sessions()
        session.info["hub"] = self.hub
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.lane.stop()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self.lane.engine is not self.engine:
            self.lane.engine.dispose()
        self.engine.dispose()


def load(session: Session, model: type[T], ident: int, missing: str, *,
         for_update: bool = False) -> T:
    """A row by primary key, or NotFound with `missing` as its message; `for_update` locks it
    (PostgreSQL) so that concurrent actions on one row run one after the other."""
    row = session.get(model, ident, with_for_update=True if for_update else None)
    if row is None:
        raise NotFound(missing)
    return row


def remove(session: Session, row) -> int:
    """Delete `row` now (so a refusing foreign key shows here) and give back its id, for the
    signal that tells the other features."""
    ident = row.id
    session.delete(row)
    session.flush()
    return ident


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once this session's transaction has committed; drop it on rollback."""
    session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop("after_commit", [])
    for cb in callbacks:
        try:
            cb()
        except Exception:  # a failed side effect must not undo a committed write
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    for key in [k for k in session.info if k == "after_commit" or k.startswith("pending:")]:
        session.info.pop(key, None)


def publish_after_commit(session: Session, topic: str, message: dict) -> None:
    """Send `message` on the hub once this session commits (never for a rolled-back write)."""
    hub = session.info.get("hub")
    if hub is not None:
        after_commit(session, lambda: hub.publish_threadsafe(topic, message))
