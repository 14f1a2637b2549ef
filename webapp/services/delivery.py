"""Submitting queued messages upstream exactly once, and settling them (receipts: services/receipts.py).

Exactly-once effect: a part is *claimed* in the database (pending → claimed, one
conditional UPDATE, committed) before it goes upstream. A job that runs twice, or a
worker killed between submission and commit, finds the part claimed and never sends
it again; parts left claimed without an outcome are settled later as unknown.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from webapp.connectors import OutgoingPart, RouteDown, connector_for
from webapp.domain import lifecycle
from webapp.domain.routing import parse_route_url
from webapp.domain.sms_text import split
from webapp.models import Account, Message, MessageEvent, MessagePart, Route
from webapp.models.types import utcnow
from webapp.services import ledger, route_state
from webapp.services.receipts import (_match_early_receipts, apply_receipts, match_pending_receipts,  # noqa: F401
                                      prune_pending_receipts)
from webapp.services.sending import release
from webapp.services.throttle import RouteThrottle

log = logging.getLogger(__name__)


@contextmanager
def _loaded_objects_kept(session: Session):
    """Commits that do not expire what was loaded. Every decision that matters here is made by
    the database (the claim's conditional UPDATE, the ledger's), so reloading each message,
    part and account after every commit would only cost a query per row."""
    real = session.registry() if hasattr(session, "registry") else session
    before, real.expire_on_commit = real.expire_on_commit, False
    try:
        yield
    finally:
        real.expire_on_commit = before


def submit_messages(session: Session, message_ids: list[int], redis, batch_parts: int = 100,
                    should_continue=None) -> dict[str, int]:
    """Send the queued parts of these messages, a batch at a time. Commits: each batch's claims
    are durable before it goes upstream, and its outcome is committed before the next batch.
    ``should_continue()`` is asked before each batch (a paused campaign stops there)."""
    with _loaded_objects_kept(session):
        return _submit_messages(session, message_ids, redis, batch_parts, should_continue)


def _submit_messages(session: Session, message_ids: list[int], redis, batch_parts: int,
                     should_continue=None) -> dict[str, int]:
    now = utcnow()
    messages = session.scalars(select(Message).where(Message.id.in_(message_ids)).order_by(Message.id)
                               .options(selectinload(Message.part_rows))).all()
    late = {m.id for m in messages if m.status == lifecycle.QUEUED and m.validity_until <= now}
    expired = expire_unsent(session, late)
    session.commit()
    counts = {"claimed": 0, "submitted": 0, "failed": 0, "expired": expired, "stopped": 0}
    batch: list[Message] = []
    queued = [m for m in messages if m.status == lifecycle.QUEUED and m.id not in late]
    for index, message in enumerate(queued):
        batch.append(message)
        if sum(m.parts for m in batch) >= batch_parts or index == len(queued) - 1:
            if should_continue is not None and not should_continue():
                counts["stopped"] = len(queued) - index + len(batch) - 1
                break
            _submit_batch(session, batch, redis, counts)
            batch = []
    return counts


def _submit_batch(session: Session, batch: list[Message], redis, counts: dict[str, int]) -> None:
    live = {m.id: m for m in batch}
    # Held here, the batch's accounts stay in the session's (weak) identity map: charging and
    # settling find them there instead of loading each again per message.
    accounts = session.scalars(select(Account).where(Account.id.in_({m.account_id for m in batch}))).all()  # noqa: F841
    now = utcnow()
    # The claim: only parts still pending become ours; a second run gets none of them.
    claimed_ids = session.scalars(
        update(MessagePart)
        .where(MessagePart.message_id.in_(list(live)), MessagePart.state == "pending")
        .values(state="claimed", claimed_at=now)
        .returning(MessagePart.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    counts["claimed"] += len(claimed_ids)
    if not claimed_ids:
        return
    handed: set[str] = set()   # submission keys given to a connector: maybe upstream from then on
    try:
        _send_claimed(session, live, claimed_ids, redis, counts, handed, now)
    except Exception:
        _hand_back(session, claimed_ids, handed)
        raise


def _hand_back(session: Session, claimed_ids: list[int], handed: set[str]) -> None:
    """The batch failed (the database or Redis went away) before some of its claimed parts were
    handed to a connector: those certainly did not go upstream, so their claims are handed back
    for the retry (instead of becoming 'unknown', charged and never sent). Best effort: when the
    database is still away they stay claimed and are settled later as usual."""
    try:
        session.rollback()
        session.execute(update(MessagePart).where(
            MessagePart.id.in_(claimed_ids), MessagePart.state == "claimed", MessagePart.submission_key.not_in(handed))
            .values(state="pending", claimed_at=None).execution_options(synchronize_session=False))
        session.commit()
    except Exception as exc:  # the original error is the one that matters; it is re-raised
        log.warning("claims of %d parts not handed back (%s); settled later as unknown", len(claimed_ids), exc)
        session.rollback()


def _send_claimed(session: Session, live: dict[int, Message], claimed_ids: list[int], redis,
                  counts: dict[str, int], handed: set[str], now) -> None:
    parts = session.scalars(select(MessagePart).where(MessagePart.id.in_(claimed_ids)).order_by(MessagePart.id)).all()
    by_route: dict[int, list[MessagePart]] = defaultdict(list)
    for part in parts:
        by_route[part.route_id].append(part)
    for route_id, route_parts in by_route.items():
        route = session.get(Route, route_id)
        # A campaign's messages often share one text: cut each distinct text once.
        cut: dict[str, list[str]] = {}
        texts = {m.id: cut.get(m.text) or cut.setdefault(m.text, split(m.text))
                 for m in (live[p.message_id] for p in route_parts)}
        outgoing = [
            OutgoingPart(
                submission_key=p.submission_key, message_id=p.message_id, sender=live[p.message_id].sender,
                to=live[p.message_id].to, text=texts[p.message_id][p.seq - 1], encoding=live[p.message_id].encoding,
                seq=p.seq, total=live[p.message_id].parts,
                validity_seconds=max(60, int((live[p.message_id].validity_until - now).total_seconds())),
            )
            for p in route_parts
        ]
        # No transaction stays open while the parts travel (a slow or throttling SMSC would
        # leave it "idle in transaction" for seconds): what was loaded is kept, not expired.
        session.commit()
        connector = connector_for(route.id, route.url, redis)
        throttle = RouteThrottle(redis, route.id, parse_route_url(route.url).tps)
        results, down = [], None
        try:
            # At most `tps` parts per second on this route, across every worker process.
            for start in range(0, len(outgoing), throttle.tps):
                piece = outgoing[start:start + throttle.tps]
                try:
                    throttle.acquire(len(piece))
                except RedisError as exc:  # Redis went away between pieces: keep what went out
                    raise RouteDown(f"Redis unavailable ({exc}); the rest waits for the retry") from exc
                handed.update(p.submission_key for p in piece)
                results += connector.submit(piece)
        except RouteDown as exc:
            down = exc
            results += exc.results
            route_state.mark_down(redis, route.id, route.name, str(exc))
        else:
            route_state.mark_up(redis, route.id)
        finally:
            connector.close()
        by_key = {r.submission_key: r for r in results}
        # Sent without an answer: maybe upstream, so never resent; they stay claimed and are
        # settled as 'unknown' by settle_stale_claims.
        uncertain = set(down.uncertain) if down else set()
        unsent = [p for p in route_parts if p.submission_key not in by_key and p.submission_key not in uncertain] \
            if down else []
        unsent_ids = {p.id for p in unsent}
        if unsent:
            # Those never went upstream: hand their claims back so the job's retry sends them.
            session.execute(update(MessagePart).where(MessagePart.id.in_([p.id for p in unsent]))
                            .values(state="pending", claimed_at=None).execution_options(synchronize_session=False))
        for part in route_parts:
            if part.id in unsent_ids or part.submission_key in uncertain:
                continue
            result = by_key.get(part.submission_key)
            if result is not None and result.upstream_id:
                part.state, part.upstream_id, part.submitted_at = "submitted", result.upstream_id, utcnow()
                counts["submitted"] += 1
            else:
                part.state, part.status = "failed", lifecycle.REJECTD
                part.error_code = result.error_code if result else None
                counts["failed"] += 1
        session.flush()
        if down is not None:  # keep what did go upstream, then let the job retry the rest
            charges: dict[int, list] = defaultdict(list)
            for message in _lock_fresh(session, {p.message_id for p in route_parts if p.id not in unsent_ids}):
                _after_submission(session, message, charges)
            _post_charges(session, charges)
            session.commit()
            raise down
        _match_early_receipts(session, route_id, [p.upstream_id for p in route_parts if p.upstream_id])
    charges: dict[int, list] = defaultdict(list)
    for message in _lock_fresh(session, {p.message_id for p in parts}):
        _after_submission(session, message, charges)
    _post_charges(session, charges)
    session.commit()


def expire_unsent(session: Session, message_ids) -> int:
    """Queued messages whose validity ran out before they went upstream. Their pending parts
    are taken with the same conditional UPDATE a sender's claim is, so a part is either sent or
    expired, never both; a message whose parts are all taken is refused as expired and its
    reservation released, once, however many jobs or crons get here together."""
    ids = sorted(message_ids)
    expired = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        taken = set(session.scalars(update(MessagePart).where(MessagePart.message_id.in_(chunk), MessagePart.state == "pending")
                                    .values(state="expired", status=lifecycle.EXPIRED).returning(MessagePart.message_id)
                                    .execution_options(synchronize_session=False)))
        if not taken:
            continue
        now = utcnow()
        done = session.execute(update(Message).where(
            Message.id.in_(taken), Message.status == lifecycle.QUEUED,
            ~Message.part_rows.any(MessagePart.state != "expired"))
            .values(status=lifecycle.REFUSED, reason_code="expired", final_at=now)
            .returning(Message.id, Message.account_id, Message.cost)
            .execution_options(synchronize_session=False)).all()
        releases: dict[int, list] = defaultdict(list)
        for message_id, account_id, cost in done:
            if cost:
                releases[account_id].append((cost, "release", "expired", f"msg:{message_id}"))
                session.add(MessageEvent(message_id=message_id, kind="released", detail={"amount": str(cost), "reason": "expired"}))
            session.add(MessageEvent(message_id=message_id, kind="refused", detail={"reason": "expired"}))
        _post_charges(session, releases)
        expired += len(done)
    session.flush()
    return expired


def _lock_fresh(session: Session, message_ids) -> list[Message]:
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
        chunk = ids[start:start + 1000]
        messages += session.scalars(select(Message).where(Message.id.in_(chunk)).order_by(Message.id)
                                    .with_for_update(of=Message).options(selectinload(Message.part_rows))
                                    .execution_options(populate_existing=True)).all()
    return messages


def _post_charges(session: Session, charges: dict[int, list]) -> None:
    """The batch's reservations become charges: per account one UPDATE (net zero) and the rows."""
    for account_id, entries in charges.items():
        ledger.post_many(session, session.get(Account, account_id), entries, actor=None)


def settle_stale_claims(session: Session, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Parts claimed long ago with no recorded outcome (the worker died mid-submission) may
    or may not have gone upstream. They are never sent again; they become 'unknown', and the
    message is settled as submitted (charged once) and ends NOREPORT if no receipt comes."""
    cutoff = utcnow() - older_than
    candidates = session.scalars(select(MessagePart.id).where(
        MessagePart.state == "claimed", MessagePart.claimed_at <= cutoff).limit(5000)).all()
    # Conditional, like the claim: two crons settling together turn each part once.
    stale = session.execute(update(MessagePart).where(MessagePart.id.in_(candidates), MessagePart.state == "claimed")
                            .values(state="unknown").returning(MessagePart.message_id, MessagePart.seq)
                            .execution_options(synchronize_session=False)).all() if candidates else []
    unknown = defaultdict(list)
    for message_id, seq in stale:
        unknown[message_id].append(seq)
    charges: dict[int, list] = defaultdict(list)
    for message in _lock_fresh(session, unknown):
        session.add(MessageEvent(message_id=message.id, kind="unknown", detail={"parts": sorted(unknown[message.id])}))
        _after_submission(session, message, charges)
    _post_charges(session, charges)
    session.flush()
    return len(stale)


def _after_submission(session: Session, message: Message, charges: dict[int, list]) -> None:
    """Once every part has an outcome: charged (and settled if its receipts came), or rejected.
    The caller holds the message's lock with fresh parts (_lock_fresh)."""
    if message.status != lifecycle.QUEUED:
        return  # another worker finished it
    states = [p.state for p in message.part_rows]
    if any(s in ("pending", "claimed") for s in states):
        return  # other parts are still on their way
    if all(s == "failed" for s in states):
        _finish_unsent(session, message, "rejected_at_submission", status=lifecycle.REJECTD)
        return
    # The reservation becomes a charge: released and charged in the same transaction.
    reference = f"msg:{message.id}"
    charges[message.account_id] += [
        (message.cost, "release", "Reservation turned into charge", reference),
        (-message.cost, "charge", f"SMS to {message.to}, {message.parts} part{'s' if message.parts != 1 else ''}", reference),
    ]
    message.status, message.submitted_at = lifecycle.SUBMITTED, utcnow()
    session.add(MessageEvent(message_id=message.id, kind="submitted", detail={
        "parts": [{"seq": p.seq, "upstream_id": p.upstream_id, "state": p.state} for p in message.part_rows]}))
    _settle(session, message)


def _finish_unsent(session: Session, message: Message, reason: str, status: str = lifecycle.REFUSED) -> None:
    release(session, message, reason)
    message.status, message.reason_code, message.final_at = status, reason, utcnow()
    if status == lifecycle.REFUSED:
        session.add(MessageEvent(message_id=message.id, kind="refused", detail={"reason": reason}))


def _settle_all(session: Session, message_ids: set[int]) -> None:
    """Settle these messages with a few queries, whatever their number (no query per message),
    under their locks (see _lock_fresh)."""
    messages = _lock_fresh(session, message_ids)
    # Held here, the accounts stay in the session's (weak) identity map, so _settle's
    # session.get() finds them instead of loading each again.
    accounts = session.scalars(select(Account).where(Account.id.in_({m.account_id for m in messages}))).all()
    for message in messages:
        _settle(session, message)
    del accounts


def _settle(session: Session, message: Message) -> None:
    """Set the message's final state once every part has one; refund per the account's policy.
    A receipt that comes after the message was given up as NOREPORT still settles it."""
    if message.status not in (lifecycle.SUBMITTED, lifecycle.NOREPORT):
        return
    final = lifecycle.message_status([p.status for p in message.part_rows])
    if final is None or final == message.status:
        return
    message.status, message.final_at = final, utcnow()
    message.error_code = next((p.error_code for p in message.part_rows if p.status == final), None)
    account = session.get(Account, message.account_id)
    refundable = final in (lifecycle.REJECTD, lifecycle.FAILED) or (
        final in lifecycle.BILLED_FAILURES and not account.charge_failed_deliveries)
    if refundable and message.cost:
        ledger.post(session, account, message.cost, kind="refund", reason=f"Not delivered ({final})",
                    reference=f"msg:{message.id}", actor=None)
        session.add(MessageEvent(message_id=message.id, kind="refund", detail={"amount": str(message.cost), "status": final}))


def expire_overdue(session: Session, grace: timedelta = timedelta(minutes=5)) -> int:
    """Messages past their validity with no final receipt become NOREPORT (still charged); queued
    ones that never went out (a paused campaign, a lost job) are refused as expired and released."""
    cutoff = utcnow() - grace
    stuck = session.scalars(select(Message.id).where(Message.status == lifecycle.QUEUED,
                                                     Message.validity_until < cutoff).limit(5000)).all()
    expire_unsent(session, stuck)
    overdue_ids = session.scalars(select(Message.id).where(
        Message.status == lifecycle.SUBMITTED, Message.validity_until < cutoff).limit(5000)).all()
    overdue = [m for m in _lock_fresh(session, overdue_ids) if m.status == lifecycle.SUBMITTED]
    for message in overdue:
        for part in message.part_rows:
            if part.status is None:
                part.status = lifecycle.NOREPORT
        message.status, message.final_at = lifecycle.NOREPORT, utcnow()
        session.add(MessageEvent(message_id=message.id, kind="noreport", detail={}))
    prune_pending_receipts(session)
    session.flush()
    return len(overdue)
