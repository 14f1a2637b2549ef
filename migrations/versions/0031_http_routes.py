"""HTTP upstream routes (issue 23): the generic gateway's configuration, and the messages whose
delivery reports are awaited from an HTTP route (polled, or pushed to the route's callback URL).

- messages, message_parts, pending_receipts.error_code: 40 characters (was 16): an HTTP
  provider's error codes are words (``EC_ABSENT_SUBSCRIBER``), kept whole;
- routes.http_config: the generic HTTP gateway's settings (webapp/domain/http_gateway.py), set
  in the operator console; NULL for other routes;
- report_polls: one row per message sent over an HTTP route, until its report is final (or its
  validity ended and a day passed): the provider's id and the number (a status request names
  both), when to ask next and how many times it was asked.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


WIDENED = ("messages", "message_parts", "pending_receipts")  # error_code: an HTTP provider's words


def upgrade():
    with op.batch_alter_table("routes") as batch:
        batch.add_column(sa.Column("http_config", sa.JSON(), nullable=True))
    for table in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("error_code", type_=sa.String(40), existing_type=sa.String(16), existing_nullable=True)
    op.create_table(
        "report_polls",
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("upstream_id", sa.String(80), nullable=False),
        sa.Column("to", sa.String(32), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_poll_at", sa.DateTime(), nullable=True),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("last_word", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["route_id"], ["routes.id"]),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_index("ix_report_polls_due", "report_polls", ["route_id", "next_poll_at"])
    op.create_index("ix_report_polls_upstream", "report_polls", ["route_id", "upstream_id"])


def downgrade():
    for table in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("error_code", type_=sa.String(16), existing_type=sa.String(40), existing_nullable=True)
    op.drop_index("ix_report_polls_upstream", table_name="report_polls")
    op.drop_index("ix_report_polls_due", table_name="report_polls")
    op.drop_table("report_polls")
    with op.batch_alter_table("routes") as batch:
        batch.drop_column("http_config")
