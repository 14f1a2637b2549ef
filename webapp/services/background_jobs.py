"""What the web asks the workers to do besides sending (webapp/services/dispatch.py): prepare a
campaign, pace it, review and save a large import, with the Redis keys their progress is kept in.

Jobs are enqueued by name (``workers.campaigns.expand_campaign``): the web app never imports the
workers, the workers import this module. Job ids are deterministic, so asking twice is one job."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import Redis
from rq import Retry

from webapp.queues import queue

EXPAND_CAMPAIGN = "workers.campaigns.expand_campaign"
CAMPAIGN_TICK = "workers.campaigns.campaign_tick"
ANALYSE_IMPORT = "workers.imports.analyse_import"
SAVE_IMPORT = "workers.imports.save_import"
IMPORT_RETRY = Retry(max=2, interval=[5, 30])


def campaign_progress_key(campaign_id: int) -> str:
    """Rows of a campaign's file prepared so far (the wizard's progress bar)."""
    return f"smsportal:campaign:{campaign_id}:progress"


def import_progress_key(import_id: int) -> str:
    """Rows of an import reviewed or saved so far."""
    return f"smsportal:import:{import_id}:progress"


def enqueue_expansion(redis: Redis, campaign_id: int, token: str) -> str:
    redis.delete(campaign_progress_key(campaign_id))
    job_id = f"campaign-{campaign_id}-expand-{token}"
    queue(redis).enqueue(
        EXPAND_CAMPAIGN,
        campaign_id,
        token,
        job_id=job_id,
        retry=Retry(max=2, interval=[5, 30]),
        result_ttl=3600,
        failure_ttl=7 * 86400,
        job_timeout=3600,
    )
    return job_id


def schedule_tick(redis: Redis, campaign_id: int, delay: float = 0, at: datetime | None = None) -> str:
    """A campaign's next tick: now, in ``delay`` seconds, or at ``at`` (a scheduled start; RQ's
    scheduler keeps it in Redis, so a worker restart does not lose it)."""
    q = queue(redis)
    if at is not None and at > datetime.now(UTC):
        job_id = f"campaign-{campaign_id}-start-{int(at.timestamp())}"
        q.enqueue_at(at, CAMPAIGN_TICK, campaign_id, job_id=job_id, result_ttl=600)
        return job_id
    when = time.time() + delay
    job_id = f"campaign-{campaign_id}-tick-{int(when * 2)}"
    if delay > 0:
        q.enqueue_in(timedelta(seconds=delay), CAMPAIGN_TICK, campaign_id, job_id=job_id, result_ttl=60)
    else:
        q.enqueue(CAMPAIGN_TICK, campaign_id, job_id=job_id, result_ttl=60)
    return job_id


def enqueue_import(redis: Redis, import_id: int, operation: str, mapping: dict[str, Any]) -> str:
    """The same step with the same choices is one job, however often asked."""
    redis.delete(import_progress_key(import_id))
    digest = hashlib.sha1(json.dumps(mapping, sort_keys=True).encode()).hexdigest()[:10]
    job_id = f"import-{import_id}-{operation}-{digest}"
    queue(redis).enqueue(
        ANALYSE_IMPORT if operation == "analyse" else SAVE_IMPORT,
        import_id,
        job_id=job_id,
        retry=IMPORT_RETRY,
        result_ttl=3600,
        failure_ttl=7 * 86400,
        job_timeout=1800,
    )
    return job_id
