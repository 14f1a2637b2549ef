"""`make run`: everything in one terminal — Redis (embedded unless REDIS_URL), migrations,
demo data, one RQ worker with its scheduler, the cron process and the web server."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask
from werkzeug.serving import run_simple

from webapp.embedded_redis import EmbeddedRedis
from webapp.settings import INSTANCE_DIR, PROJECT_ROOT
from workers.queues import ALL_QUEUES, SERIALIZER


def _rq_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("rq")), *args]


def worker_command(redis_url: str) -> list[str]:
    # SimpleWorker runs jobs in its own process, so the app is built once, not per job.
    return _rq_command("worker", "--with-scheduler", "--worker-class", "rq.worker.SimpleWorker",
                       "--url", redis_url, "--serializer", SERIALIZER,
                       "--path", str(PROJECT_ROOT), *ALL_QUEUES)


def cron_command(redis_url: str) -> list[str]:
    return _rq_command("cron", "--url", redis_url, "--serializer", SERIALIZER, "--path", str(PROJECT_ROOT),
                       str(PROJECT_ROOT / "workers" / "cron_config.py"))


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


def run_all(app: Flask, *, host: str, port: int) -> None:
    from flask_migrate import upgrade

    from webapp.cli import seed_demo

    settings = app.config["SETTINGS"]
    redis = None
    if not settings.redis_url:
        redis = EmbeddedRedis(INSTANCE_DIR).start()
        click.echo(("Reusing" if redis.reused else "Started") + f" the embedded Redis at {redis.url}")
        settings = dataclasses.replace(settings, redis_url=redis.url)
        app.config["SETTINGS"] = settings
    env = {**os.environ, "REDIS_URL": settings.redis_url, "PYTHONPATH": str(PROJECT_ROOT)}
    children: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with app.app_context():
            upgrade()
            click.echo(seed_demo())
        for command in (worker_command(settings.redis_url), cron_command(settings.redis_url)):
            children.append(subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, start_new_session=True))
        click.echo(f"Web app on http://{host}:{port}/ — press Ctrl-C to stop everything.")
        # Not app.run(): Flask ignores it inside the `flask` CLI.
        run_simple(host, port, app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        _say("Stopping the worker and the cron process…")
        stop_processes(children)
        if redis is not None and not redis.reused:
            _say("Saving and stopping the embedded Redis…")
            redis.stop(save=True)
