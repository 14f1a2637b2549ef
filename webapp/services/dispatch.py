"""Handing accepted messages to the sending workers, and finding them again from the database.

The database is the source of truth; Redis is a cache of work. Accepting commits the
messages first and enqueues afterwards: when Redis cannot take the jobs (down, restarting,
lost its data), the messages are still accepted, and the sweeper (``requeue_stranded``, run
by the cron) queues every message that waits with no live job again, with the same
deterministic job ids, so running it twice or beside a live job sends nothing twice (and a
part that did go out is claimed in the database anyway).

Jobs are enqueued by name (``workers.sending.send_chunk``): the web app does not import the
workers.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from datetime import UTC, datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Retry
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from webapp.domain import lifecycle
from webapp.models import Message, MessagePart
from webapp.models.types import utcnow
from webapp.queues import ALL_QUEUES, queue

log = logging.getLogger(__name__)

CHUNK = 500
SEND_CHUNK = "workers.sending.send_chunk"
RETRY_INTERVALS = [2, 5, 15, 30, 60, 120, 300, 600]


def chunk_job_id(chunk: list[int]) -> str:
    return f"send-{chunk[0]}-{chunk[-1]}-{len(chunk)}"


def enqueue_sending(redis: Redis, message_ids: list[int], at: datetime | None = None, suffix: str = "") -> list[str]:
    """Queue chunks with deterministic ids, now or at ``at`` (RQ's scheduler starts them);
    ``suffix`` tells apart the jobs of messages waiting for their delivery window (the running
    job that hands them back may have their plain id). Raises RedisError when Redis cannot take
    them (see ``hand_to_workers``)."""
    ids = sorted(message_ids)
    job_ids = []
    q = queue(redis)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        job_id = chunk_job_id(chunk) + suffix
        options = dict(
            job_id=job_id,
            retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
        if at is not None and at > datetime.now(UTC):
            q.enqueue_at(at, SEND_CHUNK, chunk, **options)
        else:
            q.enqueue(SEND_CHUNK, chunk, **options)
        job_ids.append(job_id)
    return job_ids


def hand_to_workers(redis: Redis, message_ids: list[int], at: datetime | None = None, suffix: str = "") -> bool:
    """After the commit: enqueue, or leave the messages to the sweeper when Redis cannot take
    them now. The messages are accepted either way (their credit is reserved and they will go
    out); answering an error here would make a client without an Idempotency-Key pay twice."""
    if not message_ids:
        return True
    try:
        enqueue_sending(redis, message_ids, at=at, suffix=suffix)
        return True
    except (RedisError, OSError) as exc:
        log.warning(
            "%d accepted messages not queued now (%s: %s); the sweeper will queue them",
            len(message_ids),
            type(exc).__name__,
            exc,
        )
        return False


def hand_to_workers_when_due(
    redis: Redis, messages: list[tuple[int, datetime | None]], at: datetime | None = None
) -> bool:
    """``hand_to_workers`` for messages some of which wait for their delivery window: each
    (id, not_before) goes at its not_before, grouped by time, the others at ``at`` (now: None)."""
    groups: dict[datetime | None, list[int]] = {}
    for message_id, not_before in messages:
        groups.setdefault(not_before or at, []).append(message_id)
    handed = [
        hand_to_workers(redis, ids, at=when, suffix=f"-w{int(when.timestamp())}" if when and when != at else "")
        for when, ids in groups.items()
    ]
    return all(handed)


def _live_ranges(redis: Redis) -> list[tuple[int, int]]:
    """The message id ranges of send jobs that are waiting, running, or scheduled (a retry
    with backoff, a send_at): their messages have a job and are not stranded."""
    job_ids: list[str] = []
    for name in ALL_QUEUES:
        q = queue(redis, name)
        job_ids += q.get_job_ids()
        job_ids += StartedJobRegistry(queue=q).get_job_ids()
        job_ids += ScheduledJobRegistry(queue=q).get_job_ids()  # type: ignore[no-untyped-call]  # rq leaves its __init__ unannotated
    ranges: list[tuple[int, int]] = []
    for job_id in job_ids:
        job_id = job_id.decode() if isinstance(job_id, bytes) else job_id
        if not job_id.startswith("send-"):
            continue
        try:
            _, first, last = job_id.split("-")[:3]  # send-<first>-<last>-<count>[-w<time>]
            ranges.append((int(first), int(last)))
        except ValueError:
            continue
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return merged


def _covered(message_id: int, ranges: list[tuple[int, int]]) -> bool:
    """Whether a live job's range holds this id (``ranges`` merged and sorted)."""
    at = bisect_right(ranges, (message_id, float("inf"))) - 1
    return at >= 0 and ranges[at][0] <= message_id <= ranges[at][1]


def stranded(session: Session, redis: Redis, older_than: timedelta, limit: int = 20000) -> list[int]:
    """Queued single messages (not a campaign's: its pacer hands those out again) that were due
    ``older_than`` ago, still have a part waiting to be claimed, and no live job covers."""
    now = utcnow()
    ids = session.scalars(
        select(Message.id)
        .where(
            Message.status == lifecycle.QUEUED,
            Message.campaign_id.is_(None),
            Message.queued_at <= now - older_than,
            # waiting for its delivery window is not stranded (its queued_at is then too, anyway)
            or_(Message.not_before.is_(None), Message.not_before <= now - older_than),
            Message.validity_until > now,
            select(MessagePart.id).where(MessagePart.message_id == Message.id, MessagePart.state == "pending").exists(),
        )
        .order_by(Message.id)
        .limit(limit)
    ).all()
    if not ids:
        return []
    ranges = _live_ranges(redis)
    return [i for i in ids if not _covered(i, ranges)]


def requeue_stranded(session: Session, redis: Redis, older_than: timedelta) -> int:
    """Queue again every message that waits with no live job (after Redis lost its data, or an
    enqueue that failed after the commit). Idempotent: deterministic job ids, claims."""
    ids = stranded(session, redis, older_than)
    if ids:
        log.warning("requeueing %d queued messages that had no job (first %d, last %d)", len(ids), ids[0], ids[-1])
        enqueue_sending(redis, ids)
    return len(ids)
