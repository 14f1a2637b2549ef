"""smpp_credentials: SMPP access for customers (issue 21): system_id, the password's hash, the
networks binds may come from, max binds, TPS limit, window, switched on or off, and the webhook
endpoint (kind "smpp") whose deliveries are the receipts and replies sent back over its binds.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 13:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "smpp_credentials",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("system_id", sa.String(15), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("allowed_networks", sa.Text(), nullable=False),
        sa.Column("max_binds", sa.Integer(), nullable=False),
        sa.Column("tps_limit", sa.Integer(), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), sa.ForeignKey("webhook_endpoints.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_bound_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("system_id", name="uq_smpp_credentials_system_id"),
    )
    op.create_index("ix_smpp_credentials_account_id", "smpp_credentials", ["account_id"])


def downgrade():
    op.drop_index("ix_smpp_credentials_account_id", "smpp_credentials")
    op.drop_table("smpp_credentials")
