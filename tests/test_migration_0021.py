"""Migration 0021 on a database that already holds messages (as a deployment's does): the
networks of messages older than 0020 are named (in committed batches on PostgreSQL), the tallies
start equal to a recount; on PostgreSQL the triggers keep the search_path they were made with
and a TRUNCATE of messages empties the tallies. Runs on a database of its own, next to the
tests' one (a file on SQLite, a database on the same PostgreSQL server)."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url


@pytest.fixture
def scratch_url(settings, tmp_path):
    url = make_url(settings.database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    name = f"m0021_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _insert_old_messages(session, count: int) -> None:
    from webapp.models import Account

    # Core, with the columns of 0021's time only (the model has grown since: 0026 added to accounts).
    account_id = session.execute(
        insert(Account.__table__).values(name="vechi").returning(Account.__table__.c.id)
    ).scalar_one()
    session.commit()  # no transaction left open (a migration's lock would wait for it)
    with session.get_bind().begin() as conn:
        rows = [
            {
                "i": i,
                "to": ("+40722" if i % 3 else "+40745") + f"{i:06d}",
                "status": ("DELIVRD", "UNDELIV", "refused")[i % 3],
            }
            for i in range(1, count + 1)
        ]
        conn.execute(
            text(
                'INSERT INTO messages (id, account_id, sender, "to", country, text, encoding, parts, price_per_part,'
                " cost, refunded, status, validity_until, created_at, monitor)"
                " VALUES (:i, :a, '1899', :to, 'RO', 'Salut', 'GSM7', 1, 350, 350, 0, :status,"
                " '2026-03-03 10:00:00', '2026-03-02 10:00:00', false)"
            ),
            [{**row, "a": account_id} for row in rows],
        )


def test_0021_names_old_networks_and_counts_what_is_there(app, settings, scratch_url):
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db
    from webapp.services import report_tallies

    own = create_app(dataclasses.replace(settings, database_url=scratch_url))
    with own.app_context():
        upgrade(revision="0020")
        _insert_old_messages(db.session, 45)
        upgrade()
        networks = dict(db.session.execute(text('SELECT "to", network FROM messages')).all())
        assert networks["+40722000001"] == "Vodafone" and networks["+40745000003"] == "Orange"
        assert None not in networks.values()
        if not report_tallies.tallied(db.session):
            return
        assert report_tallies.differences(db.session) == []
        kept = db.session.execute(text("SELECT sum(messages) FROM message_tallies")).scalar_one()
        assert kept == 45
        # Another search_path (a role's own, a restore's): the triggers still find their tables.
        db.session.execute(text("SET search_path = ''"))
        db.session.execute(text("UPDATE public.messages SET status = 'EXPIRED' WHERE id = 1"))
        db.session.execute(text("SET search_path = DEFAULT"))
        db.session.commit()
        assert report_tallies.differences(db.session) == []
        db.session.execute(text("TRUNCATE messages CASCADE"))
        db.session.commit()
        assert report_tallies.differences(db.session) == []
        assert db.session.execute(text("SELECT count(*) FROM message_tallies")).scalar_one() == 0
        db.session.remove()
        db.engine.dispose()


def test_the_tallies_keys_are_as_wide_as_the_messages_columns():
    """The triggers copy messages' columns into the tallies' keys: a wider sender (or status,
    country, network) in messages alone would make every write of a longer one fail."""
    from webapp.models import Message, MessageTally, MessageTallyChange

    for column in ("status", "country", "network", "sender"):
        wanted = Message.__table__.c[column].type.length
        for table in (MessageTally.__table__, MessageTallyChange.__table__):
            assert table.c[column].type.length == wanted, (table.name, column)
    # the quarter is computed from a timestamp without time zone (UTC): not the session's zone
    assert Message.__table__.c["created_at"].type.impl.timezone is False
