"""accounts.opt_out_confirmation: the SMS an account sends back when a phone answers STOP (empty
or NULL: none, the default; charged like any message).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 09:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("opt_out_confirmation", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("opt_out_confirmation")
