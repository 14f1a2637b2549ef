"""accounts: their own API rate limit (requests per minute per key; NULL: the platform's)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 21:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_requests_per_minute', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('api_requests_per_minute')
