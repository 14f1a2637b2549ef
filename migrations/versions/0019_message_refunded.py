"""messages.refunded: what was given back after a message's reservation was taken (released when
every part was refused at submission, refunded when it failed and the account does not pay for
that), so that every page, export and total computes the customer's cost as the ledger does
(webapp/domain/message_cost.py).

Existing messages take it from their own ledger rows (reference msg:<id>): a charge is always
paired with the release of its reservation, so release + charge + refund is what came back.
Money columns are BIGINT ten-thousandths, summed as they are.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('refunded', sa.BigInteger(), nullable=False, server_default='0'))
    # Each message looks up its own rows by reference: without this (temporary) index that is a
    # scan of its account's ledger per message.
    op.create_index('ix_tmp_ledger_entries_reference', 'ledger_entries', ['reference', 'account_id'])
    op.execute("""
        UPDATE messages SET refunded = COALESCE((
            SELECT SUM(l.amount) FROM ledger_entries l
            WHERE l.account_id = messages.account_id AND l.reference = 'msg:' || messages.id
              AND l.kind IN ('release', 'charge', 'refund')), 0)
        WHERE status IN ('submitted', 'DELIVRD', 'UNDELIV', 'EXPIRED', 'REJECTD', 'FAILED', 'NOREPORT')
    """)
    op.drop_index('ix_tmp_ledger_entries_reference', table_name='ledger_entries')


def downgrade():
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('refunded')
