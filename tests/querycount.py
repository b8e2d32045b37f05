"""Count the SQL statements a block sends, like Zulip's `assert_database_query_count`.

    with assert_statement_count(app, 7):
        client.get("/api/v1/tickets", headers=admin.headers)

Statements are counted with SQLAlchemy's `before_cursor_execute` event on the app's request
engine (`app.state.db.engine`), so everything the ORM and Core send is seen; transaction noise
is left out (BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO, and PRAGMAs, which SQLite's background
checkpointer and new connections run). COMMIT and ROLLBACK are not sent as statements by the
drivers and so are never counted. The widget's hot path runs on the driver's cursor and is
counted in tests/widget/test_hot_path.py instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

NOISE = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "PRAGMA")


@dataclass
class Statements:
    """The statements seen so far, in the order they were sent."""

    sql: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sql)

    def report(self) -> str:
        return "\n".join(f"{i:3}. {' '.join(s.split())}" for i, s in enumerate(self.sql, 1))


@contextmanager
def count_statements(app) -> Iterator[Statements]:
    """Record every statement sent on the app's engine while the block runs."""
    engine = app.state.db.engine
    seen = Statements()
    lock = threading.Lock()  # the request runs in the server's threads, not this one

    def before(_conn, _cursor, statement: str, _params, _context, _executemany) -> None:
        if statement.lstrip()[:9].upper().startswith(NOISE):
            return
        with lock:
            seen.sql.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


@contextmanager
def assert_statement_count(app, expected: int) -> Iterator[Statements]:
    """Fail, listing them, unless the block sends exactly `expected` statements."""
    with count_statements(app) as seen:
        yield seen
    if len(seen) != expected:
        raise AssertionError(f"{len(seen)} statements sent, {expected} expected:\n"
                             f"{seen.report()}")
