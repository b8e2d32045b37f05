from __future__ import annotations

from alembic import context

from overture.config import get_settings
from overture.db import make_engine
from overture.models import Base

config = context.config


def _url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    # Batch mode lets ALTER TABLE work on SQLite too, by copying a table to a new one, dropping
    # the old and renaming. With foreign keys enforced, that drop deletes every row that
    # refers to the table ON DELETE CASCADE (a visitor's visits) or is refused (RESTRICT), so
    # SQLite migrations run with them off, and the references are checked before the commit.
    # The pragma works only outside a transaction.
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if sqlite:
        _sqlite_foreign_keys(connection, "OFF")
    try:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration left broken references: {broken[:5]}")
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, "ON")


def _sqlite_foreign_keys(connection, state: str) -> None:
    connection.exec_driver_sql(f"PRAGMA foreign_keys={state}")
    connection.commit()  # ends SQLAlchemy's autobegun transaction: Alembic then makes its own


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
