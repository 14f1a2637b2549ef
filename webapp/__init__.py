"""The bulk-SMS platform's web application (application factory)."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

from webapp import log_format
from webapp.settings import INSTANCE_DIR, PROJECT_ROOT, Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "jinja"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.sqlalchemy_database_uri,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=timedelta(days=settings.remember_me_days),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        # The cookie is written only when the session changes: a request that only reads it (the
        # live part counter, a polling fragment) cannot overwrite a flash message set meanwhile.
        # The sign-in's own lifetime is kept on the server (webapp/services/login_sessions.py).
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        BABEL_DEFAULT_LOCALE=settings.default_language,
        BABEL_DEFAULT_TIMEZONE="UTC",
        BABEL_TRANSLATION_DIRECTORIES=str(PROJECT_ROOT / "webapp" / "translations"),
        MAX_CONTENT_LENGTH=settings.upload_max_mb * 1024 * 1024 + 64 * 1024,  # the file and the form around it
    )
    if settings.is_sqlite:
        INSTANCE_DIR.mkdir(exist_ok=True)
    log_format.configure(settings.log_format)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from webapp import models  # noqa: F401  (registers the tables for Alembic)
    from webapp.extensions import csrf, db, htmx, login_manager, migrate
    from webapp.i18n import init_i18n

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    htmx.init_app(app)
    init_i18n(app)

    from webapp.blueprints import register_blueprints

    register_blueprints(app)
    # After the blueprints' guard: who may open a page is decided before the form's token is
    # checked (a stranger's POST is sent to sign in or refused, not told its token is missing).
    csrf.init_app(app)
    login_manager.init_app(app)

    from webapp.cli import register_cli

    register_cli(app)
    if settings.is_sqlite:
        _sqlite_pragmas(app)
    _fork_safe_engines(app)
    return app


def _engine_options(settings: Settings) -> dict:
    if settings.is_sqlite:
        return {}
    # Second guard against a lock left behind (the first: forked children drop the connections
    # they inherit): PostgreSQL ends a transaction left idle, and a statement waits for a row
    # lock only so long (0 = no limit), instead of hanging every later send of the account.
    options = (
        f"-c idle_in_transaction_session_timeout={settings.db_idle_in_transaction_seconds * 1000}"
        f" -c lock_timeout={settings.db_lock_timeout_seconds * 1000}"
    )
    return {"pool_pre_ping": True, "connect_args": {"options": options}}


def _fork_safe_engines(app: Flask) -> None:
    from webapp.extensions import db, make_fork_safe

    with app.app_context():
        for engine in db.engines.values():
            make_fork_safe(engine)


def _sqlite_pragmas(app: Flask) -> None:
    from sqlalchemy import event

    from webapp.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()
