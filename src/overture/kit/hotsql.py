"""Hand-written statements for the page-view path, run straight on the driver's cursor.

Measured on this path, SQLAlchemy's execution machinery costs 85–110 µs per statement where
SQLite itself needs about 10 µs (docs/performance.md). So the few statements a page view makes
are plain SQL that both SQLite and PostgreSQL speak, with `:name` parameters, executed on the
DBAPI cursor of a SQLAlchemy connection — inside its transaction, committed by it. Everything
else in Overture goes through SQLAlchemy.

What differs between the two databases is here and nowhere else: the parameter style, the
string-aggregation function, and how datetimes, dates and JSON come and go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from overture.kit import sqlite_writer

T = TypeVar("T")
# A quoted literal (left alone), or a `:name` parameter.
_PARAM = re.compile(r"'[^']*'|(?<![:\w]):([a-z_]+)")


def _pyformat(match: re.Match[str]) -> str:
    return match.group(0) if match.group(1) is None else f"%({match.group(1)})s"


class HotSQL:
    """A statement with `:name` parameters and `{agg}` for string aggregation."""

    def __init__(self, sql: str) -> None:
        self.sql = " ".join(sql.split())
        self.writes = not self.sql.upper().startswith("SELECT")
        self._text: dict[str, str] = {}

    def text(self, dialect: str) -> str:
        text = self._text.get(dialect)
        if text is None:
            if dialect == "postgresql":
                text = _PARAM.sub(_pyformat, self.sql.format(agg="string_agg"))
            else:
                text = self.sql.format(agg="group_concat")
            self._text[dialect] = text
        return text


@dataclass(frozen=True, slots=True)
class Step:
    """One statement a job wants run, and what it wants back: `row`, `value` or `count`."""

    stmt: HotSQL
    params: dict[str, Any]
    fetch: str


def row(stmt: HotSQL, **params: Any) -> Step:
    return Step(stmt, params, "row")


def value(stmt: HotSQL, **params: Any) -> Step:
    return Step(stmt, params, "value")


def count(stmt: HotSQL, **params: Any) -> Step:
    return Step(stmt, params, "count")


def rows(stmt: HotSQL, **params: Any) -> Step:
    """Every row it answers (for the few statements off the page-view path that need them)."""
    return Step(stmt, params, "rows")


# A job's statements: a generator that yields `Step`s and is sent back each one's answer.
Steps = Generator[Step, Any, T]


# Datetime and date parameters are named `now`, `until` and `day` (a convention of the hot
# statements): on SQLite they are kept as SQLAlchemy writes them, naive UTC text and ISO dates.
_last_time: tuple[datetime | None, str] = (None, "")


def _sqlite_time(value: datetime) -> str:
    # A job's statements share one `now`: remember the last one formatted.
    global _last_time
    last, text = _last_time
    if last is not value:
        text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        _last_time = (value, text)
    return text


def _sqlite_params(params: dict[str, Any]) -> dict[str, Any]:
    if "now" in params:
        params = {**params, "now": _sqlite_time(params["now"])}
    if "until" in params:  # a second moment (a lease's end), formatted the same way
        until = params["until"].astimezone(UTC).replace(tzinfo=None)
        params = {**params, "until": until.isoformat(" ", "microseconds")}
    if "day" in params:
        params = {**params, "day": params["day"].isoformat()}
    return params


def _driver(conn: Connection) -> tuple[Any, str, Any, Any]:
    """The driver's connection, the dialect, SQLite's writer lock and a cursor to reuse:
    looked up once per database connection."""
    info = conn.info
    found = info.get("hotsql")
    if found is None:
        raw = conn.connection.driver_connection
        name = conn.dialect.name
        lock = sqlite_writer.lock_for(conn.engine) if name == "sqlite" else None
        found = info["hotsql"] = (raw, name, lock, raw.cursor())
    return found


def _begin(conn: Connection) -> tuple[Any, str, Any, Any]:
    if not conn.in_transaction():
        conn.begin()  # so that the connection's commit() commits what the cursor did
    return _driver(conn)


def _execute(driver: tuple[Any, str, Any, Any], info: dict, step: Step):
    _raw, name, lock, cursor = driver
    if name == "sqlite":
        if lock is not None and step.stmt.writes:
            lock.before_write(info, step.stmt.sql)
        cursor.execute(step.stmt.text(name), _sqlite_params(step.params))
    else:
        cursor.execute(step.stmt.text(name), step.params)
    return cursor


def _answer(cursor, step: Step) -> Any:
    if step.fetch == "count":
        return cursor.rowcount
    if step.fetch == "rows":
        return cursor.fetchall()
    found = cursor.fetchone()
    if step.fetch == "row" or found is None:
        return found
    return found[0]


def run(conn: Connection, step: Step) -> Any:
    """Run one statement in `conn`'s transaction, on the driver's cursor."""
    return _answer(_execute(_begin(conn), conn.info, step), step)


def run_all(conn: Connection, steps: list[Step]) -> list[Any]:
    """Run independent statements: in one pipeline on PostgreSQL, in order on SQLite."""
    if conn.dialect.name == "postgresql":
        return _pipelined(conn, steps)
    return [run(conn, step) for step in steps]


def drive(conn: Connection, steps: Steps[T]) -> T:
    """Run a job's statements one after the other; what the job returns."""
    driver, info = _begin(conn), conn.info  # once per job, not per statement
    try:
        step = next(steps)
        while True:
            step = steps.send(_answer(_execute(driver, info, step), step))
    except StopIteration as done:
        return done.value


def drive_all(conn: Connection, jobs: list[Steps[Any]]) -> list[Any]:
    """Run several jobs' statements in one transaction.

    On SQLite, one job after the other. On PostgreSQL, in lockstep: every job's next statement
    goes to the server in one pipeline, so a batch of jobs costs as many round trips as its
    longest job, not the sum of them. (Jobs of one batch then don't see each other's writes;
    one that loses a race on a unique key raises `Contended` and runs again alone.)
    """
    if conn.dialect.name != "postgresql":
        return [drive(conn, job) for job in jobs]
    results: list[Any] = [None] * len(jobs)
    answers: dict[int, Any] = dict.fromkeys(range(len(jobs)))
    active = dict(enumerate(jobs))
    try:
        while active:
            round_: list[tuple[int, Step]] = []
            for i, job in list(active.items()):
                try:
                    round_.append((i, job.send(answers[i])))
                except StopIteration as done:
                    results[i] = done.value
                    del active[i]
            if round_:
                for (i, _step), answer in zip(round_, run_all(conn, [s for _, s in round_]),
                                              strict=True):
                    answers[i] = answer
    finally:
        for job in active.values():
            job.close()
    return results


def _pipelined(conn: Connection, steps: list[Step]) -> list[Any]:
    if len(steps) <= 1:
        return [run(conn, step) for step in steps]
    raw = _begin(conn)[0]
    cursors = []
    with raw.pipeline():
        for step in steps:
            cursor = raw.cursor()
            cursor.execute(step.stmt.text("postgresql"), step.params)
            cursors.append(cursor)
    return [_answer(cursor, step) for cursor, step in zip(cursors, steps, strict=True)]


# -- values in and out ------------------------------------------------------------------------


def read_when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def read_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value
