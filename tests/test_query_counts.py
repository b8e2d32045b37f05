"""Lists cost a fixed number of SQL statements, whatever their length."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.querycount import assert_statement_count, count_statements


def test_the_counter_counts_statements_and_leaves_out_transaction_noise(app):
    with count_statements(app) as seen, app.state.db.engine.begin() as conn:
        conn.execute(text("SELECT 1"))
        with conn.begin_nested():  # SAVEPOINT … RELEASE
            conn.execute(text("SELECT 2"))
    assert [" ".join(s.split()) for s in seen.sql] == ["SELECT 1", "SELECT 2"]


def test_a_wrong_count_fails_and_lists_the_statements(app):
    with pytest.raises(AssertionError) as failed, assert_statement_count(app, 1), \
            app.state.db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.execute(text("SELECT 2"))
    assert "2 statements sent, 1 expected" in str(failed.value)
    assert "1. SELECT 1" in str(failed.value) and "2. SELECT 2" in str(failed.value)
