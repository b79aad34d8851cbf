"""Durable jobs, and vulnerability scanning: configuration, inventories, results.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DIGEST = sa.String(160)


def _image_key() -> list[sa.Column]:
    return [sa.Column("repository_id", sa.Integer, primary_key=True),
            sa.Column("digest", DIGEST, primary_key=True)]


def _image_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["repository_id", "digest"],
                                   ["manifests.repository_id", "manifests.digest"],
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("run_at", sa.Double, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Double),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.UniqueConstraint("kind", "key", name="uq_jobs_kind_key"),
    )
    op.create_index("ix_jobs_due", "jobs", ["run_at"])
    op.create_table(
        "registry_scanning",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("scan_type", sa.String(16), nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "layer_inventories",
        sa.Column("digest", DIGEST, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_table(
        "image_scans", *_image_key(),
        sa.Column("scan_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("started_at", sa.Double, nullable=False),
        sa.Column("completed_at", sa.Double),
        sa.Column("vulndb_id", sa.String(200)),
        sa.Column("source_updated_at", sa.Double),
        sa.Column("severity_counts", sa.Text),
        sa.Column("findings", sa.LargeBinary),
        sa.Column("inventory", sa.LargeBinary),
        _image_fk(),
    )
    op.create_table(
        "image_packages", *_image_key(),
        sa.Column("ecosystem", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(400), primary_key=True),
        _image_fk(),
    )
    op.create_index("ix_image_packages_key", "image_packages", ["ecosystem", "name"])


def downgrade() -> None:
    op.drop_index("ix_image_packages_key", "image_packages")
    op.drop_table("image_packages")
    op.drop_table("image_scans")
    op.drop_table("layer_inventories")
    op.drop_table("registry_scanning")
    op.drop_index("ix_jobs_due", "jobs")
    op.drop_table("jobs")
