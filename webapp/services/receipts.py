"""Applying delivery receipts to the parts they report on, and keeping the others.

A receipt settles a part only when route, id, time and number agree (webapp/domain/
receipt_matching.py): the part is on the receipt's route, has the id (in any spelling), was
submitted within the matching window (setting ``receipt_match_days``), and its recipient is
the receipt's source address. Any other receipt is kept, whatever its bytes, as a
PendingReceipt with the reason: ``no_part_yet`` (it may have come before its part's id was
committed; matched as soon as it is), ``number_mismatch`` (the id is another number's: an SMSC
that reuses its ids; visible to support with the part it nearly went to), ``unreadable``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from webapp.connectors import Receipt
from webapp.domain import lifecycle
from webapp.domain.receipt_matching import NO_PART_YET, NUMBER_MISMATCH, UNREADABLE, Candidate, Choice, choose
from webapp.domain.routing import HTTP_KINDS
from webapp.domain.smpp_pdu import ERR_MAX, ID_MAX, STAT_MAX, id_candidates, safe_text
from webapp.models import Message, MessageEvent, MessagePart, PendingReceipt, Route
from webapp.models.types import utcnow
from webapp.services.bulk_rows import insert_rows, update_rows
from webapp.services.settlement import conclude

DEFAULT_MATCH_DAYS = 7
# Kept receipts are tried again while they may still find their part (an early receipt's part
# is committed within seconds); after that they wait for support, then go.
RETRY_FOR = timedelta(days=1)
KEEP_NO_PART = timedelta(days=3)  # ids no part of ours ever had (another system's traffic)
KEEP_FOR_SUPPORT = timedelta(days=30)  # number mismatches and unreadable receipts
EARLY_ALLOWANCE = timedelta(minutes=1)  # clocks of the processes that claim and that keep


def match_window(days: int) -> timedelta:
    """The matching window: the RECEIPT_MATCH_DAYS setting, which the caller (the worker) gives."""
    return timedelta(days=days)


@dataclass
class PartSeen:
    """A part as receipt matching sees it (read as a row, not loaded as an object); the receipt
    fields are updated in place as receipts are taken, then written back in bulk."""

    id: int
    message_id: int
    seq: int
    upstream_id: str | None
    status: str | None
    submitted_at: datetime | None
    error_code: str | None = None
    receipt_at: datetime | None = None
    changed: bool = False


# The columns of a PartSeen, in its order (``PartSeen(*row)``).
PART_SEEN = (
    MessagePart.id,
    MessagePart.message_id,
    MessagePart.seq,
    MessagePart.upstream_id,
    MessagePart.status,
    MessagePart.submitted_at,
    MessagePart.error_code,
    MessagePart.receipt_at,
)


@dataclass
class _Found:
    part: PartSeen
    to: str
    spelling: int


def _parts_by_receipt_id(
    session: Session, route_id: int, receipt_ids: Iterable[str | None], since: datetime
) -> dict[str, list[_Found]]:
    """For each receipt id, the route's parts submitted since ``since`` that carry it: as
    written, else as another case or hex ↔ decimal (SMSCs often answer submit_sm in hex and
    write the receipt in decimal), with their recipients."""
    found: dict[str, list[_Found]] = defaultdict(list)
    wanted = {rid: id_candidates(rid) for rid in set(receipt_ids) if rid}
    items = list(wanted.items())
    seen: dict[int, PartSeen] = {}  # one object per part, whichever receipts name it
    for start in range(0, len(items), 1000):
        chunk = items[start : start + 1000]
        ids = {c for _, candidates in chunk for c in candidates}
        by_id: dict[str | None, list[tuple[PartSeen, str]]] = defaultdict(list)
        for row in session.execute(
            select(*PART_SEEN, Message.to)
            .join(Message, Message.id == MessagePart.message_id)
            .where(
                MessagePart.route_id == route_id, MessagePart.upstream_id.in_(ids), MessagePart.submitted_at >= since
            )
        ):
            part = seen.setdefault(
                row.id,
                PartSeen(
                    row.id,
                    row.message_id,
                    row.seq,
                    row.upstream_id,
                    row.status,
                    row.submitted_at,
                    row.error_code,
                    row.receipt_at,
                ),
            )
            by_id[part.upstream_id].append((part, row.to))
        for rid, candidates in chunk:
            for spelling, candidate in enumerate(candidates):
                found[rid] += [_Found(part, to, spelling) for part, to in by_id.get(candidate, ())]
    return found


def _choose(found: list[_Found], source_addr: str | None, since: datetime) -> tuple[Choice, dict[int, PartSeen]]:
    found = [f for f in found if f.part.submitted_at is not None and f.part.submitted_at >= since]
    parts = {f.part.id: f.part for f in found}
    return choose(
        [Candidate(f.part.id, f.to, f.part.status is not None, f.part.submitted_at, f.spelling) for f in found],
        source_addr,
    ), parts


def apply_receipts(
    session: Session, route_id: int, receipts: list[Receipt], match_days: int = DEFAULT_MATCH_DAYS
) -> dict[str, int]:
    """Record receipts on their parts; keep the others (see the module's docstring)."""
    counts = {"matched": 0, "kept": 0}
    if not receipts:
        return counts
    since = utcnow() - match_window(match_days)
    found = _parts_by_receipt_id(session, route_id, [r.upstream_id for r in receipts], since)
    events, kept, now = [], [], utcnow()
    touched: dict[int, PartSeen] = {}
    for receipt in receipts:
        if receipt.upstream_id and receipt.stat:
            choice, parts = _choose(found.get(receipt.upstream_id, []), receipt.source_addr, since)
        else:
            choice, parts = Choice(None, UNREADABLE), {}
        if choice.part_id is None:
            kept.append(
                {
                    "route_id": route_id,
                    "upstream_id": receipt.upstream_id[:ID_MAX],
                    "stat": receipt.stat[:STAT_MAX],
                    "error_code": (receipt.error_code or None) and receipt.error_code[:ERR_MAX],
                    "raw": safe_text(receipt.raw),
                    "source_addr": _address(receipt.source_addr),
                    "reason": choice.reason,
                    "near_part_id": choice.near_part_id,
                    "received_at": now,
                }
            )
            counts["kept"] += 1
            continue
        part = parts[choice.part_id]
        events.append(take_receipt(part, receipt, now))
        touched[part.id] = part
        counts["matched"] += 1
    if kept:
        session.execute(insert(PendingReceipt), kept)
    write_receipts(session, touched.values(), events)
    conclude(session, {p.message_id for p in touched.values()})
    session.expire_all()  # written in bulk: what the caller loaded is stale
    return counts


def _address(source_addr: str | None) -> str | None:
    return safe_text(source_addr)[:32] or None if source_addr else None


def take_receipt(part: PartSeen, receipt: Receipt, now: datetime) -> dict[str, Any]:
    """The receipt's timeline row; a final state settles the part (once: a repeated receipt
    only adds to the timeline, but a late one still settles a NOREPORT part)."""
    event = {
        "message_id": part.message_id,
        "kind": "receipt",
        "at": now,
        "detail": {
            "seq": part.seq,
            "upstream_id": part.upstream_id,
            "stat": receipt.stat,
            "error_code": receipt.error_code,
            "raw": safe_text(receipt.raw or ""),
            **({"source_addr": receipt.source_addr} if receipt.source_addr else {}),
        },
    }
    final = lifecycle.final_status_of(receipt.stat)
    if final is not None and (part.status is None or part.status == lifecycle.NOREPORT):
        part.status, part.receipt_at = final, now
        part.error_code = (receipt.error_code or None) and receipt.error_code[:ERR_MAX]
        part.changed = True
    return event


def write_receipts(session: Session, parts: Iterable[PartSeen], events: list[dict[str, Any]]) -> None:
    """The parts' new receipt states (one executemany) and the receipts' timeline rows (one INSERT)."""
    update_rows(
        session,
        MessagePart.__table__,
        [
            {"id": p.id, "status": p.status, "error_code": p.error_code, "receipt_at": p.receipt_at}
            for p in parts
            if p.changed
        ],
    )
    insert_rows(session, MessageEvent.__table__, events)


def _recent_kept(session: Session, route_id: int, since: datetime) -> bool:
    return (
        session.scalar(
            select(PendingReceipt.id)
            .where(
                PendingReceipt.route_id == route_id,
                PendingReceipt.reason != UNREADABLE,
                PendingReceipt.received_at >= since,
            )
            .limit(1)
        )
        is not None
    )


def _match_early_receipts(
    session: Session,
    route_id: int,
    upstream_ids: list[str],
    match_days: int = DEFAULT_MATCH_DAYS,
    since: datetime | None = None,
) -> list[int]:
    """Receipts that came before these parts' ids were committed, in any spelling of the ids
    (also those kept for another number: the id may now be this number's part's). A kept
    receipt may turn out to be another message's, one already submitted: that one is settled
    here (the batch's own messages are still queued; they are settled after submission).
    ``since``: when the parts were claimed; no receipt about them can be older (a minute's
    allowance for clocks), so when no receipt was kept on the route since, nothing is read."""
    if since is not None and not _recent_kept(session, route_id, since - EARLY_ALLOWANCE):
        return []
    spellings = sorted({c for uid in upstream_ids for c in id_candidates(uid)})
    early = [
        r
        for start in range(0, len(spellings), 5000)
        for r in session.scalars(
            select(PendingReceipt).where(
                PendingReceipt.route_id == route_id,
                PendingReceipt.reason != UNREADABLE,
                PendingReceipt.upstream_id.in_(spellings[start : start + 5000]),
            )
        )
    ]
    touched = _match_kept(session, route_id, early, match_days) if early else []
    if touched:
        conclude(session, set(touched))  # only SUBMITTED messages change
    return touched


def _match_kept(
    session: Session, route_id: int, kept: list[PendingReceipt], match_days: int = DEFAULT_MATCH_DAYS
) -> list[int]:
    """Record the kept receipts whose part is now known, and drop them; the others keep (or
    change) their reason. Returns the messages of the matched ones. A kept receipt is taken
    by deleting its row first: when two matchers find it together, the second deletes nothing
    and records nothing (the timeline shows it once)."""
    if not kept:
        return []
    window = match_window(match_days)
    found = _parts_by_receipt_id(
        session, route_id, [r.upstream_id for r in kept], min(r.received_at for r in kept) - window
    )
    matched: dict[int, tuple[PendingReceipt, PartSeen]] = {}
    for receipt in kept:
        choice, parts = _choose(found.get(receipt.upstream_id, []), receipt.source_addr, receipt.received_at - window)
        if choice.part_id is None:
            assert choice.reason is not None  # choose() gives a reason whenever it gives no part
            receipt.reason, receipt.near_part_id = choice.reason, choice.near_part_id
            continue
        matched[receipt.id] = (receipt, parts[choice.part_id])
    session.flush()
    if not matched:
        return []
    taken = set(
        session.scalars(
            delete(PendingReceipt)
            .where(PendingReceipt.id.in_(list(matched)))
            .returning(PendingReceipt.id)
            .execution_options(synchronize_session=False)
        )
    )
    events, parts, now = [], {}, utcnow()
    for receipt_id in sorted(taken):
        receipt, part = matched[receipt_id]
        session.expunge(receipt)
        events.append(
            take_receipt(
                part,
                Receipt(
                    receipt.upstream_id, receipt.stat, receipt.error_code, receipt.raw, source_addr=receipt.source_addr
                ),
                now,
            )
        )
        parts[part.id] = part
    write_receipts(session, parts.values(), events)
    return [p.message_id for p in parts.values()]


def match_pending_receipts(session: Session, limit: int = 5000, match_days: int = DEFAULT_MATCH_DAYS) -> int:
    """Receipts kept in the last day because no part of theirs was known (a poller or SMPP
    session racing the submitting worker), or only another number's: match them now."""
    kept = session.scalars(
        select(PendingReceipt)
        .join(Route, Route.id == PendingReceipt.route_id)
        .where(
            PendingReceipt.reason.in_([NO_PART_YET, NUMBER_MISMATCH]),
            PendingReceipt.received_at >= utcnow() - RETRY_FOR,
            # HTTP routes' kept reports settle whole messages: services/report_polling.match_kept
            *(~Route.url.startswith(f"{kind}:") for kind in HTTP_KINDS),
        )
        .order_by(PendingReceipt.id)
        .limit(limit)
    ).all()
    by_route: dict[int, list[PendingReceipt]] = defaultdict(list)
    for receipt in kept:
        by_route[receipt.route_id].append(receipt)
    touched: list[int] = []
    for route_id, receipts in by_route.items():
        touched += _match_kept(session, route_id, receipts, match_days)
    conclude(session, set(touched))
    session.expire_all()  # written in bulk: what the caller loaded is stale
    return len(touched)


def prune_pending_receipts(session: Session) -> None:
    """Kept receipts for ids no part of ours ever had go after three days so they do not pile
    up; those support should see (another number's, unreadable) stay thirty days."""
    now = utcnow()
    session.execute(
        delete(PendingReceipt).where(
            or_(
                (PendingReceipt.reason == NO_PART_YET) & (PendingReceipt.received_at < now - KEEP_NO_PART),
                PendingReceipt.received_at < now - KEEP_FOR_SUPPORT,
            )
        )
    )


@dataclass(frozen=True)
class UnmatchedRow:
    receipt: PendingReceipt
    route_name: str
    near_message: Message | None  # the message of the part it nearly went to


def unmatched_receipts(session: Session, reason: str | None = None, limit: int = 200) -> list[UnmatchedRow]:
    """The kept receipts, newest first, for support: by reason, with the route and the message
    they nearly went to."""
    query = (
        select(PendingReceipt, Route.name, Message)
        .join(Route, Route.id == PendingReceipt.route_id)
        .outerjoin(MessagePart, MessagePart.id == PendingReceipt.near_part_id)
        .outerjoin(Message, Message.id == MessagePart.message_id)
        .order_by(PendingReceipt.received_at.desc(), PendingReceipt.id.desc())
        .limit(limit)
    )
    if reason:
        query = query.where(PendingReceipt.reason == reason)
    return [UnmatchedRow(receipt, route_name, message) for receipt, route_name, message in session.execute(query)]


def unmatched_counts(session: Session) -> dict[str, int]:
    """How many kept receipts there are, by reason."""
    from sqlalchemy import func

    return dict(
        session.execute(select(PendingReceipt.reason, func.count()).group_by(PendingReceipt.reason)).tuples().all()
    )
