"""Jobs whose worker died while running them are handed back at once, not minutes later.

RQ notices an abandoned job only when its entry in the started registry expires: for a
worker that runs jobs in its own process that is the job's timeout plus two minutes, and the
check runs with the worker's maintenance (every 10 minutes by default). A sending job of a
worker killed mid-batch would keep its messages from every other worker (and from the
sweeper, which counts started jobs as live) for up to a quarter of an hour.

Here the cron asks, every few seconds, which worker runs each started job. A job whose worker
has not been seen for ``stale_after`` seconds (our workers beat every 10 s, also during a
long job: workers/worker.py) is marked expired and RQ's own clean-up handles it as abandoned:
retried with its backoff while it has retries left, failed otherwise. Safe to run twice and
beside RQ's own clean-up: the job is claimed in the database anyway (a part is never sent
twice).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from rq.registry import StartedJobRegistry
from rq.utils import parse_composite_key

from webapp.queues import ALL_QUEUES, queue

log = logging.getLogger(__name__)


def _alive_workers(redis, stale_after: float) -> set[str]:
    """Names of the workers whose last heartbeat is recent (on any machine)."""
    from rq import Worker

    now = datetime.now(UTC)
    alive = set()
    for worker in Worker.all(connection=redis):
        beat = worker.last_heartbeat
        if beat is None:
            continue
        beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
        if (now - beat).total_seconds() <= stale_after:
            alive.add(worker.name)
    return alive


def reap_abandoned_jobs(redis, stale_after: float = 45.0) -> list[str]:
    """Hand back the started jobs of dead workers; returns their ids."""
    alive = _alive_workers(redis, stale_after)
    reaped: list[str] = []
    for name in ALL_QUEUES:
        registry = StartedJobRegistry(queue=queue(redis, name))
        dead = []
        for entry in redis.zrange(registry.key, 0, -1):
            composite = entry.decode() if isinstance(entry, bytes) else entry
            job_id, execution_id = parse_composite_key(composite)
            worker_name = redis.hget(f"rq:execution:{job_id}:{execution_id}", "worker_name") or redis.hget(
                f"rq:job:{job_id}", "worker_name"
            )
            worker_name = worker_name.decode() if isinstance(worker_name, bytes) else worker_name
            if not worker_name or worker_name in alive:
                continue  # alive, or nothing says whose it is: RQ's own clean-up decides
            dead.append(composite)
            reaped.append(job_id)
        if dead:
            # Expired now: RQ's clean-up retries it (with its backoff) or fails it, as for any abandoned job.
            redis.zadd(registry.key, {composite: 0 for composite in dead})
            registry.cleanup()
            log.warning("%s: %d jobs of dead workers handed back: %s", name, len(dead), ", ".join(reaped[-len(dead) :]))
    return reaped


def reap_abandoned() -> list[str]:
    """Cron (every 15 s): started jobs of workers not seen for 45 s are retried now."""
    from rq import get_current_job

    return reap_abandoned_jobs(get_current_job().connection)
