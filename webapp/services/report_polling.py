"""Delivery reports of HTTP routes: asked for by RQ cron (polling) or pushed by the provider.

A message sent over an HTTP route gets a ``report_polls`` row in the transaction that records
its submission (``register_sent``). The polling job leases the route's due rows oldest first
(``claim_due``: one conditional UPDATE, rows leased by another poller skipped), asks the
provider in batches within the route's status-request budget (``poll_rps``), and writes what it
learnt (``record``): a final report settles every part of the message (the same conditional
part update and conclusion as SMPP receipts: a report told twice settles once) and removes the
row; any other answer sets the next question by the back-off schedule (webapp/domain/
report_polling.py). A failed request (provider down, throttling, nonsense) is not a question:
the leased rows are asked again later, nothing is lost.

A pushed report (``take_push``) finds its message by the provider's id on the route; one that
comes before the submission is committed is kept as an early receipt and matched when it is.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, cast

from limits import RateLimitItem, RateLimitItemPerSecond
from limits import parse as parse_rate
from redis import Redis
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from webapp.connectors import AwaitedReport, PolledReport, PollFailed, Receipt
from webapp.domain import report_polling
from webapp.domain.routing import parse_route_url, parse_schedule
from webapp.domain.smpp_pdu import safe_text
from webapp.models import MessagePart, PendingReceipt, ReportPoll
from webapp.models.types import utcnow
from webapp.services.bulk_rows import insert_rows, update_rows
from webapp.services.receipts import PART_SEEN, PartSeen, take_receipt, write_receipts
from webapp.services.settlement import conclude
from webapp.services.throttle import RouteThrottle

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a poller that dies leaves its rows due again after this
FILL_AHEAD = 5.0  # seconds early a message may be asked, to fill a status request
RUN_BUDGET = 20.0  # seconds one polling job may ask for (the cron starts another after it)
STATS_KEY = "smsportal:report-polls"


def schedule_of(url: str) -> tuple[float, ...]:
    text = parse_route_url(url).param("poll_backoff")
    return parse_schedule(text) if text else report_polling.DEFAULT_SCHEDULE


class ReportPoller(Protocol):
    def poll_reports(self, awaited: list[AwaitedReport]) -> list[PolledReport]: ...


def poll_rate(url: str) -> RateLimitItem:
    """The route's budget of status requests: ``poll_rate=1/minute`` (any `limits` rate), or
    ``poll_rps=N`` per second; 5 per second by default."""
    spec = parse_route_url(url)
    rate = spec.param("poll_rate")
    return parse_rate(rate) if rate else RateLimitItemPerSecond(int(spec.param("poll_rps", "5")))


@dataclass(frozen=True)
class Sent:
    message_id: int
    upstream_id: str
    to: str
    until: datetime


def register_sent(
    session: Session, route_id: int, sent: Iterable[Sent], polled: bool, schedule: tuple[float, ...], now: datetime
) -> int:
    """The messages just taken by an HTTP route await their reports (flushes)."""
    rows = [
        {
            "message_id": s.message_id,
            "route_id": route_id,
            "upstream_id": s.upstream_id,
            "to": s.to,
            "polls": 0,
            "next_poll_at": report_polling.next_poll(now, 0, s.until, schedule) if polled else None,
            "until": s.until,
            "last_word": None,
            "created_at": now,
        }
        for s in sent
    ]
    insert_rows(session, ReportPoll.__table__, rows)
    return len(rows)


@dataclass(frozen=True)
class Claimed:
    message_id: int
    upstream_id: str
    to: str
    polls: int
    until: datetime

    @property
    def awaited(self) -> AwaitedReport:
        return AwaitedReport(self.message_id, self.upstream_id, self.to)


def claim_due(
    session: Session, route_id: int, limit: int, now: datetime, ahead: timedelta = timedelta(0)
) -> list[Claimed]:
    """Lease up to ``limit`` of the route's due rows, oldest question first (commit before asking).
    ``ahead``: rows due that much later are taken too, so that status requests go full rather
    than half-empty (messages asked at slightly different times come due spread out)."""
    due = now + ahead
    chosen = (
        select(ReportPoll.message_id)
        .where(ReportPoll.route_id == route_id, ReportPoll.next_poll_at <= due)
        .order_by(ReportPoll.next_poll_at, ReportPoll.message_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = session.execute(
        update(ReportPoll)
        .where(ReportPoll.message_id.in_(chosen), ReportPoll.next_poll_at <= due)
        .values(next_poll_at=now + LEASE)
        .returning(ReportPoll.message_id, ReportPoll.upstream_id, ReportPoll.to, ReportPoll.polls, ReportPoll.until)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.message_id)


def settle(session: Session, route_id: int, finals: dict[int, Receipt], now: datetime) -> int:
    """Every submitted part of these messages on the route takes its message's final report
    (a part already settled keeps its state: the timeline shows the repeat). Flushes."""
    if not finals:
        return 0
    parts: list[PartSeen] = []
    for start in range(0, len(finals), 1000):
        ids = list(finals)[start : start + 1000]
        parts += [
            PartSeen(*row)
            for row in session.execute(
                select(*PART_SEEN).where(
                    MessagePart.message_id.in_(ids),
                    MessagePart.route_id == route_id,
                    MessagePart.state == "submitted",
                )
            )
        ]
    events = [take_receipt(part, finals[part.message_id], now) for part in parts]
    write_receipts(session, parts, events)
    touched = {p.message_id for p in parts}
    conclude(session, touched)
    return len(touched)


def _receipt(report: PolledReport, upstream_id: str) -> Receipt:
    error = safe_text(report.error_code)[:40] or None if report.error_code else None
    return Receipt(upstream_id, report.stat or safe_text(report.word)[:16], error, safe_text(report.raw))


def record(
    session: Session,
    route_id: int,
    claimed: list[Claimed],
    reports: list[PolledReport],
    now: datetime,
    schedule: tuple[float, ...],
    ahead: timedelta = timedelta(0),
) -> dict[str, int]:
    """Write what the provider said of the claimed messages (a message its answer left out
    counts as asked too). Flushes."""
    by_id = {c.message_id: c for c in claimed}
    said = {r.message_id: r for r in reports if r.message_id in by_id}
    # the provider answered the request but said nothing of these: that counts as asked
    said.update(
        {
            c.message_id: PolledReport(c.message_id, "(not in the answer)", None)
            for c in claimed
            if c.message_id not in said
        }
    )
    finals = {mid: _receipt(r, by_id[mid].upstream_id) for mid, r in said.items() if r.stat is not None}
    settled = settle(session, route_id, finals, now)
    if finals:
        session.execute(delete(ReportPoll).where(ReportPoll.message_id.in_(list(finals))))
    waiting = [
        {
            "message_id": c.message_id,
            "polls": c.polls + 1,
            "next_poll_at": _next(now, c, schedule, ahead),
            "last_word": safe_text(said[c.message_id].word)[:40],
        }
        for c in claimed
        if c.message_id not in finals
    ]
    update_rows(session, ReportPoll.__table__, waiting, key="message_id")
    return {"final": len(finals), "settled": settled, "waiting": len(waiting)}


def _next(now: datetime, claimed: Claimed, schedule: tuple[float, ...], ahead: timedelta) -> datetime | None:
    """The next question; None when it would come within ``ahead`` (the validity's end: the
    last one was just asked)."""
    at = report_polling.next_poll(now, claimed.polls + 1, claimed.until, schedule)
    return None if at is not None and at <= now + ahead else at


def release(session: Session, claimed: list[Claimed], now: datetime, retry_after: float | None) -> None:
    """Claimed rows the provider did not answer for: asked again later, not counted (flushes)."""
    update_rows(
        session,
        ReportPoll.__table__,
        [
            {"message_id": c.message_id, "next_poll_at": report_polling.after_failure(now, c.until, retry_after)}
            for c in claimed
        ],
        key="message_id",
    )


def forget_finished(session: Session, now: datetime) -> int:
    """Rows a day past their message's validity go (the message ended NOREPORT meanwhile)."""
    result = session.execute(delete(ReportPoll).where(ReportPoll.until < now - report_polling.KEEP_AFTER_VALIDITY))
    return int(getattr(result, "rowcount", 0) or 0)


def poll_route(
    session: Session,
    route_id: int,
    route_name: str,
    url: str,
    connector: ReportPoller,
    redis: Redis,
    budget: float = RUN_BUDGET,
    clock: Callable[[], datetime] = utcnow,
) -> dict[str, int]:
    """The polling job's work for one route: wait for the route's status-request budget, lease,
    ask, record, commit; until nothing is due or ``budget`` seconds have gone. One poller per
    route at a time (the others return at once); a failed request ends the run, its messages
    are asked again later (not counted as asked; the route's sending is not marked down)."""
    counts = {"asked": 0, "requests": 0, "final": 0, "settled": 0, "waiting": 0}
    lock = f"{STATS_KEY}:{route_id}:poller"
    if not redis.set(lock, "1", nx=True, ex=int(budget) + 120):
        return {**counts, "busy": 1}
    try:
        return _poll(session, route_id, url, connector, redis, budget, clock, counts)
    finally:
        redis.delete(lock)


def _poll(
    session: Session,
    route_id: int,
    url: str,
    connector: ReportPoller,
    redis: Redis,
    budget: float,
    clock: Callable[[], datetime],
    counts: dict[str, int],
) -> dict[str, int]:
    schedule = schedule_of(url)
    rate = poll_rate(url)
    throttle = RouteThrottle(redis, route_id, 1, scope="poll", rate=rate)
    per_request = getattr(connector, "pairs_per_request", 1)  # messages one status request asks for
    batch = max(1, min(getattr(connector, "poll_batch", 100), per_request * rate.amount))
    requests = -(-batch // per_request)
    # A few seconds early, never more than a quarter of the shortest wait: fuller requests.
    ahead = timedelta(seconds=min(FILL_AHEAD, min(schedule) / 4))
    started = time.monotonic()
    while (left := budget - (time.monotonic() - started)) > 0:
        if not _due_exists(session, route_id, clock() + ahead):
            break
        try:
            throttle.acquire(requests, timeout=left)  # before leasing: nothing waits leased
        except TimeoutError:
            break  # the budget is spent for now; the next job goes on
        now = clock()
        claimed = claim_due(session, route_id, batch, now, ahead)
        session.commit()
        if not claimed:
            break
        try:
            reports = connector.poll_reports([c.awaited for c in claimed])
        except PollFailed as exc:
            answered = {r.message_id for r in exc.reports}
            done = record(
                session,
                route_id,
                [c for c in claimed if c.message_id in answered],
                exc.reports,
                clock(),
                schedule,
                ahead,
            )
            release(session, [c for c in claimed if c.message_id not in answered], clock(), exc.retry_after)
            session.commit()
            _note(redis, route_id, len(claimed), error=str(exc))
            if exc.retry_after:
                throttle.pause(min(exc.retry_after, 300.0))
            counts = {k: counts[k] + done.get(k, 0) for k in counts}
            return {**counts, "failed": 1}
        except Exception:
            session.rollback()
            release(session, claimed, clock(), None)
            session.commit()
            raise
        done = record(session, route_id, claimed, reports, clock(), schedule, ahead)
        session.commit()
        _note(redis, route_id, len(claimed))
        counts = {k: counts[k] + done.get(k, 0) for k in counts}
        counts["asked"] += len(claimed)
        counts["requests"] += -(-len(claimed) // per_request)
    return counts


def _due_exists(session: Session, route_id: int, by: datetime) -> bool:
    return (
        session.scalar(
            select(ReportPoll.message_id).where(ReportPoll.route_id == route_id, ReportPoll.next_poll_at <= by).limit(1)
        )
        is not None
    )


def _note(redis: Redis, route_id: int, asked: int, error: str | None = None) -> None:
    """Figures for the operator console: messages asked per minute, the last error."""
    minute = int(time.time()) // 60
    pipe = redis.pipeline()
    pipe.incrby(f"{STATS_KEY}:{route_id}:{minute}", asked)
    pipe.expire(f"{STATS_KEY}:{route_id}:{minute}", 600)
    if error is not None:
        pipe.set(f"{STATS_KEY}:{route_id}:error", json.dumps({"at": time.time(), "text": error[:300]}), ex=7 * 86400)
    pipe.execute()


@dataclass(frozen=True)
class PollingFigures:
    awaiting: int
    polled: int  # of them still asked about (the others wait for a push or their validity's end)
    oldest: datetime | None
    asked_per_minute: int  # over the last complete minute
    last_error: str | None
    last_error_at: datetime | None


def figures(session: Session, redis: Redis, route_ids: list[int]) -> dict[int, PollingFigures]:
    """Per route: messages awaiting a report, the oldest, polls per minute, the last error."""
    if not route_ids:
        return {}
    rows = {
        row.route_id: row
        for row in session.execute(
            select(
                ReportPoll.route_id,
                func.count().label("awaiting"),
                func.count(ReportPoll.next_poll_at).label("polled"),
                func.min(ReportPoll.created_at).label("oldest"),
            )
            .where(ReportPoll.route_id.in_(route_ids))
            .group_by(ReportPoll.route_id)
        )
    }
    minute = int(time.time()) // 60 - 1
    from datetime import UTC

    out = {}
    for route_id in route_ids:
        row = rows.get(route_id)
        error = cast("bytes | None", redis.get(f"{STATS_KEY}:{route_id}:error"))
        said = json.loads(error) if error else None
        out[route_id] = PollingFigures(
            awaiting=row.awaiting if row else 0,
            polled=row.polled if row else 0,
            oldest=row.oldest if row else None,
            asked_per_minute=int(cast("bytes | None", redis.get(f"{STATS_KEY}:{route_id}:{minute}")) or 0),
            last_error=said["text"] if said else None,
            last_error_at=datetime.fromtimestamp(said["at"], UTC) if said else None,
        )
    return out


def take_push(
    session: Session, route_id: int, upstream_id: str, report: PolledReport | None, to: str | None = None
) -> str:
    """A report the provider pushed: ``settled`` (or ``waiting`` when not final) for the message
    with this id on the route; ``kept`` as an early receipt when none has it yet (flushes)."""
    query = select(ReportPoll).where(ReportPoll.route_id == route_id, ReportPoll.upstream_id == upstream_id)
    rows = [r for r in session.scalars(query) if to is None or r.to.lstrip("+") == to.lstrip("+")]
    now = utcnow()
    if not rows:
        from webapp.services.receipts import apply_receipts

        if report is None or report.stat is None:
            return "ignored"
        apply_receipts(
            session, route_id, [Receipt(upstream_id, report.stat, report.error_code, report.raw, source_addr=to)]
        )
        return "kept"
    if report is None or report.stat is None:
        for row in rows:
            row.last_word = (report.word if report else "")[:40] or None
        return "waiting"
    finals = {row.message_id: Receipt(upstream_id, report.stat, report.error_code, report.raw) for row in rows}
    settle(session, route_id, finals, now)
    session.execute(delete(ReportPoll).where(ReportPoll.message_id.in_(list(finals))))
    return "settled"


def match_early_pushes(session: Session, route_id: int, upstream_ids: list[str]) -> int:
    """Pushed reports kept before their messages' submissions were committed: taken now, each
    once (its kept row is deleted first: a concurrent matcher gets nothing). Flushes."""
    if not upstream_ids:
        return 0
    kept = session.scalars(
        delete(PendingReceipt)
        .where(PendingReceipt.route_id == route_id, PendingReceipt.upstream_id.in_(sorted(set(upstream_ids))))
        .returning(PendingReceipt)
        .execution_options(synchronize_session=False)
    ).all()
    matched = 0
    for receipt in kept:
        report = PolledReport(0, receipt.stat, receipt.stat, receipt.error_code, receipt.raw)
        matched += take_push(session, route_id, receipt.upstream_id, report, receipt.source_addr) == "settled"
    return matched


def match_kept(session: Session, route_id: int, limit: int = 1000) -> int:
    """Pushed reports kept as early receipts (their push raced the submission's commit) whose
    messages now await on the route: settled now, every part (the generic matching of kept
    receipts leaves HTTP routes alone: it settles one part per receipt). Flushes."""
    ids = session.scalars(
        select(PendingReceipt.upstream_id)
        .join(
            ReportPoll,
            (ReportPoll.route_id == PendingReceipt.route_id) & (ReportPoll.upstream_id == PendingReceipt.upstream_id),
        )
        .where(PendingReceipt.route_id == route_id)
        .distinct()
        .limit(limit)
    ).all()
    return match_early_pushes(session, route_id, list(ids)) if ids else 0
