"""An index on ledger_entries (account_id, reference): a message's page lists its own money
movements (reference "msg:<id>"), which in an account of a million messages was a scan of the
account's ledger (250 ms; benchmarks/bench_list_pages.py).

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
    op.create_index('ix_ledger_entries_account_reference', 'ledger_entries', ['account_id', 'reference'])


def downgrade():
    op.drop_index('ix_ledger_entries_account_reference', table_name='ledger_entries')
