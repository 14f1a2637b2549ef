"""Short links with click tracking (issue 22).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 16:05:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
