"""Company contracts (issue 22, part 1): contracts (one per account, numbered in their own
gap-free series), their applied draft versions, the operator's policy on own sender IDs before
signing, and the monthly closing documents e-mailed once per account and month.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 16:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("series", sa.String(12), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("correction_note", sa.Text(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("signed_at", sa.DateTime(), nullable=True),
        sa.Column("scan_path", sa.String(500), nullable=True),
        sa.Column("scan_filename", sa.String(200), nullable=True),
        sa.Column("scan_uploaded_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("account_id", name="uq_contracts_account_id"),
        sa.UniqueConstraint("series", "number", name="uq_contracts_series_number"),
    )
    op.create_index("ix_contracts_status", "contracts", ["status"])
    op.create_table(
        "contract_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contract_id", sa.Integer(), sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.UniqueConstraint("contract_id", "version", name="uq_contract_versions_contract_version"),
    )
    op.create_index("ix_contract_versions_contract_id", "contract_versions", ["contract_id"])
    op.create_table(
        "contract_policy",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("own_senders_before_signed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "closing_documents_mails",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "period_start", name="uq_closing_documents_mails_period"),
    )


def downgrade():
    op.drop_table("closing_documents_mails")
    op.drop_table("contract_policy")
    op.drop_index("ix_contract_versions_contract_id", "contract_versions")
    op.drop_table("contract_versions")
    op.drop_index("ix_contracts_status", "contracts")
    op.drop_table("contracts")
