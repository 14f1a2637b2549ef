"""Delivery windows in the recipient's local time (issue 22): a message's not_before (it waits
for its window), a campaign's window and an account's quiet hours (the default window).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 16:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("not_before", sa.DateTime(), nullable=True))
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("delivery_window", sa.String(11), nullable=False, server_default=""))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("quiet_hours", sa.String(11), nullable=True))


def downgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("quiet_hours")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("delivery_window")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("not_before")
