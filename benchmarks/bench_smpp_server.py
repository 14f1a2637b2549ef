"""The SMPP server's speed (issue 21): submit_sm accepted per second and receipts returned per
second over one transceiver bind with a window of 100, every message durable in the database.

Starts its own Redis (embedded), applies the migrations to DATABASE_URL (PostgreSQL
recommended) or a temporary SQLite file, starts N RQ workers, the cron process and the SMPP
server (``python -m workers.smpp_server``), creates a customer with an SMPP credential and an
instant simulator route, then one smpp34 client binds as a transceiver and keeps 100 submit_sm
outstanding (registered_delivery=1) until MESSAGES are answered, and counts the receipts that
come back on the same bind.

    DATABASE_URL=postgresql://postgres@127.0.0.1/bench_smpp .venv/bin/python benchmarks/bench_smpp_server.py \\
        --messages 10000 --workers 2

Use a fresh database: the benchmark's route must be the one chosen for RO numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import smpp34  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from benchmarks.bench_pipeline import tree_cpu  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.embedded_redis import EmbeddedRedis  # noqa: E402
from webapp.runner import cron_command, stop_processes, worker_command  # noqa: E402
from webapp.settings import Settings  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the SMPP server did not listen on {port}")


async def run_client(port: int, system_id: str, password: str, count: int, window: int, timeout: float):
    client = smpp34.Client("127.0.0.1", port, system_id, password, bind_type="TRX", window_size=window)
    smsc = await client.connect()
    numbers = iter(f"407{22000000 + i:08d}" for i in range(count))
    answered, refused, receipts = 0, 0, 0
    first_resp = last_resp = last_receipt = None
    started = time.perf_counter()

    async def submitter() -> None:
        nonlocal answered, refused, first_resp, last_resp
        for number in numbers:
            resp = await smsc.submit_sm(number, b"Bench test", source_addr="1899", registered_delivery=1)
            now = time.perf_counter()
            first_resp = first_resp or now
            last_resp = now
            answered += 1
            refused += 0 if resp.is_success else 1

    async def listener() -> None:
        nonlocal receipts, last_receipt
        while receipts < count - refused or answered < count:
            event = await smsc.next()
            if isinstance(event, smpp34.Disconnected):
                return
            if event.esm_class & 0x04:
                receipts += 1
                last_receipt = time.perf_counter()

    listening = asyncio.create_task(listener())
    await asyncio.gather(*(submitter() for _ in range(window)))
    accepted_s = time.perf_counter() - started
    try:
        await asyncio.wait_for(listening, timeout=timeout)
    except TimeoutError:
        pass
    receipts_s = (last_receipt - started) if last_receipt else None
    await smsc.unbind()
    await client.stop()
    return answered, refused, accepted_s, receipts, receipts_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-smpp-"))
    redis = EmbeddedRedis(tmp / "redis")
    procs: list[subprocess.Popen] = []
    try:
        redis.start(persist=False)
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
        settings = Settings.from_env({}, database_url=database_url, redis_url=redis.url, secret_key="bench")
        app = create_app(settings)
        from webapp.domain import smpp_access as rules
        from webapp.domain.pricing import PriceEntry
        from webapp.extensions import db
        from webapp.models import User
        from webapp.services import accounts, pricing, routes, smpp_access

        with app.app_context():
            upgrade()
            user = accounts.create_account(
                db.session,
                None,
                username=f"smpp{int(time.time())}",
                password="Cifre-Rapide-2026",
                credit=Decimal("100000"),
            )
            pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
            if routes.route_for(db.session, "RO") is None:
                routes.add_route(
                    db.session, f"bench-{int(time.time())}", "simulator://?delivered=1&dlr_delay=0s&tps=5000"
                )
            made = smpp_access.create(
                db.session,
                db.session.get(User, user.id),
                system_id=f"b{int(time.time()) % 10**9}",
                limits=rules.Limits(max_binds=2, tps_limit=1000, window=args.window),
            )
            made.credential.tps_limit = 1_000_000  # the benchmark lifts the limit (the page allows 1,000)
            system_id, password = made.credential.system_id, made.password
            db.session.commit()
        port = free_port()
        env = {
            **os.environ,
            "REDIS_URL": redis.url,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench",
            "PYTHONPATH": str(ROOT),
            "SMPP_HOST": "127.0.0.1",
            "SMPP_PORT": str(port),
        }
        quiet = {"env": env, "cwd": ROOT, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        for _ in range(args.workers):
            procs.append(subprocess.Popen(worker_command(redis.url) + ["--quiet"], **quiet))
        procs.append(subprocess.Popen(cron_command(redis.url), **quiet))
        server_log = open(os.environ.get("SMPP_SERVER_LOG", os.devnull), "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [sys.executable, "-m", "workers.smpp_server"], env=env, cwd=ROOT, stdout=server_log, stderr=server_log
        )
        procs.append(server)
        wait_for_port(port)
        time.sleep(2)  # the workers register
        server_cpu = tree_cpu(server.pid)
        answered, refused, accepted_s, receipts, receipts_s = asyncio.run(
            run_client(port, system_id, password, args.messages, args.window, args.timeout)
        )
        server_cpu = tree_cpu(server.pid) - server_cpu
        kind = "PostgreSQL" if database_url.startswith("postg") else "SQLite"
        print(
            f"SMPP server: {args.messages} submit_sm over one transceiver bind, window {args.window}, "
            f"{args.workers} RQ workers, {kind}, simulator route with instant receipts"
        )
        print(f"  accepted : {answered / accepted_s:8.0f} submit_sm/s  ({accepted_s:.1f} s; {refused} refused)")
        if receipts_s:
            print(
                f"  receipts : {receipts / receipts_s:8.0f} receipts/s  ({receipts} back on the bind in {receipts_s:.1f} s)"
            )
        print(f"  SMPP server CPU: {server_cpu * 1000 / max(answered, 1):.3f} ms per message ({server_cpu:.1f} s)")
    finally:
        stop_processes(procs)
        redis.stop(save=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
