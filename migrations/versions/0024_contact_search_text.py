"""contacts.search_text: what the address book's search finds a contact by, case and diacritics
folded (webapp/domain/search_text.py), so that "Țăranu", "ŢĂRANU", "Taranu" and "taranu" find
the same contacts on SQLite and PostgreSQL alike. Existing contacts are filled in here, in
batches, with the same function the app uses. On PostgreSQL with pg_trgm, a trigram index on
it (a part anywhere in it, as the search looks); SQLite reads the group's contacts as before.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 07:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

BATCH = 5000


def _backfill(bind):
    from webapp.domain.search_text import contact_search_text

    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, first_name, last_name, phone, fields FROM contacts WHERE id > :last ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        values = []
        for id_, first, last_name, phone, fields in rows:
            if isinstance(fields, str):  # SQLite keeps JSON as text
                fields = json.loads(fields)
            values.append({"id": id_, "s": contact_search_text(first, last_name, phone, fields)})
        if bind.dialect.name == 'postgresql':  # one statement a batch, not one a row
            bind.execute(
                sa.text(
                    "UPDATE contacts SET search_text = v.s FROM (SELECT unnest(CAST(:ids AS integer[])) AS id,"
                    " unnest(CAST(:texts AS text[])) AS s) AS v WHERE contacts.id = v.id"
                ),
                {"ids": [v["id"] for v in values], "texts": [v["s"] for v in values]},
            )
        else:
            bind.execute(sa.text("UPDATE contacts SET search_text = :s WHERE id = :id"), values)
        last = rows[-1][0]


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
    bind = op.get_bind()
    _backfill(bind)
    if bind.dialect.name != 'postgresql':
        return
    if not bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar():
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.execute('CREATE INDEX ix_contacts_search_text ON contacts USING gin (search_text gin_trgm_ops)')


def downgrade():
    op.execute('DROP INDEX IF EXISTS ix_contacts_search_text')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('search_text')
