"""`flask up` (`make run`) supervises its children (issue #14, finding 7): a worker, cron process
or embedded Redis that dies is reaped and started again with backoff; /healthz tells the truth
during and after; Ctrl-C/SIGTERM still stops everything, Redis last and saved."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import wait_for
from webapp.runner import Supervised, Supervisor
from webapp.settings import PROJECT_ROOT

pytestmark = pytest.mark.pipeline


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgid) of a process, None when it is gone (a zombie is not gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[2])


def _children(pid: int) -> dict[int, str]:
    """Live children of pid → their command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        st = _stat(int(entry.name))
        if st and st[1] == pid:
            try:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except FileNotFoundError:
                continue
    return found


def _group(pgid: int) -> list[int]:
    return [
        int(e.name)
        for e in Path("/proc").iterdir()
        if e.name.isdigit() and (st := _stat(int(e.name))) and st[2] == pgid and st[0] != "Z"
    ]


# -- the supervisor on its own (fast) -----------------------------------------------------


def _sleeper():
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)


def test_a_dead_child_is_reaped_and_started_again_with_backoff():
    child = Supervised("sleeper", _sleeper)
    sup = Supervisor([child], min_backoff=0.2, max_backoff=0.8, healthy_after=2.0, poll_interval=0.05).start()
    try:
        first = child.process.pid
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: child.process is not None and child.process.pid != first, timeout=5, interval=0.05)
        assert _stat(first) is None, "the killed child was not reaped (zombie)"
        assert child.restarts == 1 and child.backoff == 0.2

        # Dying again at once doubles the wait, up to the maximum.
        for expected in (0.4, 0.8, 0.8):
            pid = child.process.pid
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: child.process is not None and child.process.pid != pid, timeout=5, interval=0.05)
            assert child.backoff == expected

        # After a good run, the backoff starts from the minimum again.
        time.sleep(2.1)
        pid = child.process.pid
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: child.process is not None and child.process.pid != pid, timeout=5, interval=0.05)
        assert child.backoff == 0.2
    finally:
        sup.stop()
        for proc in sup.processes():
            proc.kill()
            proc.wait()


def test_a_child_that_cannot_start_is_tried_again():
    attempts = []

    def flaky():
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise OSError("not yet")
        return _sleeper()

    child = Supervised("flaky", flaky)
    sup = Supervisor([child], min_backoff=0.1, max_backoff=1, poll_interval=0.05).start()
    try:
        wait_for(lambda: child.process is not None, timeout=5, interval=0.05)
        assert len(attempts) == 3 and attempts[2] - attempts[1] >= 0.19  # 0.1 then 0.2
    finally:
        sup.stop()
        for proc in sup.processes():
            proc.kill()
            proc.wait()


def test_a_clean_up_that_fails_is_tried_again():
    """Forgetting a dead worker needs Redis, which may be down too: tried again until it works."""
    calls = []

    def forget(proc):
        calls.append(proc.pid)
        if len(calls) < 3:
            raise ConnectionError("Redis is down")

    child = Supervised("sleeper", _sleeper, on_exit=forget)
    sup = Supervisor([child], min_backoff=5, poll_interval=0.05).start()
    try:
        pid = child.process.pid
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: len(calls) == 3, timeout=5, interval=0.05)
        time.sleep(0.3)
        assert calls == [pid, pid, pid] and not child.pending
    finally:
        sup.stop()
        for proc in sup.processes():
            proc.kill()
            proc.wait()


# -- `flask up` as a real process (slow) --------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthz(port: int, strict: bool = False) -> tuple[int, dict]:
    import json
    import urllib.error
    import urllib.request

    url = f"http://127.0.0.1:{port}/healthz" + ("?strict=1" if strict else "")
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    except OSError:
        return 0, {}


def _one(pid: int, word: str) -> int | None:
    matches = [p for p, cmd in _children(pid).items() if word in cmd]
    return matches[0] if len(matches) == 1 else None


@pytest.mark.slow
def test_flask_up_restarts_what_dies_and_healthz_tells_the_truth(tmp_path):
    from redis import Redis
    from rq import Queue

    port = _free_port()
    sock = tmp_path / "redis" / "redis.sock"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'up.db'}",
        EMBEDDED_REDIS_SOCKET=str(sock),
        UPLOAD_DIR=str(tmp_path / "uploads"),
        SECRET_KEY="test-secret",
        PYTHONPATH=str(PROJECT_ROOT),
        SMPP_PORT=str(_free_port()),
    )
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        up = subprocess.Popen(
            [str(Path(sys.executable).with_name("flask")), "--app", "app", "up", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    timings = {}
    try:

        def strict_ok():
            code, body = _healthz(port, strict=True)
            return body if code == 200 and body["worker_count"] == 1 else None

        wait_for(strict_ok, timeout=90, interval=0.3)
        redis = Redis(unix_socket_path=str(sock))

        # 1. kill -9 the worker: reaped, its scheduler gone too, a new one registered.
        worker = _one(up.pid, " worker ")
        assert worker, _children(up.pid)
        os.kill(worker, signal.SIGKILL)
        killed = time.monotonic()
        new_worker = wait_for(lambda: (w := _one(up.pid, " worker ")) and w != worker and w, timeout=20)
        wait_for(lambda: (b := strict_ok()) and b["worker_count"] == 1, timeout=30)
        timings["worker replaced, healthz ok"] = time.monotonic() - killed
        assert _stat(worker) is None, "the killed worker is a zombie"
        wait_for(lambda: not _group(worker), timeout=10)  # its scheduler did not outlive it
        from rq import Worker

        assert [w.pid for w in Worker.all(connection=redis)] == [new_worker]

        # 2. kill -9 the embedded Redis: /healthz says so at once; restarted from its AOF with
        #    a job queued before; the cron comes back after dying with Redis.
        scheduler = wait_for(lambda: list(_children(new_worker)), timeout=10)  # RQ's, forked by the worker
        probe = Queue("aof-probe", connection=redis).enqueue("builtins.print", "kept")
        time.sleep(1.3)  # appendfsync everysec
        redis_pid = _one(up.pid, "redis-server")
        cron_before = _one(up.pid, " cron ")
        os.kill(redis_pid, signal.SIGKILL)
        killed = time.monotonic()
        started = time.monotonic()
        code, body = _healthz(port)
        assert code == 503 and body["redis"].startswith("down") and time.monotonic() - started < 2
        wait_for(lambda: _healthz(port)[0] == 200, timeout=30)
        timings["redis back"] = time.monotonic() - killed
        assert _stat(redis_pid) is None
        assert Queue("aof-probe", connection=redis).job_ids == [probe.id]
        wait_for(lambda: strict_ok() and _one(up.pid, " cron "), timeout=60)
        timings["redis killed → strict healthz ok"] = time.monotonic() - killed
        # RQ's worker may quit on a Redis error mid-job (and is restarted); a worker that did
        # not quit kept its scheduler through the outage. One caught while quitting (its
        # scheduler already ended) must be gone, or a zombie for the runner to reap, soon after.
        if _stat(new_worker) and list(_children(new_worker)) != scheduler:
            wait_for(lambda: (st := _stat(new_worker)) is None or st[0] == "Z", timeout=10)

        # 3. kill -9 the cron process: reaped, started again, seen again.
        cron = _one(up.pid, " cron ")
        os.kill(cron, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: (c := _one(up.pid, " cron ")) and c != cron, timeout=20)
        assert _stat(cron) is None
        wait_for(lambda: (b := strict_ok()) and b["last_cron_heartbeat"], timeout=30)
        timings["cron replaced, healthz ok"] = time.monotonic() - killed
        print("timings:", {k: round(v, 1) for k, v in timings.items()}, "cron before the Redis kill:", cron_before)

        # 4. SIGTERM stops everything, Redis last, saved.
        children = list(_children(up.pid))
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=40) == 0
        for pid in children:
            wait_for(lambda: _stat(pid) is None, timeout=10)
        assert (sock.parent / "redis.rdb").exists() and not sock.exists()
    finally:
        if up.poll() is None:
            for pid in _children(up.pid):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            up.kill()
            up.wait()
        text = log.read_text(errors="replace")
        print("\n".join(line for line in text.splitlines() if "webapp.runner" in line))  # restarts
        print(text[-8000:])
