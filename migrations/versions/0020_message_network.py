"""messages.network: the operator holding the recipient number's range, set when the message is
accepted (webapp/domain/networks.py), for Reports → All reports "by network".

Existing messages keep NULL: resolving millions of numbers in a migration would hold the table
for minutes; the report names those by their number's prefix (webapp/services/report_totals.py).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('network', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('network')
