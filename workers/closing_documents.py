"""Monthly closing documents (contracts): the cron finds the monthly statements of accounts with a
contract whose documents were not e-mailed yet and queues one job each; a job e-mails them and
commits its claim. Both are safe to run twice (one mail per account and month)."""

from __future__ import annotations

from rq import Retry, get_current_job

from webapp.queues import queue
from workers.app import job_context

RETRY = Retry(max=3, interval=[60, 300, 900])


def monthly_closing_documents() -> int:
    """Cron (hourly on the 1st to the 3rd, after the monthly statements): one job per statement due."""
    from webapp.services.closing_documents import due

    with job_context() as session:
        statement_ids = due(session)
    q = queue(get_current_job().connection)
    for statement_id in statement_ids:
        q.enqueue(
            send_closing_documents,
            statement_id,
            job_id=f"closing-documents-{statement_id}",
            retry=RETRY,
            result_ttl=86400,
            failure_ttl=30 * 86400,
            job_timeout=600,
        )
    return len(statement_ids)


def send_closing_documents(statement_id: int) -> bool:
    from flask import current_app

    from webapp.services.closing_documents import send

    with job_context() as session, current_app.test_request_context():  # the PDFs' templates want a request
        sent = send(session, statement_id, current_app.config["SETTINGS"])
        session.commit()
        return sent
