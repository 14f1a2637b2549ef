"""The Flask app a worker process runs its jobs in: built once per process, on first use."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache


@lru_cache(maxsize=1)
def _app():
    from webapp import create_app

    return create_app()


@contextmanager
def job_context():
    """App context and session for one job; the session is removed afterwards, errors re-raised."""
    from webapp.extensions import db

    with _app().app_context():
        try:
            yield db.session
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
