"""An index on ledger_entries (account_id, reference): a message's page lists its own money
movements (reference "msg:<id>"), which in an account of a million messages was a scan of the
account's ledger (250 ms; benchmarks/bench_list_pages.py). On PostgreSQL it is built and committed on
its own, outside the migration's transaction: the ledger's writers wait while it builds (a few
seconds for millions of rows), not until every later migration is done. Not CONCURRENTLY: that
waits for every older transaction and, cut short, leaves an invalid index behind.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 07:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':  # committed at once: the ledger waits only while it builds
        with op.get_context().autocommit_block():
            op.create_index('ix_ledger_entries_account_reference', 'ledger_entries', ['account_id', 'reference'])
        return
    op.create_index('ix_ledger_entries_account_reference', 'ledger_entries', ['account_id', 'reference'])


def downgrade():
    op.drop_index('ix_ledger_entries_account_reference', table_name='ledger_entries')
