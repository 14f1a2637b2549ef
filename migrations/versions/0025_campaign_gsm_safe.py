"""campaigns.gsm_safe: the customer chose, in the composer, to send every message rendered from
the campaign's text with its non-GSM characters replaced by their GSM-7 forms (Romanian
ă â î ș ț → a a i s t, typographic quotes and dashes made ASCII: webapp/domain/gsm_suggestions.py).
The expansion applies it to each rendered message, data values included. Existing campaigns keep
their texts as written (false).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("gsm_safe", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("gsm_safe")
