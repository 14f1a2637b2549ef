"""Periodic jobs that keep the platform observable."""
from __future__ import annotations

from datetime import datetime, timezone

from rq import get_current_job

from webapp.services.health import CRON_TICK_KEY


def cron_tick() -> str:
    """Record that the cron process and a worker are alive (read by /healthz)."""
    now = datetime.now(timezone.utc).isoformat()
    get_current_job().connection.set(CRON_TICK_KEY, now, ex=24 * 3600)
    return now
