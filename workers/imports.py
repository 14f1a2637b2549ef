"""Import wizard jobs for large files: the review (analysis) and the save, with progress."""

from __future__ import annotations

from rq import get_current_job

from webapp.services.background_jobs import import_progress_key as progress_key
from workers.app import job_context


def _run(import_id: int, operation: str) -> dict:
    from webapp.models import Account, ContactImport
    from webapp.services import import_rows

    redis = get_current_job().connection
    with job_context() as session:
        imp = session.get(ContactImport, import_id)
        if imp is None:
            return {"gone": True}
        if operation == "save" and imp.status == "saved":
            return imp.result  # ran before: nothing to do twice
        region = session.get(Account, imp.account_id).default_region
        try:
            work = import_rows.analyse if operation == "analyse" else import_rows.save
            result = work(
                session, imp, region, progress=lambda rows: redis.set(progress_key(import_id), rows, ex=86400)
            )
            session.commit()
            return result
        except Exception as exc:
            session.rollback()  # a failed save writes nothing
            imp = session.get(ContactImport, import_id)
            imp.status, imp.error = "failed", _failure(session, imp, exc)[:2000]
            session.commit()
            raise


def _failure(session, imp, exc: Exception) -> str:
    """What the wizard shows of a failed job: the customer's file said plainly, in the language of
    the user who started the import (an unreadable row, a file over a limit), or our own error."""
    from flask_babel import force_locale

    from webapp.domain.texts import TextError
    from webapp.i18n import translate
    from webapp.models import User

    if not isinstance(exc, TextError):
        return f"{type(exc).__name__}: {exc}"
    user = session.get(User, imp.user_id)
    with force_locale(user.language if user is not None and user.language else "en"):
        return translate(exc.text)


def analyse_import(import_id: int) -> dict:
    return _run(import_id, "analyse")


def save_import(import_id: int) -> dict:
    return _run(import_id, "save")
