"""IAM and resource policies: users' inline and attached policies, repository and
registry policies.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _user_key() -> list[sa.Column]:
    return [sa.Column("account_id", sa.String(12), primary_key=True),
            sa.Column("user_name", sa.String(64), primary_key=True)]


def _user_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["account_id", "user_name"],
                                   ["iam_users.account_id", "iam_users.name"],
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "user_policies", *_user_key(),
        sa.Column("policy_name", sa.String(128), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        _user_fk(),
    )
    op.create_table(
        "user_attached_policies", *_user_key(),
        sa.Column("policy_arn", sa.String(2048), primary_key=True),
        _user_fk(),
    )
    op.create_table(
        "repository_policies",
        sa.Column("repository_id", sa.Integer,
                  sa.ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_table(
        "registry_policies",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("registry_policies", "repository_policies", "user_attached_policies",
                  "user_policies"):
        op.drop_table(table)
