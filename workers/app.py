"""The Flask app a worker process runs its jobs in: built once per process, on first use."""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache


@lru_cache(maxsize=1)
def _app():
    from webapp import create_app
    from webapp.connectors.smpp_receipts import set_receipt_sink, set_reply_sink

    app = create_app()
    set_receipt_sink(store_receipts)
    set_reply_sink(store_replies)
    return app


def store_receipts(route_id: int, receipts) -> None:
    """Where SMPP binds of this process put the receipts they receive (from their reader
    thread): stored, matched and settled in one transaction before they are acknowledged."""
    from webapp.services.receipts import apply_receipts

    with job_context() as session:
        apply_receipts(session, route_id, receipts, settings().receipt_match_days)
        session.commit()


def store_replies(route_id: int, replies) -> None:
    """Where SMPP binds of this process put the replies (MO) they receive: stored in one
    transaction (services/inbound.py) before they are acknowledged."""
    from datetime import timedelta

    from webapp.services import inbound

    with job_context() as session:
        taken = inbound.take(session, route_id, replies, window=timedelta(days=settings().reply_window_days))
        session.commit()
    if taken.to_send:  # HELP answers, STOP confirmations
        from webapp.redis_client import get_redis
        from webapp.services.dispatch import hand_to_workers

        with _app().app_context():
            hand_to_workers(get_redis(), taken.to_send)


def settings():
    """The worker's typed settings (read from the environment when its app was built)."""
    return _app().config["SETTINGS"]


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
