"""/healthz, with a real RQ worker and the real cron process (pipeline tests)."""

import time

import pytest

from tests.conftest import wait_for
from webapp.runner import cron_command, worker_command


def test_healthz_reports_database_and_redis(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json["status"] == "ok" and r.json["database"] == "ok" and r.json["redis"] == "ok"
    assert r.json["workers"] == "none" and r.json["cron"] == "never"
    assert r.headers["Cache-Control"] == "no-store"
    # Strict mode also wants workers and cron alive.
    assert client.get("/healthz?strict=1").status_code == 503


@pytest.mark.pipeline
def test_worker_and_cron_are_seen_by_healthz(client, redis_url, processes):
    processes(worker_command(redis_url))
    processes(cron_command(redis_url))

    def healthy():
        body = client.get("/healthz?strict=1").json
        ok = body["workers"] == "ok" and body["cron"] == "ok" and body["last_cron_tick"]
        return body if ok else None

    body = wait_for(healthy, timeout=45)  # the workers' logs are printed if it fails
    assert body["worker_count"] == 1 and body["last_cron_heartbeat"]
    assert client.get("/healthz?strict=1").status_code == 200


def test_stale_worker_heartbeat_is_reported(app, client):
    from rq import Worker

    from webapp.queues import queue
    from webapp.redis_client import get_redis

    with app.app_context():
        conn = get_redis()
        w = Worker([queue(conn)], connection=conn, name="ghost")
        w.register_birth()
        conn.hset(w.key, "last_heartbeat", "2020-01-01T00:00:00.000000Z")
    assert client.get("/healthz").json["workers"] == "stale"
    assert client.get("/healthz").status_code == 200  # web nodes stay in rotation


def test_a_worker_registers_again_when_redis_lost_it(app, client):
    """Redis restarted without its data: the worker's next heartbeat writes its registration
    again, so /healthz sees the worker that is working."""
    from webapp.queues import queue
    from webapp.redis_client import get_redis
    from workers.worker import Worker

    with app.app_context():
        conn = get_redis()
        worker = Worker([queue(conn)], connection=conn)
        worker.presence_interval = 0.1
        worker.register_birth()
        try:
            assert client.get("/healthz").json["worker_count"] == 1
            conn.flushdb()  # what a restart without the data looks like
            wait_for(lambda: client.get("/healthz").json["workers"] == "ok", timeout=5, interval=0.05)
            assert client.get("/healthz").json["worker_count"] == 1
            assert Worker.find_by_key(worker.key, connection=conn).birth_date is not None
        finally:
            worker.register_death()
        # Once dead it stays dead: the presence thread never brings it back.
        time.sleep(0.5)
        assert conn.sismember("rq:workers", worker.key) == 0
        assert client.get("/healthz").json["workers"] == "none"


def test_a_dead_worker_is_forgotten_by_the_runner(app, client):
    import os

    from rq import Worker as RQWorker

    from webapp.queues import forget_dead_worker, queue
    from webapp.redis_client import get_redis

    with app.app_context():
        conn = get_redis()
        ghost = RQWorker([queue(conn)], connection=conn, name="killed")
        ghost.register_birth()
        assert forget_dead_worker(conn, os.getpid() + 1) == 0  # another process: left alone
        assert forget_dead_worker(conn, os.getpid()) == 1
        assert not conn.exists(ghost.key) and client.get("/healthz").json["workers"] == "none"


def test_healthz_answers_at_once_when_redis_is_down(app, client, monkeypatch, tmp_path):
    """A Redis that accepts connections but never answers (a hung server, a half-open link):
    /healthz says so within its own short timeouts, instead of hanging the probe."""
    import dataclasses
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepted by the kernel, never answered
    try:
        settings = dataclasses.replace(
            app.config["SETTINGS"], redis_url=f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        )
        monkeypatch.setitem(app.config, "SETTINGS", settings)
        monkeypatch.delitem(app.extensions, "redis_quick", raising=False)
        started = time.monotonic()
        r = client.get("/healthz")
        took = time.monotonic() - started
        assert r.status_code == 503 and took < 3
        assert r.json["redis"].startswith("down") and r.json["workers"] == "unknown"
        assert r.json["database"] == "ok"
        # Nothing listening at all: refused at once.
        listener.close()
        monkeypatch.delitem(app.extensions, "redis_quick", raising=False)
        started = time.monotonic()
        assert client.get("/healthz?strict=1").status_code == 503
        assert time.monotonic() - started < 2
    finally:
        listener.close()
        app.extensions.pop("redis_health", None)
