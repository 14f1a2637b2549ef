"""A forked child never uses, nor keeps alive, its parent's database connections or SMPP binds
(issue #14, finding 2): a worker killed mid-transaction leaves no lock behind."""

from __future__ import annotations

import os
import signal
import socket
import stat
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from tests.conftest import wait_for
from webapp.extensions import db

PG_ONLY = "PostgreSQL only: set TEST_DATABASE_URL=postgresql://… (SQLite has no server-side session to keep alive)"


def _is_pg(database_url: str) -> bool:
    return database_url.startswith("postgres")


def _in_child(check) -> int:
    """Fork; run check() in the child; its exit code (0 = passed) is returned to the parent."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            code = 0 if check() else 3
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_forked_child_gets_a_fresh_pool(app):
    with app.app_context():
        engine = db.engine
        parent_pool = engine.pool
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert _in_child(lambda: engine.pool is not parent_pool) == 0
        assert engine.pool is parent_pool  # the parent keeps its own


def test_a_forked_child_holds_no_live_inherited_db_socket(app, database_url):
    if not _is_pg(database_url):
        pytest.skip(PG_ONLY)
    with app.app_context():
        engine = db.engine
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # a transaction is open, as in a job mid-batch
            dbapi = conn.connection.dbapi_connection
            fd = dbapi.pgconn.socket
            backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()

            def child_check():
                mode = os.fstat(fd).st_mode
                if stat.S_ISSOCK(mode):
                    return False  # the child still holds the parent's socket
                # Whatever the child does with the old object now reaches /dev/null, not the
                # parent's session: not the Terminate of close(), nor a ROLLBACK.
                dbapi.close()
                return stat.S_ISCHR(mode)

            assert _in_child(child_check) == 0
            # The parent's session and its transaction survived the child's close().
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == backend
            conn.rollback()


def test_a_forked_child_forgets_smpp_binds_without_unbinding(app):
    """The child's copy of a bind socket is closed (no unbind sent), so only the parent keeps it."""
    from webapp.connectors import smpp

    ours, smsc = socket.socketpair()
    client = SimpleNamespace(_socket=ours, state="BOUND_TRX")
    link = SimpleNamespace(alive=True, client=client)
    smpp._sessions[999] = SimpleNamespace(_lock=None, links=[link])
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            ok = not smpp._sessions and client._socket is None and not link.alive
            os.write(write_end, b"1" if ok else b"0")
            time.sleep(3)  # still alive while the parent looks
            os._exit(0)
        assert os.read(read_end, 1) == b"1"
        ours.close()  # the parent lets go: the SMSC sees the close although the child lives on
        smsc.settimeout(2)
        assert smsc.recv(100) == b""  # EOF, and no unbind PDU before it
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    finally:
        smpp._sessions.pop(999, None)
        smsc.close()
        os.close(read_end)
        os.close(write_end)


def test_engine_options_guard_idle_transactions_and_lock_waits(app, database_url):
    if not _is_pg(database_url):
        pytest.skip(PG_ONLY)
    settings = app.config["SETTINGS"]
    with app.app_context(), db.engine.connect() as conn:
        idle = conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar_one()
        lock = conn.execute(text("SHOW lock_timeout")).scalar_one()
    assert (
        idle == f"{settings.db_idle_in_transaction_seconds}s"
        or idle == f"{settings.db_idle_in_transaction_seconds // 60}min"
    )
    assert lock == f"{settings.db_lock_timeout_seconds}s"


@pytest.mark.pipeline
def test_killed_worker_leaves_no_lock_behind(app, make_user, database_url, redis_url, processes, sql):
    """A real worker holds the account's row lock in an open transaction and has forked a child
    (as it forks RQ's scheduler); kill -9 of the worker releases the lock at once: the child
    does not keep the connection alive."""
    if not _is_pg(database_url):
        pytest.skip(PG_ONLY)
    from tests.fork_jobs import STATE_KEY
    from webapp.models import User
    from webapp.queues import queue
    from webapp.redis_client import get_redis
    from webapp.runner import worker_command

    user_id = make_user("ana", credit="10")
    with app.app_context():
        account_id = db.session.get(User, user_id).account_id
        redis = get_redis()
        queue(redis).enqueue("tests.fork_jobs.hold_account_lock", account_id, 120, job_timeout=300)
    worker = processes(worker_command(redis_url))
    state = wait_for(lambda: redis.hgetall(STATE_KEY) or None, timeout=60)
    child, backend = int(state[b"child"]), int(state[b"backend"])
    try:
        assert int(state[b"worker"]) == worker.pid
        assert sql("SELECT state FROM pg_stat_activity WHERE pid = :p", p=backend).scalar_one() == "idle in transaction"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        killed_at = time.monotonic()

        def lock_free():
            try:
                with app.app_context(), db.engine.begin() as conn:
                    conn.execute(text("SET LOCAL lock_timeout = '300ms'"))
                    conn.execute(text("UPDATE accounts SET id = id WHERE id = :id"), {"id": account_id})
                return True
            except Exception:
                return False

        wait_for(lock_free, timeout=10, interval=0.1)
        released_after = time.monotonic() - killed_at
        print(f"lock released {released_after:.2f}s after kill -9 of the worker")
        assert released_after < 5
        left = sql("SELECT count(*) FROM pg_stat_activity WHERE pid = :p", p=backend).scalar_one()
        assert left == 0, "the dead worker's session is still there"
        os.kill(child, 0)  # the forked child was alive all along: it did not keep the session
    finally:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
