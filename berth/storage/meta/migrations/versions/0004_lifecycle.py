"""Lifecycle policies and their previews.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _repository_key() -> sa.Column:
    return sa.Column("repository_id", sa.Integer,
                     sa.ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "lifecycle_policies", _repository_key(),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("last_evaluated_at", sa.Double),
    )
    op.create_table(
        "lifecycle_previews", _repository_key(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("results", sa.Text),
        sa.Column("created_at", sa.Double, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lifecycle_previews")
    op.drop_table("lifecycle_policies")
