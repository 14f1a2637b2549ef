"""Campaign jobs: the expansion (with progress), and the tick that hands messages to the
senders at the campaign's speed, once a second, until nothing is left."""
from __future__ import annotations

import time
from datetime import UTC, datetime

from rq import Retry, get_current_job
from sqlalchemy import select, update

from webapp.queues import CAMPAIGNS, queue
from webapp.services.background_jobs import campaign_progress_key as progress_key
from webapp.services.background_jobs import schedule_tick
from workers.app import job_context

RETRY = Retry(max=5, interval=[2, 5, 15, 30, 60])
UNLIMITED_WINDOW = 5000       # messages handed out per tick at "as fast as possible"
BACKLOG = 40                  # campaign chunks waiting in the queue before a tick holds back
CHUNK = 200
REDISPATCH_AFTER = 20.0       # seconds: queued messages behind the cursor are handed out again


def _exhausted_key(campaign_id: int) -> str:
    return f"smsportal:campaign:{campaign_id}:exhausted"


def expand_campaign(campaign_id: int, token: str = "") -> dict:
    """Render, check, price and store the recipients as drafts; the summary follows."""
    from flask import current_app

    from webapp.domain import campaigns as rules
    from webapp.models import Campaign
    from webapp.services.campaign_expansion import Abandoned, expand

    redis = get_current_job().connection
    with job_context() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or campaign.status != rules.PREPARING or campaign.expansion_token != token:
            return {"skipped": True}  # ran before, or the customer went back (and maybe prepared again)
        try:
            summary = expand(session, campaign, token=token,
                             progress=lambda rows: redis.set(progress_key(campaign_id), rows, ex=86400),
                             max_parts=current_app.config["SETTINGS"].max_parts_per_message)
            session.commit()
            _refresh_statistics(session)
            return {"rows": summary["rows"]}
        except Abandoned:
            session.rollback()  # the customer went back to change something: nothing to keep
            return {"abandoned": True}
        except Exception as exc:
            session.rollback()  # no half-prepared campaign: the drafts go with the transaction
            session.execute(update(Campaign).where(Campaign.id == campaign_id, Campaign.status == rules.PREPARING,
                                                   Campaign.expansion_token == token)
                            .values(status=rules.DRAFT, error=f"{type(exc).__name__}: {exc}"[:2000]))
            session.commit()
            raise


def _refresh_statistics(session) -> None:
    """Tens of thousands of new rows at once: without fresh statistics PostgreSQL reads the
    whole parts table for every chunk until autovacuum gets round to it (measured: 701 against
    841 messages/s for a 100,000-recipient campaign)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE messages, message_parts"))
        session.commit()


def send_campaign_chunk(campaign_id: int, message_ids: list[int]) -> dict:
    """Submit these messages while the campaign is sending; a pause or cancel stops it at the
    next batch. Safe to run twice: claimed parts are never sent again."""
    from flask import current_app

    from webapp.domain import campaigns as rules
    from webapp.models import Campaign
    from webapp.services.delivery import submit_messages

    with job_context() as session:
        def sending() -> bool:
            return session.scalar(select(Campaign.status).where(Campaign.id == campaign_id)) == rules.SENDING

        if not sending():
            return {"stopped": len(message_ids)}
        batch = current_app.config["SETTINGS"].submit_batch_parts  # a pause waits for one batch at most
        return submit_messages(session, message_ids, get_current_job().connection, batch_parts=batch,
                               should_continue=sending)


def campaign_tick(campaign_id: int) -> dict:
    """Hand the next messages to the senders: at N/s the number due since the pacing began,
    at 0 (unlimited) a window at a time. Then tick again in a second, until done."""
    redis = get_current_job().connection
    lock = redis.lock(f"smsportal:campaign:{campaign_id}:tick", timeout=60, blocking=False)
    if not lock.acquire():
        return {"busy": True}  # another tick is at it: one pacer per campaign
    try:
        result = _tick(redis, campaign_id)
    finally:
        lock.release()
    if result.get("again"):
        schedule_tick(redis, campaign_id, delay=result.get("delay", 1))
    return result


def _tick(redis, campaign_id: int) -> dict:
    from webapp.domain import campaigns as rules
    from webapp.domain import lifecycle
    from webapp.models import Campaign, Message
    from webapp.services import campaigns

    with job_context() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            return {}
        redis.set(f"smsportal:campaign:{campaign_id}:ticked", time.time(), ex=3600)
        if campaign.status == rules.SCHEDULED:
            early = (campaign.send_at - datetime.now(UTC)).total_seconds()
            if early > 0:  # RQ's scheduler works in whole seconds: come back right on time
                return {"status": campaign.status, "again": early < 120, "delay": max(early, 0.1)}
            campaigns.start_scheduled(session, campaign)
            session.commit()
        if campaign.status != rules.SENDING:
            return {"status": campaign.status}
        now = time.time()
        campaign_queue = queue(redis, CAMPAIGNS)
        if campaign_queue.count >= BACKLOG:
            allowance = 0  # the senders are behind: handing out more would only make a burst later
        elif campaign.speed > 0:
            allowance = rules.paced_allowance(campaign.speed, campaign.paced_from or now, now, campaign.dispatched)
        else:
            allowance = UNLIMITED_WINDOW
        ids = list(session.scalars(select(Message.id).where(
            Message.campaign_id == campaign.id, Message.status == lifecycle.QUEUED, Message.id > campaign.cursor_id)
            .order_by(Message.id).limit(allowance))) if allowance else []
        if ids:
            size = CHUNK if campaign.speed <= 0 else max(1, min(CHUNK, campaign.speed))
            for start in range(0, len(ids), size):
                chunk = ids[start:start + size]
                campaign_queue.enqueue(send_campaign_chunk, campaign.id, chunk,
                                       job_id=f"campaign-{campaign.id}-{campaign.generation}-{chunk[0]}-{chunk[-1]}",
                                       retry=RETRY, result_ttl=600, failure_ttl=7 * 86400)
            campaign.cursor_id, campaign.dispatched = ids[-1], campaign.dispatched + len(ids)
            redis.delete(_exhausted_key(campaign_id))
        elif allowance:
            # Nothing new behind the cursor: done, or the last chunks are still on their way.
            if campaigns.finish_if_done(session, campaign):
                session.commit()
                campaigns.delete_file(campaign)
                return {"completed": True}
            since = redis.get(_exhausted_key(campaign_id))
            if since is None:
                redis.set(_exhausted_key(campaign_id), now, ex=3600)
            elif now - float(since) > REDISPATCH_AFTER and campaign_queue.count == 0:
                campaign.cursor_id = 0  # a chunk was lost (worker killed): hand its messages out again
                redis.delete(_exhausted_key(campaign_id))
        session.commit()
        return {"dispatched": len(ids), "again": True}


def watch_campaigns() -> list[int]:
    """Cron: a sending campaign whose ticks stopped (a worker died mid-tick) gets one again,
    a scheduled one whose time has come is started even if its scheduled job was lost, and
    messages of cancelled campaigns that came back to the queue are released."""
    from webapp.domain import campaigns as rules
    from webapp.models import Campaign
    from webapp.services import campaigns

    redis = get_current_job().connection
    now = datetime.now(UTC)
    with job_context() as session:
        rows = session.execute(select(Campaign.id, Campaign.status, Campaign.send_at).where(
            Campaign.status.in_([rules.SENDING, rules.SCHEDULED]))).all()
        campaigns.sweep_cancelled(session)
        session.commit()
    woken = []
    for campaign_id, status, send_at in rows:
        ticked = redis.get(f"smsportal:campaign:{campaign_id}:ticked")
        stale = ticked is None or time.time() - float(ticked) > 15
        if (status == rules.SENDING and stale) or (status == rules.SCHEDULED and send_at <= now and stale):
            schedule_tick(redis, campaign_id)
            woken.append(campaign_id)
    return woken
