"""brands: an identity secret of their own, which channels may choose to share

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 16:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("brands") as batch:
        batch.add_column(sa.Column("identity_secret", sa.String(length=80), nullable=True))
    # Each existing brand gets a random secret of its own, as a new brand does.
    conn = op.get_bind()
    for (brand_id,) in conn.execute(sa.text("SELECT id FROM brands")).all():
        conn.execute(sa.text("UPDATE brands SET identity_secret = :s WHERE id = :id"),
                     {"s": secrets.token_urlsafe(32), "id": brand_id})
    with op.batch_alter_table("brands") as batch:
        batch.alter_column("identity_secret", existing_type=sa.String(length=80),
                           nullable=False)
    # No channel shares until an admin chooses to: existing customers keep their scope.
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("identity_shared_with_brand", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    # Customers scoped to a brand keep their rows (`brand:<id>`); without the brand's secret no
    # token names them any more, as for a channel that was deleted.
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("identity_shared_with_brand")
    with op.batch_alter_table("brands") as batch:
        batch.drop_column("identity_secret")
