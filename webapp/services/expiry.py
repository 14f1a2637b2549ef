"""Messages whose validity period ran out: queued ones that never went upstream are refused as
expired (their pending parts taken with the same conditional UPDATE a sender's claim is, and
their reservation released once), and submitted ones with no final receipt become NOREPORT
(still charged). Sending calls expire_unsent() before each run; the cron calls expire_overdue().
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from webapp.domain import lifecycle
from webapp.models import Message, MessageEvent, MessagePart
from webapp.models.types import utcnow
from webapp.services import settlement, status_events
from webapp.services.ledger import LedgerRow
from webapp.services.receipts import prune_pending_receipts


def expire_unsent(session: Session, message_ids: Iterable[int]) -> int:
    """Queued messages whose validity ran out before they went upstream. Their pending parts
    are taken with the same conditional UPDATE a sender's claim is, so a part is either sent or
    expired, never both; a message whose parts are all taken is refused as expired and its
    reservation released, once, however many jobs or crons get here together."""
    return refuse_unsent(session, message_ids, "expired", "expired", lifecycle.EXPIRED)


def refuse_unsent(
    session: Session, message_ids: Iterable[int], reason: str, part_state: str, part_status: str | None
) -> int:
    """Queued messages that must not go out after all (their validity ran out; the phone said
    STOP after they were queued): their pending parts taken as a sender's claim would take them,
    and each message whose parts are all taken refused with ``reason`` and released, once."""
    ids = sorted(message_ids)
    refused = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        taken = set(
            session.scalars(
                update(MessagePart)
                .where(MessagePart.message_id.in_(chunk), MessagePart.state == "pending")
                .values(state=part_state, status=part_status)
                .returning(MessagePart.message_id)
                .execution_options(synchronize_session=False)
            )
        )
        if not taken:
            continue
        now = utcnow()
        done = session.execute(
            update(Message)
            .where(
                Message.id.in_(taken),
                Message.status == lifecycle.QUEUED,
                ~Message.part_rows.any(MessagePart.state != part_state),
            )
            .values(status=lifecycle.REFUSED, reason_code=reason, final_at=now)
            .returning(Message.id, Message.account_id, Message.cost, Message.callback_endpoint_id)
            .execution_options(synchronize_session=False)
        ).all()
        releases: dict[int, list[LedgerRow]] = defaultdict(list)
        for message_id, account_id, cost, _ in done:
            if cost:
                releases[account_id].append((cost, "release", reason, f"msg:{message_id}"))
                session.add(
                    MessageEvent(message_id=message_id, kind="released", detail={"amount": str(cost), "reason": reason})
                )
            session.add(MessageEvent(message_id=message_id, kind="refused", detail={"reason": reason}))
        settlement.post_entries(session, releases)
        status_events.emit_changes(session, [status_events.Changed(m, a, c) for m, a, _, c in done])
        refused += len(done)
    session.flush()
    return refused


def _lock_fresh(session: Session, message_ids: Iterable[int]) -> list[Message]:
    """Lock these messages' rows (in id order, so two workers never deadlock) and read them and
    their parts again. Whoever decides a message's state from its parts' (charged, refunded,
    final) does it under this lock, after flushing its own part changes: two workers or a worker
    and a receipt sink finishing parts of one message at the same time are serialised, the second
    sees the first's parts, and the message is charged, refunded and settled exactly once.
    (SQLite has one writer at a time anyway; FOR UPDATE is PostgreSQL's.)"""
    session.flush()
    ids = sorted(set(message_ids))
    messages: list[Message] = []
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        messages += session.scalars(
            select(Message)
            .where(Message.id.in_(chunk))
            .order_by(Message.id)
            .with_for_update(of=Message)
            .options(selectinload(Message.part_rows))
            .execution_options(populate_existing=True)
        ).all()
    return messages


def expire_overdue(session: Session, grace: timedelta = timedelta(minutes=5)) -> int:
    """Messages past their validity with no final receipt become NOREPORT (still charged); queued
    ones that never went out (a paused campaign, a lost job) are refused as expired and released."""
    cutoff = utcnow() - grace
    stuck = session.scalars(
        select(Message.id).where(Message.status == lifecycle.QUEUED, Message.validity_until < cutoff).limit(5000)
    ).all()
    expire_unsent(session, stuck)
    overdue_ids = session.scalars(
        select(Message.id).where(Message.status == lifecycle.SUBMITTED, Message.validity_until < cutoff).limit(5000)
    ).all()
    overdue = [m for m in _lock_fresh(session, overdue_ids) if m.status == lifecycle.SUBMITTED]
    for message in overdue:
        for part in message.part_rows:
            if part.status is None:
                part.status = lifecycle.NOREPORT
        message.status, message.final_at = lifecycle.NOREPORT, utcnow()
        session.add(MessageEvent(message_id=message.id, kind="noreport", detail={}))
    status_events.emit_changes(
        session, [status_events.Changed(m.id, m.account_id, m.callback_endpoint_id) for m in overdue]
    )
    prune_pending_receipts(session)
    session.flush()
    return len(overdue)
