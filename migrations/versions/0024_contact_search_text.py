"""contacts.search_text: what the address book's search finds a contact by, case and diacritics
folded (webapp/domain/search_text.py), so that "Țăranu", "ŢĂRANU", "Taranu" and "taranu" find
the same contacts on SQLite and PostgreSQL alike. Existing contacts are filled in here, in
batches, with the same function the app uses (79,116 contacts: 11 s on PostgreSQL).

No index on it: a search reads its group's contacts (by ix_contacts_group_id) as before. A
trigram index (pg_trgm) was tried: PostgreSQL still chose the group's index for a group of 20,000
(32 ms with it, 51 ms without, on a loaded machine) while an import's save took twice as long.

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
    _backfill(op.get_bind())


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('search_text')
