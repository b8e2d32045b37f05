"""lean page views: counters off the message row, page-view order and device, one on screen

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = ("sent", "opened", "replied", "showings", "opens", "dismissals", "replies")
ON_SCREEN = "opened_at IS NULL AND dismissed_at IS NULL"


def upgrade() -> None:
    # Plain ADD COLUMN (the server defaults stay): rebuilding page_views on SQLite would
    # cascade-delete the deliveries that point at it.
    op.add_column("page_views", sa.Column("seq", sa.Integer(), nullable=False,
                                          server_default="1"))
    op.add_column("page_views", sa.Column("device_type", sa.String(length=10), nullable=False,
                                          server_default="desktop"))

    with op.batch_alter_table("message_daily_stats") as batch:
        batch.add_column(sa.Column("shard", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_constraint("uq_message_daily_stats_message_id", type_="unique")
        batch.create_unique_constraint("uq_message_daily_stats_shard",
                                       ["message_id", "day", "shard"])
    with op.batch_alter_table("message_daily_stats") as batch:
        batch.alter_column("shard", server_default=None)

    # The daily rows always held the same counts as the message row: they become the only copy.
    # Native DROP COLUMN (SQLite 3.35+), not a table rebuild: rebuilding the messages table
    # would cascade-delete its deliveries.
    for column in COUNTERS:
        op.drop_column("proactive_messages", column)

    # Before the constraint: a visit that somehow has two messages on screen keeps the newest.
    op.execute(
        f"UPDATE deliveries SET dismissed_at = sent_at WHERE {ON_SCREEN} AND id < ("
        f"SELECT max(d2.id) FROM deliveries d2 WHERE d2.visit_id = deliveries.visit_id "
        f"AND d2.opened_at IS NULL AND d2.dismissed_at IS NULL)")
    op.create_index("uq_deliveries_on_screen", "deliveries", ["visit_id"], unique=True,
                    sqlite_where=sa.text(ON_SCREEN), postgresql_where=sa.text(ON_SCREEN))


def downgrade() -> None:
    op.drop_index("uq_deliveries_on_screen", table_name="deliveries")
    for column in COUNTERS:
        op.add_column("proactive_messages", sa.Column(column, sa.Integer(), nullable=False,
                                                      server_default="0"))
    with op.batch_alter_table("message_daily_stats") as batch:
        batch.drop_constraint("uq_message_daily_stats_shard", type_="unique")
        batch.drop_column("shard")
        batch.create_unique_constraint("uq_message_daily_stats_message_id", ["message_id", "day"])
    op.drop_column("page_views", "device_type")
    op.drop_column("page_views", "seq")
