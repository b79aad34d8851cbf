"""Each upload's digest so far, so any process can close it without reading it again.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("hashed_size", sa.BigInteger))
        batch.add_column(sa.Column("hashed_digest", sa.String(160)))


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("hashed_digest")
        batch.drop_column("hashed_size")
