"""A campaign's tick (workers/campaigns.py runs it once a second, one at a time per campaign):
start a scheduled campaign whose time came, hand the next queued messages to the senders in
chunk jobs at the campaign's speed, complete it once nothing waits, and hand out again what a
lost chunk held. The decisions are webapp/domain/campaign_pacing.py.

A tick is a unit of work of its own: it commits where it must (the start before sending, the
completion before the file is deleted), not its caller."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TypedDict, cast

from redis import Redis
from rq import Queue, Retry
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from webapp.domain import campaign_pacing as pacing
from webapp.domain import campaigns as rules
from webapp.domain import lifecycle
from webapp.models import Campaign, Message
from webapp.queues import CAMPAIGNS, queue
from webapp.services import campaign_runs

SEND_CAMPAIGN_CHUNK = "workers.campaigns.send_campaign_chunk"  # by name: the web app never imports the workers
CHUNK_RETRY = Retry(max=5, interval=[2, 5, 15, 30, 60])


class TickResult(TypedDict, total=False):
    """What a tick did (the job's result); ``again``: tick again in ``delay`` (default 1) seconds."""

    status: str
    again: bool
    delay: float
    dispatched: int
    completed: bool


def ticked_key(campaign_id: int) -> str:
    """When the campaign last ticked (the cron wakes a campaign whose ticks stopped)."""
    return f"smsportal:campaign:{campaign_id}:ticked"


def exhausted_key(campaign_id: int) -> str:
    """Since when nothing new was left behind the cursor."""
    return f"smsportal:campaign:{campaign_id}:exhausted"


def tick(session: Session, redis: Redis, campaign_id: int) -> TickResult:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return {}
    redis.set(ticked_key(campaign_id), time.time(), ex=3600)
    if campaign.status == rules.SCHEDULED:
        early = pacing.early(campaign.send_at, datetime.now(UTC))
        if early is not None:
            return {"status": campaign.status, "again": early.again, "delay": early.delay}
        campaign_runs.start_scheduled(session, campaign)
        session.commit()
    if campaign.status != rules.SENDING:
        return {"status": campaign.status}
    return _release(session, redis, campaign)


def _release(session: Session, redis: Redis, campaign: Campaign) -> TickResult:
    """Hand out what this tick allows; none left behind the cursor: done, or waiting for the
    last chunks (or for a lost one to be noticed)."""
    now = time.time()
    moment = datetime.fromtimestamp(now, UTC)
    campaign_queue = queue(redis, CAMPAIGNS)
    allowance = pacing.allowance(campaign.speed, campaign.paced_from, now, campaign.dispatched, campaign_queue.count)
    ids = (
        list(
            session.scalars(
                select(Message.id)
                .where(
                    Message.campaign_id == campaign.id,
                    Message.status == lifecycle.QUEUED,
                    Message.id > campaign.cursor_id,
                    # not while waiting for its delivery window
                    or_(Message.not_before.is_(None), Message.not_before <= moment),
                )
                .order_by(Message.id)
                .limit(allowance)
            )
        )
        if allowance
        else []
    )
    if ids:
        _hand_out(redis, campaign_queue, campaign, ids)
    elif allowance:
        if campaign_runs.finish_if_done(session, campaign):
            session.commit()
            campaign_runs.delete_file(campaign)
            return {"completed": True}
        if _window_opened(session, campaign, moment):
            _pace_again(redis, campaign, now)
        else:
            _exhausted(redis, campaign_queue, campaign, now)
            opening = _next_opening(session, campaign, moment)
            if opening is not None:  # all that is left waits: tick less often (the cron wakes after 15 s)
                session.commit()
                return {"dispatched": 0, "again": True, "delay": min(max(opening, 1.0), 10.0)}
    session.commit()
    return {"dispatched": len(ids), "again": True}


def _window_opened(session: Session, campaign: Campaign, moment: datetime) -> bool:
    """Messages behind the cursor whose delivery window opened since this round of pacing began
    (the cursor went past them while they waited)."""
    began = datetime.fromtimestamp(campaign.paced_from or 0, UTC)
    return (
        session.scalar(
            select(Message.id)
            .where(
                Message.campaign_id == campaign.id,
                Message.status == lifecycle.QUEUED,
                Message.id <= campaign.cursor_id,
                Message.not_before > began,
                Message.not_before <= moment,
            )
            .limit(1)
        )
        is not None
    )


def _pace_again(redis: Redis, campaign: Campaign, now: float) -> None:
    """A new round from the start at the campaign's speed: what the window let go now goes,
    paced from now (not in one burst for the hours it waited)."""
    campaign.cursor_id, campaign.paced_from, campaign.dispatched = 0, now, 0
    redis.delete(exhausted_key(campaign.id))


def _next_opening(session: Session, campaign: Campaign, moment: datetime) -> float | None:
    """Seconds until the next of the campaign's waiting messages may go (None: none waits)."""
    opening = session.scalar(
        select(func.min(Message.not_before)).where(
            Message.campaign_id == campaign.id, Message.status == lifecycle.QUEUED, Message.not_before > moment
        )
    )
    if opening is None:
        return None
    if opening.tzinfo is None:
        opening = opening.replace(tzinfo=UTC)
    return (opening - moment).total_seconds()


def _hand_out(redis: Redis, campaign_queue: Queue, campaign: Campaign, ids: list[int]) -> None:
    for chunk in pacing.chunks(ids, campaign.speed):
        campaign_queue.enqueue(
            SEND_CAMPAIGN_CHUNK,
            campaign.id,
            chunk,
            job_id=pacing.chunk_job_id(campaign.id, campaign.generation, chunk),
            retry=CHUNK_RETRY,
            result_ttl=600,
            failure_ttl=7 * 86400,
        )
    campaign.cursor_id, campaign.dispatched = ids[-1], campaign.dispatched + len(ids)
    redis.delete(exhausted_key(campaign.id))


def _exhausted(redis: Redis, campaign_queue: Queue, campaign: Campaign, now: float) -> None:
    since = cast("bytes | None", redis.get(exhausted_key(campaign.id)))
    decision = pacing.when_exhausted(None if since is None else float(since), now, campaign_queue.count)
    if decision == pacing.MARK:
        redis.set(exhausted_key(campaign.id), now, ex=3600)
    elif decision == pacing.REDISPATCH:
        campaign.cursor_id = 0  # a chunk was lost (worker killed): hand its messages out again
        redis.delete(exhausted_key(campaign.id))
