"""A trigram index on messages.to (PostgreSQL's pg_trgm), so that the message search's "digits
anywhere in the number" ("40722123") reads the index instead of every message of the filter:
on an account of a million messages 420 ms -> 13 ms (benchmarks/bench_list_pages.py); the
pipeline benchmark moved as fast with it (1,274 msg/s, within the 1,198-1,456 of runs without).

pg_trgm is a trusted extension (PostgreSQL 13+: a role with CREATE on the database may create
it). Where it is not installed and the server does not offer it, or this role may not create it,
nothing is made and the search scans as before. The index is built and committed on its
own, outside the migration's transaction: writers of messages wait while it builds (11 s for a
million messages), not until every later migration is done. SQLite: nothing.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 07:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    installed = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
    may_install = bind.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')"
            " AND has_database_privilege(current_user, current_database(), 'CREATE')"
        )
    ).scalar()
    if not (installed or may_install):
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.get_context().autocommit_block():  # committed at once: writers wait only while it builds
        op.execute('CREATE INDEX ix_messages_to_digits ON messages USING gin ("to" gin_trgm_ops)')


def downgrade():
    op.execute('DROP INDEX IF EXISTS ix_messages_to_digits')
