"""Export jobs: a large export of a report, written to a file the account downloads later
(webapp/services/exports_jobs.py), and the cron's clean-up of old exports."""

from __future__ import annotations

from rq import get_current_job

from webapp.services.exports_jobs import progress_key
from workers.app import job_context, settings


def make_export(account_id: int, export_id: str) -> dict | None:
    """Write one export (safe to run twice: a made export is not made again)."""
    from webapp.services import exports_jobs, invoices

    job = get_current_job()
    redis = job.connection

    def progress(rows: int) -> None:
        redis.set(progress_key(export_id), rows, ex=86400)

    with job_context() as session:
        export = exports_jobs.make(
            session,
            settings().upload_dir,
            account_id,
            export_id,
            progress,
            {"seller": invoices.seller(settings())},
            last_try=not job.retries_left,
        )
        session.rollback()  # it only read
        return None if export is None else {"state": export.state, "rows": export.rows}


def remove_old_exports() -> int:
    """Cron (hourly): exports older than EXPORT_KEEP_DAYS days are deleted."""
    from webapp.services.exports_jobs import remove_old

    return remove_old(settings().upload_dir, settings().export_keep_days)
