"""Job functions for tests/test_abandoned_jobs.py, run by a real RQ worker (importable by path)."""

from __future__ import annotations

import time

from rq import get_current_job


def nap(seconds: float, key: str) -> str:
    """Count this run in Redis, then sleep: a worker can be killed in the middle."""
    get_current_job().connection.incr(key)
    time.sleep(seconds)
    return "done"
