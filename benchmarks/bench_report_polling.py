"""Delivery-report polling of an HTTP route (issue 23): how many status requests, and how long,
to resolve N messages awaiting their reports.

Set-up (not timed): an embedded Redis, the migrations applied to DATABASE_URL (default a temporary
SQLite file; a PostgreSQL database whose name starts with "bench" is dropped and created again),
an account, an ``smscru://`` route for RO pointing at a local SMSC.ru (tests/smscru_server.py, run
in its own process by this script's ``--serve-smscru``: the same server with a read-only
``/bench/counts`` endpoint and a tally of the pairs asked about never-reported numbers), and
--workers real RQ worker processes. --messages messages (of --parts parts each) go through the
HTTP API and the workers to the server for real (send.php, 100 numbers per request), timed apart
as "sent per second"; the server decides each number's outcome by its last digit (0-5 delivered,
6 undeliverable, 7 wrong number, 9 expired, all --final-after seconds after sending; 8 never
reported). Their report_polls rows wait for the schedule's first delay (30 s): they are made due
now (one UPDATE, as if that delay had passed).

Timed: the cron process starts (rq cron workers/cron_config.py: poll_all_routes every 2 s
enqueues a poll_reports(route) job per 2-second slot, each job polls until nothing is due or 20 s
have gone; the workers run them); from the server's first status.php request to the last receipt
written (max message_parts.receipt_at) of the parts whose numbers have a final status at the
server. Then --observe seconds more, counting the status requests the never-reported messages
still cost (the back-off: their next question is 2 min after the first).

    .venv/bin/python benchmarks/bench_report_polling.py --messages 10000
    .venv/bin/python benchmarks/bench_report_polling.py --messages 10000 --parts 2
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_polls \\
        .venv/bin/python benchmarks/bench_report_polling.py --messages 10000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_billing import prepare_database  # noqa: E402
from bench_pipeline import process_cpu, tree_cpu  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

SILENT_DIGIT = "8"  # tests/smscru_server.py: a number ending in 8 is never reported
ONE_PART = "Comanda 4821 a fost expediata. Multumim!"
TWO_PARTS = (
    "Buna ziua! Comanda dvs. 4821 a plecat spre Iasi si ajunge maine intre 9 si 13. "
    "Curierul va suna cu 30 de minute inainte. Pentru reprogramare raspundeti la acest mesaj. Multumim!"
)


# --- the SMSC.ru server, in its own process -------------------------------------------------------


def serve_smscru(args) -> None:
    """tests/smscru_server.SmscRuServer with GET /bench/counts (its counts, the pairs asked about
    never-reported numbers, the wall times of the first and last status request)."""
    from tests.smscru_server import SmscRuServer

    class CountingServer(SmscRuServer):
        def _clear(self) -> None:
            super()._clear()
            self.tally = {"silent_pairs": 0, "silent_requests": 0, "first_status": None, "last_status": None}

        def _handle(self, path, query, body):
            if path == "/bench/counts":
                with self.lock:
                    return 200, {**self.counts, **self.tally}
            return super()._handle(path, query, body)

        def _status_request(self, params, now):
            status, answer = super()._status_request(params, now)
            if isinstance(answer, list):
                silent = sum(str(item.get("phone", "")).endswith(SILENT_DIGIT) for item in answer)
                self.tally["silent_pairs"] += silent
                self.tally["silent_requests"] += bool(silent)
                self.tally["first_status"] = self.tally["first_status"] or time.time()
                self.tally["last_status"] = time.time()
            return status, answer

    server = CountingServer(
        "acme", "s3cret", port=0, step=args.step, final_after=args.final_after, balance="1000000000.00"
    ).start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def server_counts(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/bench/counts", timeout=10) as answer:
        return json.loads(answer.read())


# --- the benchmark --------------------------------------------------------------------------------


def silent_cost(silent: int, batch: int, schedule: tuple[float, ...], hours: float = 24) -> list[str]:
    """Status requests the never-reported messages cost by the back-off schedule (each round asks
    them all, ceil(silent/batch) requests), over the first 10 minutes, hour and day."""
    rounds, at, polls = [0.0], 0.0, 0
    while at < hours * 3600:
        polls += 1
        at += schedule[min(polls, len(schedule) - 1)]
        rounds.append(at)
    per_round = math.ceil(silent / batch)
    out = []
    for label, span in (("10 min", 600), ("hour", 3600), ("day", 86400)):
        n = sum(1 for r in rounds if r < span)
        out.append(f"first {label}: {n} rounds, {n * per_round} requests ({n * per_round * 60 / span:.3f}/min)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--parts", type=int, choices=(1, 2), default=1, help="parts per message")
    parser.add_argument("--poll-batch", type=int, default=100, help="pairs per status.php request")
    parser.add_argument("--poll-rps", type=int, default=20, help="the route's status requests per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--final-after", type=float, default=0.5, help="the server's seconds to a final status")
    parser.add_argument("--step", type=float, default=0.2, help="the server's seconds to status 0")
    parser.add_argument("--observe", type=float, default=20, help="seconds watched after the last settlement")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--serve-smscru", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_smscru:
        return serve_smscru(args)

    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.domain.pricing import PriceEntry
    from webapp.embedded_redis import EmbeddedRedis
    from webapp.extensions import db
    from webapp.models import Message, MessageEvent, MessagePart, ReportPoll
    from webapp.models.types import utcnow
    from webapp.runner import cron_command, stop_processes, worker_command
    from webapp.services import accounts, ledger, pricing, report_polling, routes
    from webapp.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="bench-polls-"))
    redis = EmbeddedRedis(tmp / "redis")
    procs: list[subprocess.Popen] = []
    server = None
    try:
        redis.start(persist=False)
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
        if database_url.startswith("postg"):
            prepare_database(database_url, rebuild=True)  # the route must be the one for RO
        server = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve-smscru",
                "--final-after",
                str(args.final_after),
                "--step",
                str(args.step),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        server_url = server.stdout.readline().strip()
        port = server_url.rsplit(":", 1)[1]
        route_url = (
            f"smscru://acme:s3cret@127.0.0.1:{port}?tls=0&tps=5000&batch=100"
            f"&poll_batch={args.poll_batch}&poll_rps={args.poll_rps}"
        )
        settings = Settings.from_env({}, database_url=database_url, redis_url=redis.url, secret_key="bench")
        app = create_app(settings)
        with app.app_context():
            upgrade()
            user = accounts.create_account(
                db.session, None, username=f"polls{int(time.time())}", password="Rapoarte-2026", credit=Decimal("1e6")
            )
            pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
            route = routes.add_route(db.session, f"smscru-{int(time.time())}", route_url, "RO")
            assert routes.route_for(db.session, "RO").id == route.id, "use a fresh database"
            route_id, account_id = route.id, user.account_id
            token = accounts.create_api_key(db.session, user).token
            db.session.commit()
        env = {
            **os.environ,
            "REDIS_URL": redis.url,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench",
            "PYTHONPATH": str(ROOT),
        }
        quiet = {"env": env, "cwd": ROOT, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        workers = [subprocess.Popen(worker_command(redis.url) + ["--quiet"], **quiet) for _ in range(args.workers)]
        procs += workers
        kind = "PostgreSQL" if database_url.startswith("postg") else "SQLite"
        print(
            f"report polling: {args.messages} messages of {args.parts} part(s), {kind}, {args.workers} RQ workers, "
            f"status.php batches of {args.poll_batch}, poll_rps {args.poll_rps}; load average "
            f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
        )

        # ---- set-up: sent for real through the API, the workers and send.php
        text = TWO_PARTS if args.parts == 2 else ONE_PART
        numbers = [f"+40722{i:06d}" for i in range(args.messages)]
        client = app.test_client()
        began = time.perf_counter()
        for i in range(0, len(numbers), 500):
            answer = client.post(
                "/api/v1/messages",
                json={"to": numbers[i : i + 500], "text": text},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
            assert answer.json["messages"][0]["parts"] == args.parts, answer.json["messages"][0]
        accepted = time.perf_counter() - began

        def count(query) -> int:
            with app.app_context():
                return db.session.scalar(query)

        unsent = select(func.count(Message.id)).where(
            Message.account_id == account_id, Message.status.in_(("queued", "accepted"))
        )
        while count(unsent) and time.perf_counter() - began < args.timeout:
            time.sleep(0.25)
        sent_s = time.perf_counter() - began
        assert count(unsent) == 0, f"{count(unsent)} messages not sent within {args.timeout:.0f} s"
        with app.app_context():
            states = Counter(db.session.scalars(select(MessagePart.state)))
            awaiting = db.session.scalar(
                select(func.count()).select_from(ReportPoll).where(ReportPoll.route_id == route_id)
            )
            assert states == {"submitted": args.messages * args.parts}, states
            assert awaiting == args.messages, awaiting
            # the first question is the schedule's first delay (30 s) after sending: due now
            db.session.execute(update(ReportPoll).values(next_poll_at=utcnow()))
            db.session.commit()
        before = server_counts(server_url)
        print(
            f"  sent     : {args.messages / sent_s:7.0f} messages/s ({sent_s:.1f} s from the first API request to the "
            f"last submission; accepted by the API in {accepted:.1f} s; {before['send']} send.php requests)"
        )

        # ---- timed: the cron's polling jobs, on the workers
        silent = sum(n.endswith(SILENT_DIGIT) for n in numbers)
        final_parts = (args.messages - silent) * args.parts
        cpu0 = {p.pid: tree_cpu(p.pid) for p in workers}
        server_cpu0 = process_cpu(server.pid)
        cron = subprocess.Popen(cron_command(redis.url), **quiet)
        procs.append(cron)
        settled_q = (
            select(func.count(MessagePart.id))
            .join(Message, Message.id == MessagePart.message_id)
            .where(Message.account_id == account_id, MessagePart.status.is_not(None))
        )
        started = time.perf_counter()
        settled = 0
        while time.perf_counter() - started < args.timeout:
            settled = count(settled_q)
            if settled >= final_parts:
                break
            time.sleep(0.25)
        seen_at = time.time()
        cpu_workers = sum(tree_cpu(p.pid) - cpu0[p.pid] for p in workers)
        cpu_server = process_cpu(server.pid) - server_cpu0
        after = server_counts(server_url)
        with app.app_context():
            last_receipt = db.session.scalar(select(func.max(MessagePart.receipt_at)))
        assert settled == final_parts, f"only {settled} of {final_parts} parts settled within {args.timeout:.0f} s"
        first_poll = after["first_status"]
        seconds = last_receipt.replace(tzinfo=UTC).timestamp() - first_poll
        requests = after["status"] - before["status"]
        pairs = after["status_pairs"] - before["status_pairs"]
        silent_span = after["silent_pairs"] - before["silent_pairs"]
        total_parts = args.messages * args.parts
        print(
            f"  polling  : {total_parts} parts ({final_parts} final at the server, {silent * args.parts} of "
            f"{silent} never-reported messages) settled in {seconds:.2f} s from the first status request: "
            f"{final_parts / seconds:,.0f} parts settled/s (seen {seen_at - first_poll:.1f} s after, polling the DB)"
        )
        print(
            f"  requests : {requests} status.php ({after['faults'] - before['faults']} faulted), {pairs} pairs: "
            f"{pairs / max(requests, 1):.1f} pairs per request, {requests * 1000 / total_parts:.1f} requests per "
            f"1,000 parts; {silent_span} of the pairs about never-reported messages "
            f"(~{silent_span / args.poll_batch:.1f} requests' worth, {after['silent_requests']} requests held one)"
        )
        print(
            f"  cpu      : workers {cpu_workers:.1f} s ({cpu_workers * 1000 / total_parts:.3f} ms per part; "
            f"the cron's other jobs on them included), SMSC.ru server process {cpu_server:.1f} s"
        )

        # ---- the never-reported ones afterwards: the back-off
        time.sleep(args.observe)
        tail = server_counts(server_url)
        schedule = report_polling.schedule_of(route_url)
        print(
            f"  silent   : over the {args.observe:.0f} s after the last settlement, {tail['status'] - after['status']} "
            f"status requests ({tail['silent_pairs'] - after['silent_pairs']} pairs: the rows come due as "
            f"they were asked, spread over the span, and each job takes what is due then); by the back-off "
            f"{', '.join(f'{s:g}' for s in schedule)} s, {silent} never-reported messages cost: "
            + "; ".join(silent_cost(silent, args.poll_batch, schedule))
            + f" (asked every 2 s cron slot without it: {math.ceil(silent / args.poll_batch) * 30}/min)"
        )

        # ---- checks
        with app.app_context():
            receipts = Counter(
                (mid, detail.get("seq"))
                for mid, detail in db.session.execute(
                    select(MessageEvent.message_id, MessageEvent.detail).where(MessageEvent.kind == "receipt")
                )
            )
            twice = sum(1 for n in receipts.values() if n > 1)
            mismatches = ledger.verify(db.session)
            waiting = db.session.scalar(
                select(func.count()).select_from(ReportPoll).where(ReportPoll.route_id == route_id)
            )
            polls = Counter(db.session.scalars(select(ReportPoll.polls).where(ReportPoll.route_id == route_id)))
        print(
            f"  checks   : ledger.verify {'clean' if not mismatches else mismatches}; {len(receipts)} parts with a "
            f"receipt event, {twice} with more than one; {waiting} messages still awaiting (asked {dict(polls)} times)"
        )
        assert not mismatches and twice == 0 and len(receipts) == final_parts and waiting == silent
    finally:
        stop_processes(procs)
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        redis.stop(save=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
