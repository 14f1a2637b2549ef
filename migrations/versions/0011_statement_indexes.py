"""statements: messages by account and the time they went out

A statement sums the messages an account sent in a period (their charge is made when they go
upstream, ``submitted_at``). Without this index PostgreSQL reads every message the account
ever sent up to the period's end (the account/created_at index cannot bound a scheduled
message's send time), so a statement slows down as the history grows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 15:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # Built without blocking the senders' writes on a large table.
        with op.get_context().autocommit_block():
            op.create_index('ix_messages_account_submitted', 'messages', ['account_id', 'submitted_at'],
                            unique=False, postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index('ix_messages_account_submitted', 'messages', ['account_id', 'submitted_at'], unique=False)


def downgrade():
    op.drop_index('ix_messages_account_submitted', table_name='messages')
