"""/healthz, with a real RQ worker and the real cron process (pipeline tests)."""
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

    from webapp.redis_client import get_redis
    from workers.queues import queue

    with app.app_context():
        conn = get_redis()
        w = Worker([queue(conn)], connection=conn, name="ghost")
        w.register_birth()
        conn.hset(w.key, "last_heartbeat", "2020-01-01T00:00:00.000000Z")
    assert client.get("/healthz").json["workers"] == "stale"
    assert client.get("/healthz").status_code == 200  # web nodes stay in rotation
