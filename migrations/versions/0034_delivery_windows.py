"""Delivery windows in the recipient's local time (issue 22).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 16:05:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
