"""Flash SMS (issue 22).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 16:05:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
