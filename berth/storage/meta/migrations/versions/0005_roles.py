"""IAM roles: trust policies, inline and attached role policies.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _role_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["account_id", "role_name"],
                                   ["iam_roles.account_id", "iam_roles.name"],
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "iam_roles",
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role_id", sa.String(32), nullable=False, unique=True),
        sa.Column("trust_policy", sa.Text, nullable=False),
        sa.Column("max_session_seconds", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_table(
        "role_policies",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("role_name", sa.String(64), primary_key=True),
        sa.Column("policy_name", sa.String(128), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        _role_fk(),
    )
    op.create_table(
        "role_attached_policies",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("role_name", sa.String(64), primary_key=True),
        sa.Column("policy_arn", sa.String(2048), primary_key=True),
        _role_fk(),
    )


def downgrade() -> None:
    for table in ("role_attached_policies", "role_policies", "iam_roles"):
        op.drop_table(table)
