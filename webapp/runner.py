"""`make run`: everything in one terminal — Redis (embedded unless REDIS_URL), migrations,
demo data, one RQ worker with its scheduler, the cron process and the web server.

The runner supervises what it started: a worker, cron process or embedded Redis that dies
is reaped, logged with its exit code and started again after a backoff (1 s, doubling to
60 s, back to 1 s after a minute of good running). Ctrl-C or SIGTERM stops the worker and
the cron process, then Redis last, saved."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask
from werkzeug.serving import run_simple

from webapp.embedded_redis import EmbeddedRedis
from webapp.queues import ALL_QUEUES, SERIALIZER
from webapp.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

# The worker class every deployment runs (the README's Procfile too): jobs in the worker
# process (the app built once, SMPP binds kept), presence kept in Redis, fork-safe scheduler.
WORKER_CLASS = "workers.worker.Worker"


def _rq_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("rq")), *args]


def worker_command(redis_url: str) -> list[str]:
    # Maintenance every 30 s, not RQ's 10 minutes: a scheduler whose worker died is taken over
    # by another worker as soon as its lock expires, so retries and send_at jobs keep moving.
    return _rq_command(
        "worker",
        "--with-scheduler",
        "--worker-class",
        WORKER_CLASS,
        "--maintenance-interval",
        "30",
        "--url",
        redis_url,
        "--serializer",
        SERIALIZER,
        "--path",
        str(PROJECT_ROOT),
        *ALL_QUEUES,
    )


def smpp_server_command() -> list[str]:
    """The SMPP server for customers (workers/smpp_server.py), listening on SMPP_HOST:SMPP_PORT."""
    return [sys.executable, "-m", "workers.smpp_server"]


def cron_command(redis_url: str) -> list[str]:
    return _rq_command(
        "cron",
        "--url",
        redis_url,
        "--serializer",
        SERIALIZER,
        "--path",
        str(PROJECT_ROOT),
        str(PROJECT_ROOT / "workers" / "cron_config.py"),
    )


def stop_processes(children: list[subprocess.Popen], timeout: float = 20) -> None:
    """SIGTERM each child still running (RQ's warm shutdown), wait, then kill what is left."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _say(message: str) -> None:
    """Print, but never let a closed terminal or pipe stop the clean-up."""
    try:
        click.echo(message)
    except OSError:
        pass


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt  # same clean stop as Ctrl-C


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"{returncode} ({signal.Signals(-returncode).name})"
        except ValueError:
            pass
    return str(returncode)


@dataclasses.dataclass
class Supervised:
    """One child the runner keeps alive: ``start()`` returns its process."""

    name: str
    start: Callable[[], subprocess.Popen]
    on_exit: Callable[[subprocess.Popen], None] | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    backoff: float = 0.0
    restarts: int = 0
    # Clean-ups that failed (Redis was down too): tried again until they succeed or expire.
    pending: list[tuple[float, subprocess.Popen]] = dataclasses.field(default_factory=list)


class Supervisor:
    """Starts its children, and in a background thread reaps any that die and starts them again
    with backoff (``min_backoff`` doubling to ``max_backoff``; back to the minimum after
    ``healthy_after`` seconds of good running)."""

    def __init__(
        self,
        children: list[Supervised],
        *,
        min_backoff: float = 1.0,
        max_backoff: float = 60.0,
        healthy_after: float = 60.0,
        poll_interval: float = 0.2,
        cleanup_for: float = 300.0,
    ):
        self.children = children
        self.cleanup_for = cleanup_for
        self.min_backoff, self.max_backoff, self.healthy_after = min_backoff, max_backoff, healthy_after
        self.poll_interval = poll_interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> Supervisor:
        for child in self.children:
            self._launch(child)
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._thread.start()
        return self

    def _launch(self, child: Supervised) -> None:
        try:
            child.process = child.start()
        except Exception as exc:
            child.process = None
            self._schedule(child, f"failed to start: {exc}")
            return
        child.started_at, child.restart_at = time.monotonic(), None

    def _schedule(self, child: Supervised, why: str) -> None:
        ran = time.monotonic() - child.started_at if child.started_at else 0.0
        if ran >= self.healthy_after or not child.backoff:
            child.backoff = self.min_backoff
        else:
            child.backoff = min(self.max_backoff, child.backoff * 2)
        child.restart_at = time.monotonic() + child.backoff
        log.warning("%s %s; starting it again in %.0fs", child.name, why, child.backoff)

    def check(self) -> None:
        """Reap dead children (no zombies) and start those whose backoff has passed."""
        with self._lock:
            for child in self.children:
                if self._stop.is_set():
                    return
                proc = child.process
                if proc is not None:
                    code = proc.poll()  # waitpid: reaps it
                    if code is None:
                        continue
                    child.process = None
                    _kill_leftovers(proc)
                    if child.on_exit is not None:
                        child.pending.append((time.monotonic() + self.cleanup_for, proc))
                    self._schedule(child, f"(pid {proc.pid}) exited with {_describe(code)}")
                elif child.restart_at is not None and time.monotonic() >= child.restart_at:
                    child.restarts += 1
                    self._launch(child)
                    if child.process is not None:
                        log.warning(
                            "%s started again (pid %s, restart %d)", child.name, child.process.pid, child.restarts
                        )

    def _clean_up(self) -> None:
        """Run the children's clean-ups after exit (forget a dead worker's registration); one
        that fails because Redis is away too is tried again on the next checks."""
        now = time.monotonic()
        for child in self.children:
            still = []
            for expires, proc in child.pending:
                try:
                    child.on_exit(proc)
                except Exception as exc:
                    if now < expires:
                        still.append((expires, proc))
                    else:
                        log.info("%s: clean-up after pid %s exited failed: %s", child.name, proc.pid, exc)
            child.pending = still

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_interval):
            try:
                self.check()
                if any(c.pending for c in self.children):
                    self._clean_up()
            except Exception:  # the supervisor itself must not die
                log.exception("supervisor check failed")

    def stop(self) -> None:
        """No more restarts; the children themselves are left to the caller (in its order)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            pass  # a check in progress has finished

    def processes(self, *names: str) -> list[subprocess.Popen]:
        return [c.process for c in self.children if c.process is not None and (not names or c.name in names)]


def _kill_leftovers(proc: subprocess.Popen) -> None:
    """A child started in its own session leaves its group behind when killed (RQ's scheduler,
    forked by the worker): end the group too."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


def _forget(redis_url: str, what: str) -> Callable[[subprocess.Popen], None]:
    """After a worker or cron process died: its registration goes at once, so /healthz does
    not count a dead process as alive until the registration expires."""

    def forget(proc: subprocess.Popen) -> None:
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from webapp import queues

        conn = Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 0))
        getattr(queues, f"forget_dead_{what}")(conn, proc.pid)

    return forget


def run_all(app: Flask, *, host: str, port: int) -> None:
    from flask_migrate import upgrade

    from webapp.cli import seed_demo

    settings = app.config["SETTINGS"]
    redis = None
    if not settings.redis_url:
        redis = EmbeddedRedis.at_socket(settings.embedded_redis_socket).start()
        click.echo(("Reusing" if redis.reused else "Started") + f" the embedded Redis at {redis.url}")
        settings = dataclasses.replace(settings, redis_url=redis.url)
        app.config["SETTINGS"] = settings
    env = {**os.environ, "REDIS_URL": settings.redis_url, "PYTHONPATH": str(PROJECT_ROOT)}
    supervisor: Supervisor | None = None
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with app.app_context():
            upgrade()
            click.echo(seed_demo())

        def spawn(command: list[str]) -> Callable[[], subprocess.Popen]:
            return lambda: subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, start_new_session=True)

        children = []
        if redis is not None and not redis.reused:
            children.append(Supervised("embedded Redis", _restart_redis(redis)))
        children += [
            Supervised(
                "RQ worker", spawn(worker_command(settings.redis_url)), on_exit=_forget(settings.redis_url, "worker")
            ),
            Supervised(
                "cron process", spawn(cron_command(settings.redis_url)), on_exit=_forget(settings.redis_url, "cron")
            ),
        ]
        if settings.smpp_port:
            children.append(Supervised("SMPP server", spawn(smpp_server_command())))
        supervisor = Supervisor(children).start()
        click.echo(f"Web app on http://{host}:{port}/ — press Ctrl-C to stop everything.")
        # Not app.run(): Flask ignores it inside the `flask` CLI.
        run_simple(host, port, app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one clean stop, not a second one inside it
        if supervisor is not None:
            supervisor.stop()
            _say("Stopping the worker, the cron process and the SMPP server…")
            stop_processes(supervisor.processes("RQ worker", "cron process", "SMPP server"))
        if redis is not None and not redis.reused:
            _say("Saving and stopping the embedded Redis…")
            redis.stop(save=True)


def _restart_redis(redis: EmbeddedRedis) -> Callable[[], subprocess.Popen]:
    """The embedded Redis is already running when supervision starts; later starts load its
    append-only file (queued jobs included)."""
    first = [True]

    def start() -> subprocess.Popen:
        if first[0] and redis.process is not None:
            first[0] = False
            return redis.process
        redis.process = None
        redis.reused = False
        redis.start()
        if redis.reused:  # someone else's server took the socket meanwhile
            raise RuntimeError(f"another Redis answers at {redis.socket}")
        return redis.process

    return start
