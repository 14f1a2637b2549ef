"""Monthly statements: the cron finds the accounts whose last month (in their time zone) is
closed and has no final statement yet, and queues one job per account; each job makes that
statement. Both are safe to run twice: a statement is unique per account and period, and one
made after its period closed is not made again."""

from __future__ import annotations

from datetime import date

from rq import Retry, get_current_job

from webapp.queues import queue
from workers.app import job_context

RETRY = Retry(max=3, interval=[60, 300, 900])


def monthly_statements() -> int:
    """Cron (hourly on the 1st and 2nd, UTC: every time zone's month has ended by then, and a
    missed run is caught up): one job per account due; returns how many were queued."""
    from webapp.services.statements import due_monthly

    with job_context() as session:
        due = due_monthly(session)
    q = queue(get_current_job().connection)
    for account_id, start, end in due:
        q.enqueue(
            make_monthly_statement,
            account_id,
            start.isoformat(),
            end.isoformat(),
            job_id=f"statement-{account_id}-{start.isoformat()}-{end.isoformat()}",
            retry=RETRY,
            result_ttl=86400,
            failure_ttl=30 * 86400,
            job_timeout=600,
        )
    return len(due)


def make_monthly_statement(account_id: int, start: str, end: str) -> int | None:
    """Make one account's statement of a closed month (nothing when it is made already)."""
    from webapp.services.statements import make_monthly

    with job_context() as session:
        statement = make_monthly(session, account_id, date.fromisoformat(start), date.fromisoformat(end))
        session.commit()
        return None if statement is None else statement.id
