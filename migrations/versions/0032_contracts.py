"""Company contracts (issue 22, part 1).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 16:05:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
