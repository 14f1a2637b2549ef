"""Replies (issue 20): inbound_messages (each reply, who it was given to, the message it answers,
its keyword), inbound_segments (the parts of long replies still being gathered), the blocklist's
source and proof (an opt-out's reply), and the accounts' reply keywords and HELP text.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 09:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "inbound_messages",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("route_id", sa.Integer(), sa.ForeignKey("routes.id"), nullable=True),
        sa.Column("from_number", sa.String(32), nullable=False),
        sa.Column("to_address", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("upstream_key", sa.String(120), nullable=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("answers_message_id", _ID, sa.ForeignKey("messages.id", ondelete="SET NULL"), nullable=True),
        sa.Column("keyword_action", sa.String(10), nullable=True),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("route_id", "upstream_key", name="uq_inbound_route_upstream_key"),
    )
    op.create_index("ix_inbound_account_received", "inbound_messages", ["account_id", "received_at"])
    op.create_index("ix_inbound_account_number", "inbound_messages", ["account_id", "from_number"])
    op.create_table(
        "inbound_segments",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("route_id", sa.Integer(), sa.ForeignKey("routes.id"), nullable=False),
        sa.Column("from_number", sa.String(32), nullable=False),
        sa.Column("to_address", sa.String(32), nullable=False),
        sa.Column("reference", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("data_coding", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint(
            "route_id", "from_number", "reference", "total", "number", name="uq_inbound_segments_identity"
        ),
    )
    with op.batch_alter_table("blocked_numbers") as batch:
        batch.add_column(sa.Column("source", sa.String(12), nullable=False, server_default="manual"))
        batch.add_column(sa.Column("inbound_message_id", _ID, nullable=True))
        batch.create_foreign_key(
            "fk_blocked_numbers_inbound_message",
            "inbound_messages",
            ["inbound_message_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("reply_keywords", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("help_text", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("help_text")
        batch.drop_column("reply_keywords")
    with op.batch_alter_table("blocked_numbers") as batch:
        batch.drop_constraint("fk_blocked_numbers_inbound_message", type_="foreignkey")
        batch.drop_column("inbound_message_id")
        batch.drop_column("source")
    op.drop_table("inbound_segments")
    op.drop_index("ix_inbound_account_number", table_name="inbound_messages")
    op.drop_index("ix_inbound_account_received", table_name="inbound_messages")
    op.drop_table("inbound_messages")
