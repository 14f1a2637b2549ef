"""Report tallies (migration 0021, PostgreSQL): what All reports and the dashboard read instead of
the messages themselves.

Triggers on ``messages`` append each statement's signed sums to ``message_tally_changes``; the
``compact_report_tallies`` cron job adds those up into ``message_tallies`` (one row per key). A
report reads both (``source``), so it is exact at any moment, compacted or not. ``differences``
recounts the messages and says where the tallies disagree (``flask reports check-tallies``);
``recount`` rebuilds them from the messages (``flask reports recount-tallies``).

SQLite (development and the default tests) has no statement triggers with transition tables:
there the reports read the messages, and these tables stay empty.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Subquery, select, text, union_all
from sqlalchemy.orm import Session

from webapp.models import MessageTally, MessageTallyChange

KEYS = ("account_id", "quarter", "status", "country", "network", "sender", "campaign_id")
SUMS = ("messages", "parts", "cost", "refunded")
_KEY_LIST = ", ".join(KEYS)
# The key of a message row, as the triggers compute it (migration 0021).
_ROW_KEY = """account_id,
    date_trunc('hour', created_at) + floor(extract(minute FROM created_at) / 15) * interval '15 minutes',
    status, coalesce(country, ''), coalesce(network, ''), coalesce(sender, ''), coalesce(campaign_id, 0)"""
_ROW_SUMS = "count(*), sum(parts), sum(cost), sum(refunded)"


def tallied(session: Session) -> bool:
    """Whether this database keeps the tallies (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


def source() -> Subquery:
    """The tallies and the changes not yet added to them, as one relation of (KEYS, SUMS) rows:
    sum them grouped by any of the keys."""
    columns = KEYS + SUMS
    return union_all(
        select(*(getattr(MessageTally, c) for c in columns)),
        select(*(getattr(MessageTallyChange, c) for c in columns)),
    ).subquery("tallies")


COMPACTION_LOCK = 0x7A11E5  # pg_try_advisory_xact_lock key: one compaction at a time


def compact(session: Session) -> int:
    """Add the changes up into the tallies, in one statement (so a report reading both in between
    sees each change once). Returns how many change rows were moved. One compaction runs at a
    time (an advisory lock; a second one finds it taken and moves nothing); the keys whose sums
    came to zero are then deleted, those alone (not a scan of every tally)."""
    if not session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": COMPACTION_LOCK}).scalar_one():
        return 0
    rows = session.execute(
        text(f"""
        WITH moved AS (DELETE FROM message_tally_changes RETURNING {_KEY_LIST}, messages, parts, cost, refunded),
        upserted AS (
            INSERT INTO message_tallies ({_KEY_LIST}, messages, parts, cost, refunded)
            SELECT {_KEY_LIST}, sum(messages), sum(parts), sum(cost), sum(refunded) FROM moved
            GROUP BY {_KEY_LIST} ORDER BY {_KEY_LIST}
            ON CONFLICT ({_KEY_LIST}) DO UPDATE SET
                messages = message_tallies.messages + excluded.messages,
                parts = message_tallies.parts + excluded.parts,
                cost = message_tallies.cost + excluded.cost,
                refunded = message_tallies.refunded + excluded.refunded
            RETURNING {_KEY_LIST}, messages = 0 AND parts = 0 AND cost = 0 AND refunded = 0 AS emptied
        )
        SELECT (SELECT count(*) FROM moved), u.* FROM (SELECT 1) AS one
        LEFT JOIN (SELECT {_KEY_LIST} FROM upserted WHERE emptied) AS u ON true
    """)
    ).all()
    emptied = [dict(zip(KEYS, row[1:], strict=True)) for row in rows if row[1] is not None]
    if emptied:
        where = " AND ".join(f"{key} = :{key}" for key in KEYS)
        session.execute(
            text(
                f"DELETE FROM message_tallies WHERE {where} AND messages = 0 AND parts = 0 AND cost = 0 AND refunded = 0"
            ),
            emptied,
        )
    return int(rows[0][0]) if rows else 0


def differences(session: Session) -> list[dict[str, Any]]:
    """Keys where the tallies (compacted or not) and a recount of the messages disagree, with both
    sums; empty when they agree. Reads every message: an operator's check, not a page's."""
    sums = ", ".join(SUMS)
    rows = session.execute(
        text(f"""
        WITH counted ({_KEY_LIST}, {sums}) AS (
            SELECT {_ROW_KEY}, {_ROW_SUMS} FROM messages GROUP BY 1, 2, 3, 4, 5, 6, 7
        ), kept ({_KEY_LIST}, {sums}) AS (
            SELECT {_KEY_LIST}, sum(messages), sum(parts), sum(cost), sum(refunded)
            FROM (SELECT {_KEY_LIST}, {sums} FROM message_tallies
                  UNION ALL SELECT {_KEY_LIST}, {sums} FROM message_tally_changes) AS t
            GROUP BY {_KEY_LIST}
        )
        SELECT {_KEY_LIST},
               {", ".join(f"coalesce(c.{s}, 0) AS counted_{s}, coalesce(k.{s}, 0) AS kept_{s}" for s in SUMS)}
        FROM counted c FULL JOIN kept k USING ({_KEY_LIST})
        WHERE {" OR ".join(f"coalesce(c.{s}, 0) <> coalesce(k.{s}, 0)" for s in SUMS)}
        ORDER BY {_KEY_LIST}
    """)
    )
    return [dict(row._mapping) for row in rows]


def recount(session: Session) -> int:
    """Rebuild the tallies from the messages (after a restore, or if ``differences`` found any).
    Holds writers to ``messages`` off until the transaction ends. Returns the tallies' rows."""
    session.execute(text("LOCK TABLE messages IN SHARE MODE"))
    session.execute(text("DELETE FROM message_tally_changes"))
    session.execute(text("DELETE FROM message_tallies"))
    session.execute(
        text(f"""
        INSERT INTO message_tallies ({_KEY_LIST}, messages, parts, cost, refunded)
        SELECT {_ROW_KEY}, {_ROW_SUMS} FROM messages GROUP BY 1, 2, 3, 4, 5, 6, 7
    """)
    )
    return int(session.execute(text("SELECT count(*) FROM message_tallies")).scalar_one())
