"""ticket tags as rows, indexed by tag

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    ticket_tags = op.create_table(
        "ticket_tags",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name=op.f("fk_ticket_tags_ticket_id_tickets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id", "tag", name=op.f("pk_ticket_tags")),
    )
    with op.batch_alter_table("ticket_tags", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_tags_tag", ["tag", "ticket_id"], unique=False)

    # Copy the tags every ticket already has (tickets.tags stays: the list the API shows).
    tickets = sa.table("tickets", sa.column("id", sa.Integer()), sa.column("tags", sa.JSON()))
    conn = op.get_bind()
    rows = []
    for ticket_id, tags in conn.execute(sa.select(tickets.c.id, tickets.c.tags)):
        for tag in dict.fromkeys(t[:50] for t in (tags or []) if isinstance(t, str) and t):
            rows.append({"ticket_id": ticket_id, "tag": tag})
    for start in range(0, len(rows), BATCH):
        conn.execute(ticket_tags.insert(), rows[start:start + BATCH])


def downgrade() -> None:
    with op.batch_alter_table("ticket_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_tags_tag")
    op.drop_table("ticket_tags")
