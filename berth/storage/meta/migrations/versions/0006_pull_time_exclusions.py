"""Principals whose pulls do not update an image's last pull time.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pull_time_exclusions",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("principal_arn", sa.String(200), primary_key=True),
        sa.Column("created_at", sa.Double, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pull_time_exclusions")
