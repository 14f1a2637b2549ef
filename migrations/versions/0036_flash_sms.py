"""Flash SMS (issue 22).

- messages.flash: sent as message class 0 (shown on the screen, not stored in the phone);
- campaigns.flash: the campaign's option, copied to each of its messages.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 16:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("messages", "campaigns"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("flash", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    for table in ("campaigns", "messages"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("flash")
