"""The registry's core: repositories, blobs, manifests, tags, uploads.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DIGEST = sa.String(160)
NAME = sa.String(256).with_variant(sa.String(256, collation="C"), "postgresql")
TAG = sa.String(128).with_variant(sa.String(128, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.UniqueConstraint("account_id", "name", name="uq_repositories_account_name"),
    )
    op.create_table(
        "blobs",
        sa.Column("digest", DIGEST, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_table(
        "repository_blobs",
        sa.Column("repository_id", sa.Integer,
                  sa.ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("digest", DIGEST, sa.ForeignKey("blobs.digest"), primary_key=True),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_index("ix_repository_blobs_digest", "repository_blobs", ["digest"])
    op.create_table(
        "manifests",
        sa.Column("repository_id", sa.Integer,
                  sa.ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("digest", DIGEST, primary_key=True),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.Column("artifact_type", sa.String(255)),
        sa.Column("subject_digest", DIGEST),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("pushed_at", sa.Double, nullable=False),
    )
    op.create_index("ix_manifests_subject", "manifests", ["repository_id", "subject_digest"])
    op.create_table(
        "manifest_blobs",
        sa.Column("repository_id", sa.Integer, primary_key=True),
        sa.Column("manifest_digest", DIGEST, primary_key=True),
        sa.Column("blob_digest", DIGEST, sa.ForeignKey("blobs.digest"), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(["repository_id", "manifest_digest"],
                                ["manifests.repository_id", "manifests.digest"],
                                ondelete="CASCADE"),
    )
    op.create_index("ix_manifest_blobs_blob", "manifest_blobs", ["blob_digest"])
    op.create_table(
        "manifest_children",
        sa.Column("repository_id", sa.Integer, primary_key=True),
        sa.Column("parent_digest", DIGEST, primary_key=True),
        sa.Column("child_digest", DIGEST, primary_key=True),
        sa.ForeignKeyConstraint(["repository_id", "parent_digest"],
                                ["manifests.repository_id", "manifests.digest"],
                                ondelete="CASCADE"),
    )
    op.create_index("ix_manifest_children_child", "manifest_children",
                    ["repository_id", "child_digest"])
    op.create_table(
        "tags",
        sa.Column("repository_id", sa.Integer,
                  sa.ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", TAG, primary_key=True),
        sa.Column("manifest_digest", DIGEST, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.ForeignKeyConstraint(["repository_id", "manifest_digest"],
                                ["manifests.repository_id", "manifests.digest"],
                                ondelete="CASCADE"),
    )
    op.create_index("ix_tags_manifest", "tags", ["repository_id", "manifest_digest"])
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("repository_id", sa.Integer,
                  sa.ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_index("ix_uploads_updated", "uploads", ["updated_at"])


def downgrade() -> None:
    for table in ("uploads", "tags", "manifest_children", "manifest_blobs", "manifests",
                  "repository_blobs", "blobs", "repositories"):
        op.drop_table(table)
