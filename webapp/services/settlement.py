"""Concluding messages whose parts changed: charged, rejected, settled, refunded, in bulk.

Whoever changes parts' outcomes (the submitting worker, a receipt sink, the stale-claim
settlement) flushes them, then calls :func:`conclude` for their messages in the same
transaction. It locks the messages' rows in id order (two workers, or a worker and a
receipt sink, finishing parts of one message at once are serialised and never deadlock),
reads every part again under the lock, lets webapp/domain/settlement.py decide, and writes
the result with a few statements whatever the number of messages: one UPDATE per message
row (executemany), the timeline rows in one INSERT, one ledger UPDATE per account.
Flushes, never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from webapp.domain import lifecycle, settlement
from webapp.models import Account, Message, MessageEvent, MessagePart
from webapp.models.types import utcnow
from webapp.services import ledger, status_events
from webapp.services.bulk_rows import insert_rows, update_rows

CHUNK = 1000
LIVE = (lifecycle.QUEUED, lifecycle.SUBMITTED, lifecycle.NOREPORT)


def conclude(session: Session, message_ids: Iterable[int]) -> int:
    """Move each of these messages as far as its parts allow (see domain/settlement.py), under
    the messages' row locks. Returns how many changed."""
    session.flush()
    ids = sorted(set(message_ids))
    changed = 0
    for start in range(0, len(ids), CHUNK):
        changed += _conclude_chunk(session, ids[start : start + CHUNK])
    return changed


def _conclude_chunk(session: Session, ids: list[int]) -> int:
    now = utcnow()
    live = [row for row in _locked_messages(session, ids) if row.status in LIVE]
    if not live:
        return 0
    updates, events, entries = _outcomes(live, _parts_of(session, [m.id for m in live]), now)
    update_rows(session, Message.__table__, updates)
    insert_rows(session, MessageEvent.__table__, events)
    post_entries(session, entries)
    status_events.emit_changes(session, _status_changes(live, updates))
    return len(updates)


def _status_changes(live: Sequence[Row[Any]], updates: list[dict[str, Any]]) -> list[status_events.Changed]:
    """The messages whose status these updates change (not only their refund or times)."""
    new_status = {u["id"]: u["status"] for u in updates}
    return [
        status_events.Changed(row.id, row.account_id, row.callback_endpoint_id)
        for row in live
        if row.id in new_status and new_status[row.id] != row.status
    ]


def _locked_messages(session: Session, ids: list[int]) -> Sequence[Row[Any]]:
    """The messages' rows (with their account's charge_failed_deliveries), locked in id order."""
    return session.execute(
        select(
            Message.id,
            Message.status,
            Message.cost,
            Message.to,
            Message.parts,
            Message.reason_code,
            Message.error_code,
            Message.submitted_at,
            Message.final_at,
            Message.refunded,
            Message.account_id,
            Message.callback_endpoint_id,
            Account.charge_failed_deliveries,
        )
        .join(Account, Account.id == Message.account_id)
        .where(Message.id.in_(ids))
        .order_by(Message.id)
        .with_for_update(of=Message)
    ).all()


def _parts_of(session: Session, message_ids: list[int]) -> defaultdict[int, list[settlement.PartRow]]:
    """Every part of these messages, read again under their lock, by message in seq order (a
    message without parts: an empty list)."""
    parts: defaultdict[int, list[settlement.PartRow]] = defaultdict(list)
    for row in session.execute(
        select(
            MessagePart.message_id,
            MessagePart.seq,
            MessagePart.state,
            MessagePart.status,
            MessagePart.upstream_id,
            MessagePart.error_code,
        )
        .where(MessagePart.message_id.in_(message_ids))
        .order_by(MessagePart.message_id, MessagePart.seq)
    ):
        parts[row.message_id].append(
            settlement.PartRow(row.seq, row.state, row.status, row.upstream_id, row.error_code)
        )
    return parts


def _outcomes(
    live: Sequence[Row[Any]], parts: defaultdict[int, list[settlement.PartRow]], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], defaultdict[int, list[ledger.LedgerRow]]]:
    """What domain/settlement.py decides for each live message: the message rows' new values,
    the timeline rows and the ledger rows by account (only for the messages that change)."""
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    entries: defaultdict[int, list[ledger.LedgerRow]] = defaultdict(list)
    for row in live:
        message = settlement.MessageRow(
            row.id,
            row.status,
            row.cost,
            row.to,
            row.parts,
            row.reason_code,
            row.error_code,
            row.submitted_at,
            row.final_at,
            row.refunded,
        )
        outcome = settlement.conclude(message, parts[row.id], row.charge_failed_deliveries, now)
        if not outcome:
            continue
        values = {column: outcome.changes.get(column, getattr(message, column)) for column in settlement.COLUMNS}
        updates.append({"id": row.id, **values})
        events += [{"message_id": row.id, "kind": kind, "at": now, "detail": detail} for kind, detail in outcome.events]
        entries[row.account_id] += outcome.entries
    return updates, events, entries


def post_entries(session: Session, entries: dict[int, list[ledger.LedgerRow]]) -> None:
    """Ledger rows by account: one conditional UPDATE of each balance (net of the rows) and one
    INSERT of the rows, in the order given."""
    for account_id, rows in entries.items():
        if rows:
            ledger.post_many(session, session.get_one(Account, account_id), rows, actor=None)
