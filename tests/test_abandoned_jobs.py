"""A job whose worker was killed (SIGKILL) is handed back within seconds by the cron's
reaper, not after RQ's own abandoned-job window (the job timeout plus minutes), and a live
worker's job is left alone."""

import os
import signal

import pytest
from rq import Retry
from rq.registry import StartedJobRegistry

from tests.conftest import wait_for
from webapp.queues import queue
from webapp.redis_client import get_redis
from webapp.runner import worker_command
from workers.abandoned import reap_abandoned_jobs

pytestmark = pytest.mark.pipeline


def test_a_killed_workers_job_is_retried_at_once_and_a_live_ones_is_not(app, processes, redis_url):
    with app.app_context():
        redis = get_redis()
        q = queue(redis)
        job = q.enqueue("tests.reaper_jobs.nap", 3.0, "test:naps", job_id="nap-1", retry=Retry(max=2), job_timeout=600)
        registry = StartedJobRegistry(queue=q)
        worker = processes(worker_command(redis_url))
        # Started, and inside the job (RQ registers it as started a moment before it calls it).
        wait_for(
            lambda: registry.get_job_ids(cleanup=False) == ["nap-1"] and redis.get("test:naps") == b"1",
            timeout=30,
            interval=0.05,
        )
        assert reap_abandoned_jobs(redis, stale_after=45) == []  # its worker is alive: left alone
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        # RQ's own window would be the 600 s timeout plus two minutes; ours is the heartbeat's age.
        assert reap_abandoned_jobs(redis, stale_after=45) == []  # just killed: its last beat is recent
        assert reap_abandoned_jobs(redis, stale_after=0) == ["nap-1"]
        assert registry.get_job_ids(cleanup=False) == []
        job.refresh()
        assert job.get_status() == "queued" and job.retries_left == 1
        processes(worker_command(redis_url))
        wait_for(lambda: job.refresh() or job.get_status() == "finished", timeout=30)
        assert int(redis.get("test:naps")) == 2
        assert reap_abandoned_jobs(redis, stale_after=0) == []  # nothing left to reap
