"""Report tallies: Reports → All reports of a month of a million messages without reading them.

1. messages.network for the messages accepted before 0020 (NULL there): each is named as All
   reports named it until now, by the operator of the smallest number sharing its first 8
   characters ("+4072212"), one look-up per prefix (webapp/domain/networks.py), one UPDATE.
2. PostgreSQL only (SQLite, for development, keeps reading the messages; the tables stay empty
   there): per account, UTC quarter hour, status, country, network, sender ID and campaign, the
   count of messages and the sums of their parts, cost and refunded amount:
   - ``message_tally_changes``: appended to by statement-level triggers on ``messages`` (after
     INSERT, UPDATE and DELETE; the transition tables hold the statement's old and new rows, so a
     batch of 1,000 adds a handful of rows, and COPY and cascaded deletes are counted too). Only
     appending: two transactions never wait for one another here.
   - ``message_tallies``: the changes added up (one row per key) by the ``compact_report_tallies``
     cron job, which moves them in one transaction (DELETE … RETURNING into an upsert).
   A report reads both, so it is exact whenever the compaction last ran.
   Quarter hours: every time zone's offset is a whole number of them, so a local day (and a
   period of local days) is a whole number of quarters.

On a live PostgreSQL (review of this migration): the networks are named in batches of 20,000
ids, each committed on its own (no long row locks for the workers to wait on, no deadlock with
the trigger's table lock); then the tables, the triggers and the first count are one short
transaction, during which writers to ``messages`` wait (about 10 s for a million messages).
The trigger functions keep the search_path they were made with (a session with another one, or
a data-only restore, still finds the tallies; restore data with --disable-triggers and then run
``flask reports recount-tallies``). TRUNCATE of ``messages`` empties the tallies too.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 06:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

PREFIX = 8
BATCH = 20_000  # message ids per committed batch of the network fill (PostgreSQL)
NETWORK_LENGTH = 40
KEYS = """account_id, quarter, status, country, network, sender, campaign_id"""
# The key of a message row (in a trigger: of the transition table's rows).
ROW_KEY = """account_id,
        date_trunc('hour', created_at) + floor(extract(minute FROM created_at) / 15) * interval '15 minutes',
        status, coalesce(country, ''), coalesce(network, ''), coalesce(sender, ''), coalesce(campaign_id, 0)"""


def _columns(with_id: bool) -> list[sa.Column]:
    columns = [
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('country', sa.String(2), nullable=False),
        sa.Column('network', sa.String(NETWORK_LENGTH), nullable=False),
        sa.Column('sender', sa.String(20), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('messages', sa.BigInteger(), nullable=False),
        sa.Column('parts', sa.BigInteger(), nullable=False),
        sa.Column('cost', sa.BigInteger(), nullable=False),
        sa.Column('refunded', sa.BigInteger(), nullable=False),
    ]
    if with_id:
        columns.insert(0, sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), primary_key=True))
    return columns


def _fill_networks() -> None:
    from webapp.domain.networks import network_of

    bind = op.get_bind()
    named = [
        {'prefix': prefix, 'network': network_of(sample or '')[:NETWORK_LENGTH]}
        for prefix, sample in bind.execute(
            sa.text(f'SELECT substr("to", 1, {PREFIX}), min("to") FROM messages WHERE network IS NULL GROUP BY 1')
        )
    ]
    if not named:
        return
    op.execute('CREATE TEMPORARY TABLE tmp_prefix_networks (prefix VARCHAR(32) PRIMARY KEY, network VARCHAR(40))')
    bind.execute(sa.text('INSERT INTO tmp_prefix_networks VALUES (:prefix, :network)'), named)
    fill = f"""
        UPDATE messages SET network = (
            SELECT t.network FROM tmp_prefix_networks t WHERE t.prefix = substr(messages."to", 1, {PREFIX}))
        WHERE network IS NULL"""
    if bind.dialect.name != 'postgresql':
        op.execute(fill)
    else:
        low, high = bind.execute(sa.text('SELECT min(id), max(id) FROM messages WHERE network IS NULL')).one()
        with op.get_context().autocommit_block():  # each batch its own transaction
            for start in range(low, high + 1, BATCH):
                bind.execute(sa.text(f'{fill} AND id >= :start AND id < :end'), {'start': start, 'end': start + BATCH})
    op.execute('DROP TABLE tmp_prefix_networks')


def upgrade():
    _fill_networks()  # before the tables and triggers: on PostgreSQL, batches committed one by one
    op.create_table('message_tallies', *_columns(False))
    op.create_index('ux_message_tallies_key', 'message_tallies', KEYS.split(', '), unique=True)
    op.create_table('message_tally_changes', *_columns(True))
    if op.get_bind().dialect.name != 'postgresql':
        return
    sums = "count(*), sum(parts), sum(cost), sum(refunded)"
    op.execute(f"""
        CREATE FUNCTION tally_inserted_messages() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN
            INSERT INTO message_tally_changes ({KEYS}, messages, parts, cost, refunded)
            SELECT {ROW_KEY}, {sums} FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6, 7;
            RETURN NULL;
        END $$
    """)
    op.execute(f"""
        CREATE FUNCTION tally_deleted_messages() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN
            INSERT INTO message_tally_changes ({KEYS}, messages, parts, cost, refunded)
            SELECT {ROW_KEY}, -count(*), -sum(parts), -sum(cost), -sum(refunded)
            FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6, 7;
            RETURN NULL;
        END $$
    """)
    # An update moves each changed row from its old key to its new one; rows whose key and sums
    # did not change (a receipt's time, a submission id) cancel out and add nothing.
    op.execute(f"""
        CREATE FUNCTION tally_updated_messages() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN
            INSERT INTO message_tally_changes ({KEYS}, messages, parts, cost, refunded)
            SELECT {KEYS}, sum(messages), sum(parts), sum(cost), sum(refunded) FROM (
                SELECT {ROW_KEY}, -1 AS messages, -parts AS parts, -cost AS cost, -refunded AS refunded
                FROM old_rows
                UNION ALL
                SELECT {ROW_KEY}, 1, parts, cost, refunded FROM new_rows
            ) AS moved ({KEYS}, messages, parts, cost, refunded)
            GROUP BY {KEYS}
            HAVING sum(messages) <> 0 OR sum(parts) <> 0 OR sum(cost) <> 0 OR sum(refunded) <> 0;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE FUNCTION tally_truncated_messages() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN
            DELETE FROM message_tally_changes;
            DELETE FROM message_tallies;
            RETURN NULL;
        END $$
    """)
    for event, function, table in (
        ('INSERT', 'tally_inserted_messages', 'NEW TABLE AS new_rows'),
        ('DELETE', 'tally_deleted_messages', 'OLD TABLE AS old_rows'),
        ('UPDATE', 'tally_updated_messages', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'),
    ):
        op.execute(f"""
            CREATE TRIGGER messages_tally_{event.lower()} AFTER {event} ON messages
            REFERENCING {table} FOR EACH STATEMENT EXECUTE FUNCTION {function}()
        """)
    op.execute("""
        CREATE TRIGGER messages_tally_truncate AFTER TRUNCATE ON messages
        FOR EACH STATEMENT EXECUTE FUNCTION tally_truncated_messages()
    """)
    # What is there already, counted once (the triggers count from here on; this migration runs
    # in one transaction, so no message slips between the two).
    op.execute(f"""
        INSERT INTO message_tallies ({KEYS}, messages, parts, cost, refunded)
        SELECT {ROW_KEY}, {sums} FROM messages GROUP BY 1, 2, 3, 4, 5, 6, 7
    """)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for event in ('insert', 'delete', 'update', 'truncate'):
            op.execute(f'DROP TRIGGER messages_tally_{event} ON messages')
        for function in (
            'tally_inserted_messages', 'tally_deleted_messages', 'tally_updated_messages', 'tally_truncated_messages'
        ):
            op.execute(f'DROP FUNCTION {function}()')
    op.drop_table('message_tally_changes')
    op.drop_table('message_tallies')
