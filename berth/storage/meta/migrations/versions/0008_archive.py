"""The archive storage class: an image's status and when it was archived or restored;
when each lifecycle policy was put, for scheduled runs.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("manifests") as batch:
        batch.add_column(sa.Column("image_status", sa.String(16), nullable=False,
                                   server_default="ACTIVE"))
        batch.add_column(sa.Column("last_archived_at", sa.Double))
        batch.add_column(sa.Column("last_activated_at", sa.Double))
    with op.batch_alter_table("lifecycle_policies") as batch:
        batch.add_column(sa.Column("updated_at", sa.Double))


def downgrade() -> None:
    with op.batch_alter_table("lifecycle_policies") as batch:
        batch.drop_column("updated_at")
    with op.batch_alter_table("manifests") as batch:
        batch.drop_column("last_activated_at")
        batch.drop_column("last_archived_at")
        batch.drop_column("image_status")
