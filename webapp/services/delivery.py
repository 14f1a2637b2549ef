"""Submitting queued messages upstream exactly once, and settling them (receipts: services/receipts.py;
messages that outlived their validity: services/expiry.py).

Exactly-once effect: a part is *claimed* in the database (pending → claimed, one
conditional UPDATE, committed) before it goes upstream. A job that runs twice, or a
worker killed between submission and commit, finds the part claimed and never sends
it again; parts left claimed without an outcome are settled later as unknown.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session, scoped_session

from webapp.connectors import Connector, OutgoingPart, Receipt, RouteDown, SubmitResult, connector_for
from webapp.domain import lifecycle
from webapp.domain.routing import parse_route_url
from webapp.domain.sms_text import split
from webapp.models import Message, MessageEvent, MessagePart, Route
from webapp.models.types import utcnow
from webapp.services import blocklist, dispatch, failover, http_sending, route_state, settlement
from webapp.services.bulk_rows import RowValues, insert_rows, update_rows
from webapp.services.expiry import expire_unsent, refuse_unsent
from webapp.services.receipts import PartSeen, _match_early_receipts, take_receipt
from webapp.services.throttle import RouteThrottle

log = logging.getLogger(__name__)

# Rows, not objects (SQLAlchemy types a row of a select(*columns) as Row[Any]):
MessageRow = Row[Any]  # the columns of _SENDING
ClaimedPart = Row[Any]  # id, message_id, seq, submission_key, route_id (the claim's RETURNING)


@contextmanager
def _loaded_objects_kept(session: Session | scoped_session[Session]) -> Iterator[None]:
    """Commits that do not expire what was loaded (the batch's routes): every decision that
    matters here is made by the database (the claim's conditional UPDATE, the ledger's), so
    reloading after every commit would only cost queries."""
    real = session.registry() if hasattr(session, "registry") else session
    before, real.expire_on_commit = real.expire_on_commit, False
    try:
        yield
    finally:
        real.expire_on_commit = before


_SENDING = (
    Message.id,
    Message.account_id,
    Message.status,
    Message.sender,
    Message.to,
    Message.text,
    Message.encoding,
    Message.parts,
    Message.validity_until,
    Message.flash,
    Message.not_before,
    Message.campaign_id,
)


def submit_messages(
    session: Session,
    message_ids: list[int],
    redis: Redis,
    batch_parts: int = 100,
    should_continue: Callable[[], bool] | None = None,
    failover_after: float = 30.0,
) -> dict[str, int]:
    """Send the queued parts of these messages, a batch at a time. Commits: each batch's claims
    are durable before it goes upstream, and its outcome is committed before the next batch.
    ``should_continue()`` is asked before each batch (a paused campaign stops there). Messages
    waiting for a route down ``failover_after`` seconds or more go by the next route."""
    try:
        with _loaded_objects_kept(session):
            return _submit_messages(session, message_ids, redis, batch_parts, should_continue, failover_after)
    finally:
        session.expire_all()  # the outcomes were written in bulk: what was loaded is stale


def _submit_messages(
    session: Session,
    message_ids: list[int],
    redis: Redis,
    batch_parts: int,
    should_continue: Callable[[], bool] | None = None,
    failover_after: float = 30.0,
) -> dict[str, int]:
    now = utcnow()
    # Rows, not objects: what sending reads of a message, nothing to track or expire.
    messages = session.execute(select(*_SENDING).where(Message.id.in_(message_ids)).order_by(Message.id)).all()
    late = {m.id for m in messages if m.status == lifecycle.QUEUED and m.validity_until <= now}
    # Waiting for its delivery window: not yet (a campaign's pacer hands it out at its time).
    waiting = [m for m in messages if m.status == lifecycle.QUEUED and m.not_before and m.not_before > now]
    expired = expire_unsent(session, late)
    # A phone that answered STOP after its message was queued gets nothing more (released, at no cost).
    opted_out = blocklist.opted_out_messages(session, [m for m in messages if m.status == lifecycle.QUEUED])
    refused = refuse_unsent(session, opted_out - late, "opted_out", "cancelled", None)
    session.commit()
    dispatch.hand_to_workers_when_due(redis, [(m.id, m.not_before) for m in waiting if m.campaign_id is None])
    counts = {"claimed": 0, "submitted": 0, "failed": 0, "expired": expired, "stopped": 0, "opted_out": refused}
    counts["waiting"] = len(waiting)
    batch: list[MessageRow] = []
    parts = 0
    held = late | opted_out | {m.id for m in waiting}
    queued = [m for m in messages if m.status == lifecycle.QUEUED and m.id not in held]
    for index, message in enumerate(queued):
        batch.append(message)
        parts += message.parts
        if parts >= batch_parts or index == len(queued) - 1:
            if should_continue is not None and not should_continue():
                counts["stopped"] = len(queued) - index + len(batch) - 1
                break
            _submit_batch(session, batch, redis, counts, failover_after)
            batch, parts = [], 0
    return counts


def _submit_batch(
    session: Session, batch: list[MessageRow], redis: Redis, counts: dict[str, int], failover_after: float = 30.0
) -> None:
    live = {m.id: m for m in batch}
    # Messages waiting for a route down too long go by the next one (none of their parts left).
    counts["rerouted"] = counts.get("rerouted", 0) + failover.leave_down_routes(
        session, list(live), redis, failover_after
    )
    session.commit()
    now = utcnow()
    # The claim: only parts still pending become ours; a second run gets none of them.
    claimed = session.execute(
        update(MessagePart)
        .where(MessagePart.message_id.in_(list(live)), MessagePart.state == "pending")
        .values(state="claimed", claimed_at=now)
        .returning(
            MessagePart.id, MessagePart.message_id, MessagePart.seq, MessagePart.submission_key, MessagePart.route_id
        )
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    counts["claimed"] += len(claimed)
    if not claimed:
        return
    handed: set[str] = set()  # submission keys given to a connector: maybe upstream from then on
    try:
        _send_claimed(session, live, sorted(claimed, key=lambda p: p.id), redis, counts, handed, now)
    except Exception:
        _hand_back(session, [p.id for p in claimed], handed)
        raise


def _hand_back(session: Session, claimed_ids: list[int], handed: set[str]) -> None:
    """The batch failed (the database or Redis went away) before some of its claimed parts were
    handed to a connector: those certainly did not go upstream, so their claims are handed back
    for the retry (instead of becoming 'unknown', charged and never sent). Best effort: when the
    database is still away they stay claimed and are settled later as usual."""
    try:
        session.rollback()
        session.execute(
            update(MessagePart)
            .where(
                MessagePart.id.in_(claimed_ids),
                MessagePart.state == "claimed",
                MessagePart.submission_key.not_in(handed),
            )
            .values(state="pending", claimed_at=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except Exception as exc:  # the original error is the one that matters; it is re-raised
        log.warning("claims of %d parts not handed back (%s); settled later as unknown", len(claimed_ids), exc)
        session.rollback()


def _send_claimed(
    session: Session,
    live: dict[int, MessageRow],
    claimed: list[ClaimedPart],
    redis: Redis,
    counts: dict[str, int],
    handed: set[str],
    now: datetime,
) -> None:
    by_route: dict[int, list[ClaimedPart]] = defaultdict(list)
    for part in claimed:
        by_route[part.route_id].append(part)
    for route_id, route_parts in by_route.items():
        route = session.get_one(Route, route_id)
        outgoing = _outgoing_parts(live, route_parts, now)
        # No transaction stays open while the parts travel (a slow or throttling SMSC would
        # leave it "idle in transaction" for seconds): what was loaded is kept, not expired.
        session.commit()
        connector = connector_for(route.id, route.url, redis, route.http_config)
        results, down = _submit_to_route(route, connector, outgoing, redis, handed)
        keys = [p.submission_key for p in route_parts]
        recorded = False
        try:
            _record_outcome(session, route, route_parts, results, down, connector, counts, now, live, redis)
            session.commit()
            recorded = True
        finally:
            # Receipts the bind held for these parts (they came before this commit): acknowledged
            # when recorded here, else stored the usual way (and matched now that ids are known).
            if hasattr(connector, "receipts_recorded"):
                connector.receipts_recorded(keys, recorded)
        if down is not None:  # what did go upstream is kept; the job retries the rest
            raise down


def _outgoing_parts(live: dict[int, MessageRow], route_parts: list[ClaimedPart], now: datetime) -> list[OutgoingPart]:
    """The claimed parts as a connector sends them: each part's text cut from its message's."""
    # A campaign's messages often share one text: cut each distinct text once.
    cut: dict[str, list[str]] = {}
    texts = {
        m.id: cut.get(m.text) or cut.setdefault(m.text, split(m.text))
        for m in (live[p.message_id] for p in route_parts)
    }
    return [
        OutgoingPart(
            submission_key=p.submission_key,
            message_id=p.message_id,
            sender=live[p.message_id].sender,
            to=live[p.message_id].to,
            text=texts[p.message_id][p.seq - 1],
            encoding=live[p.message_id].encoding,
            seq=p.seq,
            total=live[p.message_id].parts,
            validity_seconds=max(60, int((live[p.message_id].validity_until - now).total_seconds())),
            flash=bool(live[p.message_id].flash),
        )
        for p in route_parts
    ]


def _submit_to_route(
    route: Route, connector: Connector, outgoing: list[OutgoingPart], redis: Redis, handed: set[str]
) -> tuple[list[SubmitResult], RouteDown | None]:
    """Hand the parts to the route's connector, throttled; each part's key goes into ``handed``
    before it does. Returns the results and, when the route went down, why (with the results it
    had). Marks the route up or down, and closes the connector."""
    throttle = RouteThrottle(redis, route.id, parse_route_url(route.url).tps)
    results: list[SubmitResult] = []
    down: RouteDown | None = None
    # An SMPP bind holds the receipts that come before this batch's outcome is committed
    # (see connectors/smpp_handoff.py); they are recorded with it.
    submit = getattr(connector, "submit_holding_receipts", connector.submit)
    try:
        # At most `tps` parts per second on this route, across every worker process (an HTTP
        # route takes a message whole: its parts stay in one piece).
        for piece in http_sending.pieces(outgoing, throttle.tps, getattr(connector, "whole_messages", False)):
            try:
                throttle.acquire(len(piece))
            except RedisError as exc:  # Redis went away between pieces: keep what went out
                raise RouteDown(f"Redis unavailable ({exc}); the rest waits for the retry") from exc
            except TimeoutError as exc:  # the route is paused or full: keep what went out
                raise RouteDown(f"{exc}; the rest waits for the retry") from exc
            handed.update(p.submission_key for p in piece)
            results += submit(piece)
    except RouteDown as exc:
        down = exc
        results += exc.results
        if exc.pause:  # the provider throttles: every worker waits before the route's next part
            _pause(throttle, exc.pause)
        route_state.mark_down(redis, route.id, route.name, str(exc))
    else:
        route_state.mark_up(redis, route.id)
    finally:
        connector.close()
    return results, down


def _pause(throttle: RouteThrottle, seconds: float) -> None:
    try:
        throttle.pause(seconds)
    except RedisError:  # the job's retry waits anyway
        log.warning("route %s not paused: Redis unavailable", throttle.key)


def _record_outcome(
    session: Session,
    route: Route,
    route_parts: list[ClaimedPart],
    results: list[SubmitResult],
    down: RouteDown | None,
    connector: Connector,
    counts: dict[str, int],
    now: datetime,
    live: dict[int, MessageRow],
    redis: Redis,
) -> None:
    """Each part's outcome, and the receipts that already came for it, written in bulk; then the
    messages concluded (charged, and settled when their receipts came). Flushes."""
    route_id = route.id
    by_key = {r.submission_key: r for r in results}
    unsent = _hand_back_unsent(session, route_parts, by_key, down)
    sent = [p for p in route_parts if p.submission_key in by_key]
    held = (
        connector.take_receipts([p.submission_key for p in sent])
        if down is None and hasattr(connector, "take_receipts")
        else {}
    )
    rows, events = _outcome_rows(sent, by_key, held, counts)
    update_rows(session, MessagePart.__table__, rows)
    insert_rows(session, MessageEvent.__table__, events)
    if getattr(connector, "whole_messages", False):  # an HTTP route: reports polled or pushed
        keys = {p.submission_key: p.message_id for p in sent}
        http_sending.await_reports(session, route_id, route.url, connector, results, keys, live, redis, now)
    elif down is None:
        _match_early_receipts(session, route_id, [r["upstream_id"] for r in rows if r["upstream_id"]], since=now)
    settlement.conclude(session, {p.message_id for p in route_parts if p.id not in unsent})


def _hand_back_unsent(
    session: Session, route_parts: list[ClaimedPart], by_key: dict[str, SubmitResult], down: RouteDown | None
) -> set[int]:
    """The ids of the parts that never went upstream (the route went down before them); their
    claims are handed back so the job's retry sends them."""
    # Sent without an answer: maybe upstream, so never resent; they stay claimed and are
    # settled as 'unknown' by settle_stale_claims.
    uncertain = set(down.uncertain) if down else set()
    unsent = (
        {p.id for p in route_parts if p.submission_key not in by_key and p.submission_key not in uncertain}
        if down
        else set()
    )
    if unsent:
        # Those never went upstream: hand their claims back so the job's retry sends them.
        session.execute(
            update(MessagePart)
            .where(MessagePart.id.in_(sorted(unsent)))
            .values(state="pending", claimed_at=None)
            .execution_options(synchronize_session=False)
        )
    return unsent


def _outcome_rows(
    sent: list[ClaimedPart],
    by_key: dict[str, SubmitResult],
    held: dict[str, list[Receipt]],
    counts: dict[str, int],
) -> tuple[list[RowValues], list[RowValues]]:
    """Each sent part's row (submitted with its upstream id, or failed as REJECTD) and the
    timeline rows of the receipts held for it; counts them."""
    rows: list[RowValues] = []
    events: list[RowValues] = []
    at = utcnow()
    for part in sent:
        result = by_key[part.submission_key]
        if result.upstream_id:
            seen = PartSeen(part.id, part.message_id, part.seq, result.upstream_id, None, at)
            events += [take_receipt(seen, receipt, at) for receipt in held.get(part.submission_key, ())]
            rows.append(
                {
                    "id": part.id,
                    "state": "submitted",
                    "upstream_id": result.upstream_id,
                    "submitted_at": at,
                    "status": seen.status,
                    "error_code": seen.error_code,
                    "receipt_at": seen.receipt_at,
                }
            )
            counts["submitted"] += 1
        else:
            rows.append(
                {
                    "id": part.id,
                    "state": "failed",
                    "upstream_id": None,
                    "submitted_at": None,
                    "status": lifecycle.REJECTD,
                    "error_code": result.error_code,
                    "receipt_at": None,
                }
            )
            counts["failed"] += 1
    return rows, events


def settle_stale_claims(session: Session, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Parts claimed long ago with no recorded outcome (the worker died mid-submission) may
    or may not have gone upstream. They are never sent again; they become 'unknown', and the
    message is settled as submitted (charged once) and ends NOREPORT if no receipt comes."""
    cutoff = utcnow() - older_than
    candidates = session.scalars(
        select(MessagePart.id).where(MessagePart.state == "claimed", MessagePart.claimed_at <= cutoff).limit(5000)
    ).all()
    # Conditional, like the claim: two crons settling together turn each part once.
    stale = (
        session.execute(
            update(MessagePart)
            .where(MessagePart.id.in_(candidates), MessagePart.state == "claimed")
            .values(state="unknown")
            .returning(MessagePart.message_id, MessagePart.seq)
            .execution_options(synchronize_session=False)
        ).all()
        if candidates
        else []
    )
    unknown: defaultdict[int, list[int]] = defaultdict(list)
    for message_id, seq in stale:
        unknown[message_id].append(seq)
    if unknown:
        now = utcnow()
        session.execute(
            insert(MessageEvent),
            [
                {"message_id": message_id, "kind": "unknown", "at": now, "detail": {"parts": sorted(seqs)}}
                for message_id, seqs in unknown.items()
            ],
        )
    settlement.conclude(session, unknown)
    session.expire_all()  # written in bulk: what the caller loaded is stale
    return len(stale)
