"""ECR's model: accounts and credentials, repository settings and tags, templates,
image sizes and pull times.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NAME = sa.String(256).with_variant(sa.String(256, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("repositories") as batch:
        batch.add_column(sa.Column("image_tag_mutability", sa.String(32), nullable=False,
                                   server_default="MUTABLE"))
        batch.add_column(sa.Column("tag_mutability_filters", sa.Text))
        batch.add_column(sa.Column("scan_on_push", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("encryption_type", sa.String(16), nullable=False,
                                   server_default="AES256"))
        batch.add_column(sa.Column("kms_key", sa.String(2048)))
    with op.batch_alter_table("manifests") as batch:
        batch.add_column(sa.Column("image_size", sa.BigInteger, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("last_pulled_at", sa.Double))
    op.create_table(
        "repository_tags",
        sa.Column("repository_id", sa.Integer,
                  sa.ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_table(
        "iam_users",
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False, unique=True),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_table(
        "access_keys",
        sa.Column("access_key_id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_name", sa.String(64)),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_index("ix_access_keys_user", "access_keys", ["account_id", "user_name"])
    op.create_table(
        "account_settings",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(64), nullable=False),
    )
    op.create_table(
        "creation_templates",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("prefix", NAME, primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )


def downgrade() -> None:
    for table in ("creation_templates", "account_settings", "access_keys", "iam_users",
                  "accounts", "repository_tags"):
        op.drop_table(table)
    with op.batch_alter_table("manifests") as batch:
        batch.drop_column("last_pulled_at")
        batch.drop_column("image_size")
    with op.batch_alter_table("repositories") as batch:
        for column in ("kms_key", "encryption_type", "scan_on_push", "tag_mutability_filters",
                       "image_tag_mutability"):
            batch.drop_column(column)
