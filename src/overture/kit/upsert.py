"""Portable INSERT … ON CONFLICT for SQLite and PostgreSQL: exact counters without savepoints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def _insert(db: Session | Connection, table: Table):
    bind = db if isinstance(db, Connection) else db.get_bind()
    return (postgresql if bind.dialect.name == "postgresql" else sqlite).insert(table)


def insert_ignore(db: Session | Connection, table: Table, values: dict[str, Any],
                  conflict: list[str] | None = None, where: Any = None) -> Any:
    """Insert a row unless it exists (by `conflict` columns, of a partial index if `where`).

    Returns the new row's primary key, or None when the row existed.
    """
    stmt = _insert(db, table).values(**values).on_conflict_do_nothing(
        index_elements=conflict, index_where=where)
    # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    key = next(iter(table.primary_key.columns))
    return db.execute(stmt.returning(key)).scalar()


def add_to(db: Session | Connection, table: Table, keys: dict[str, Any],
           increments: dict[str, int]) -> None:
    """Create the row for `keys` or add `increments` to its counters, atomically."""
    stmt = _insert(db, table).values(**keys, **increments)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={col: table.c[col] + n for col, n in increments.items()},
    )
    db.execute(stmt)
