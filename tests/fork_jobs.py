"""Job functions for tests/test_fork_safety.py, run by a real RQ worker (importable by its path)."""

from __future__ import annotations

import multiprocessing
import os
import time

from sqlalchemy import text

STATE_KEY = "test:fork-safety:state"


def _sleep_forever(seconds: float) -> None:  # the forked child: sits there like RQ's scheduler
    time.sleep(seconds)


def hold_account_lock(account_id: int, seconds: float) -> None:
    """Open a transaction holding the account's row lock, fork a child (as the worker forks its
    scheduler), tell the test who is who, then sleep with the transaction open."""
    from rq import get_current_job

    from workers.app import job_context

    redis = get_current_job().connection
    with job_context() as session:
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        session.execute(text("SELECT id FROM accounts WHERE id = :id FOR UPDATE"), {"id": account_id})
        child = multiprocessing.get_context("fork").Process(target=_sleep_forever, args=(seconds,), daemon=False)
        child.start()
        redis.hset(STATE_KEY, mapping={"worker": os.getpid(), "child": child.pid, "backend": backend})
        time.sleep(seconds)
        session.rollback()
