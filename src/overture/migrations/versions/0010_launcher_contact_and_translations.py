"""channels: ask for name and email before a launcher conversation; texts per language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing channels keep answering as before: no contact form, no translations (the base
    # launcher text and sender name for every language).
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("launcher_asks_contact", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False,
                                   server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("translations")
        batch.drop_column("launcher_asks_contact")
