"""visitors: a customer's external id is unique within the secret that vouched for it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A customer identified before scopes existed belongs to the channel of their latest visit.
BACKFILL = """
UPDATE visitors SET identity_scope = COALESCE(
    'channel:' || CAST((SELECT v.channel_id FROM visits v WHERE v.visitor_id = visitors.id
                        ORDER BY v.last_seen DESC LIMIT 1) AS VARCHAR(20)),
    'unknown')
WHERE external_id IS NOT NULL
"""


def upgrade() -> None:
    with op.batch_alter_table("visitors") as batch:
        batch.add_column(sa.Column("identity_scope", sa.String(length=40), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table("visitors") as batch:
        batch.drop_constraint("uq_visitors_external_id", type_="unique")
        batch.create_unique_constraint("uq_visitors_identity_scope",
                                       ["identity_scope", "external_id"])


def downgrade() -> None:
    with op.batch_alter_table("visitors") as batch:
        batch.drop_constraint("uq_visitors_identity_scope", type_="unique")
        batch.create_unique_constraint("uq_visitors_external_id", ["external_id"])
        batch.drop_column("identity_scope")
