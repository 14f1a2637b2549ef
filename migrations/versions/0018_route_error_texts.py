"""routes.error_texts: a route's own texts for its operator's error codes (issue 18)

{"<code>": {"*": "text for any language", "ro": "text in Romanian"}}, set with
`flask routes error-text`; NULL when the route uses the built-in tables only.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_texts', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('routes', schema=None) as batch_op:
        batch_op.drop_column('error_texts')
