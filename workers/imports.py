"""Import wizard jobs for large files: the review (analysis) and the save, with progress."""
from __future__ import annotations

import hashlib
import json

from rq import Retry, get_current_job

from workers.app import job_context
from workers.queues import queue

RETRY = Retry(max=2, interval=[5, 30])


def progress_key(import_id: int) -> str:
    return f"smsportal:import:{import_id}:progress"


def _run(import_id: int, operation: str) -> dict:
    from webapp.models import Account, ContactImport
    from webapp.services import imports

    redis = get_current_job().connection
    with job_context() as session:
        imp = session.get(ContactImport, import_id)
        if imp is None:
            return {"gone": True}
        if operation == "save" and imp.status == "saved":
            return imp.result  # ran before: nothing to do twice
        region = session.get(Account, imp.account_id).default_region
        try:
            work = imports.analyse if operation == "analyse" else imports.save
            result = work(session, imp, region, progress=lambda rows: redis.set(progress_key(import_id), rows, ex=86400))
            session.commit()
            return result
        except Exception as exc:
            session.rollback()  # a failed save writes nothing
            imp = session.get(ContactImport, import_id)
            imp.status, imp.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            session.commit()
            raise


def analyse_import(import_id: int) -> dict:
    return _run(import_id, "analyse")


def save_import(import_id: int) -> dict:
    return _run(import_id, "save")


def enqueue(redis, import_id: int, operation: str, mapping: dict) -> str:
    """Deterministic ids: the same step with the same choices is one job, however often asked."""
    redis.delete(progress_key(import_id))
    digest = hashlib.sha1(json.dumps(mapping, sort_keys=True).encode()).hexdigest()[:10]
    job_id = f"import-{import_id}-{operation}-{digest}"
    function = analyse_import if operation == "analyse" else save_import
    queue(redis).enqueue(function, import_id, job_id=job_id, retry=RETRY, result_ttl=3600,
                         failure_ttl=7 * 86400, job_timeout=1800)
    return job_id
