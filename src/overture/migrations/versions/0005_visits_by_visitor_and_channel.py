"""visits: index by visitor, channel and time

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_visits_visitor_channel_last", "visits",
                    ["visitor_id", "channel_id", "last_seen"])
    op.drop_index("ix_visits_visitor_last", table_name="visits")


def downgrade() -> None:
    op.create_index("ix_visits_visitor_last", "visits", ["visitor_id", "last_seen"])
    op.drop_index("ix_visits_visitor_channel_last", table_name="visits")
