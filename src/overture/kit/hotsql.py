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
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from overture.kit import sqlite_writer

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


def execute(conn: Connection, stmt: HotSQL, params: dict[str, Any]):
    """Run `stmt` in `conn`'s transaction; the driver's cursor, for fetching."""
    if not conn.in_transaction():
        conn.begin()  # so that the connection's commit() commits what the cursor did
    dbapi = conn.connection
    name = conn.dialect.name
    if stmt.writes and name == "sqlite":
        lock = sqlite_writer.lock_for(conn.engine)
        if lock is not None:
            lock.before_write(dbapi.info, stmt.sql)
    cursor = dbapi.driver_connection.cursor()
    cursor.execute(stmt.text(name), params)
    return cursor


def one(conn: Connection, stmt: HotSQL, params: dict[str, Any]) -> tuple | None:
    return execute(conn, stmt, params).fetchone()


def scalar(conn: Connection, stmt: HotSQL, params: dict[str, Any]) -> Any:
    row = execute(conn, stmt, params).fetchone()
    return None if row is None else row[0]


def rowcount(conn: Connection, stmt: HotSQL, params: dict[str, Any]) -> int:
    return execute(conn, stmt, params).rowcount


# -- values in and out ------------------------------------------------------------------------


def when(conn: Connection, value: datetime) -> Any:
    """A UTC datetime as the column stores it (SQLAlchemy's SQLite format: naive UTC text)."""
    if conn.dialect.name == "sqlite":
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def read_when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def day(conn: Connection, value: date) -> Any:
    return value.isoformat() if conn.dialect.name == "sqlite" else value


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def read_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value
