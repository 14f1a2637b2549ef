"""Periodic jobs that keep the platform observable."""

from __future__ import annotations

from datetime import UTC, datetime

from rq import get_current_job

from webapp.services.health import CRON_TICK_KEY
from workers.app import job_context


def forget_old_sign_ins() -> int:
    """Cron: sign-ins that ended or expired over 30 days ago are deleted."""
    from webapp.services.login_sessions import forget_old

    with job_context() as session:
        count = forget_old(session)
        session.commit()
        return count


def forget_stale_reply_segments() -> int:
    """Cron: segments of long replies that never came whole, kept a day (services/inbound.py)."""
    from webapp.services.inbound import forget_stale_segments

    with job_context() as session:
        count = forget_stale_segments(session)
        session.commit()
        return count


def compact_report_tallies() -> int:
    """Cron: add the report tallies' changes up (PostgreSQL; services/report_tallies.py).
    Reports are exact without it; it keeps the changes table, and so the reports, small."""
    from webapp.services import report_tallies

    with job_context() as session:
        if not report_tallies.tallied(session):
            return 0
        moved = report_tallies.compact(session)
        session.commit()
        return moved


def cron_tick() -> str:
    """Record that the cron process and a worker are alive (read by /healthz)."""
    now = datetime.now(UTC).isoformat()
    get_current_job().connection.set(CRON_TICK_KEY, now, ex=24 * 3600)
    return now
