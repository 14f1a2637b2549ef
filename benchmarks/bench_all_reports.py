"""Reports → All reports of a month with 1,000,000 messages in one account (issue 18: < 2 s).

Reuses the billing benchmark's account and data (benchmarks/bench_billing.py build(): March 2026,
~20 countries, 1-3 parts, 93% delivered ..., Europe/Bucharest); an account built by either
benchmark with the same --messages is reused. Prints how long the migrations took (0021 names the
networks of messages without one and counts every message into the report tallies).

Times the service call (report_totals.all_reports) and the HTTP page (signed in, full page and
the htmx fragment), several runs each, and prints p50 / p95 and the month's totals. On
PostgreSQL the report reads the tallies (services/report_tallies.py): timed once with the
changes not yet compacted (as right after a big send), then compacted (as the cron job keeps
them); --messages-path also times the report read from the messages themselves.

    DATABASE_URL=postgresql://postgres@127.0.0.1/bench_billing .venv/bin/python benchmarks/bench_all_reports.py
    .venv/bin/python benchmarks/bench_all_reports.py --messages 100000      # SQLite, smaller
    ... --explain          # also prints PostgreSQL's plan of the report's query
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_billing import TZ, build, prepare_database  # noqa: E402
from bench_session import redis_for_sign_in, signed_in  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.settings import Settings  # noqa: E402

PASSWORD = "Bench-Billing-2026"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def percentiles(took: list[float]) -> str:
    ordered = sorted(took)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, min {ordered[0] * 1000:.0f} ms"


def timed(label: str, fn, runs: int):
    took, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        took.append(time.perf_counter() - began)
    print(f"{label}: {percentiles(took)}  ({runs} runs)")
    return result, took


def vacuum() -> None:
    """VACUUM ANALYZE messages (the visibility map lets PostgreSQL read an index alone)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE messages"))


def refunds_from_the_ledger(account_id: int) -> None:
    """messages.refunded as migration 0019 takes it from the ledger (the billing data predates it)."""
    db.session.execute(
        text("""
        UPDATE messages SET refunded = r.amount FROM (
            SELECT reference, SUM(amount) AS amount FROM ledger_entries
            WHERE account_id = :a AND kind IN ('release', 'charge', 'refund') GROUP BY reference) r
        WHERE messages.account_id = :a AND r.reference = 'msg:' || messages.id
          AND messages.status IN ('submitted', 'DELIVRD', 'UNDELIV', 'EXPIRED', 'REJECTD', 'FAILED', 'NOREPORT')
    """),
        {"a": account_id},
    )
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        vacuum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--messages-path", action="store_true", help="also time the report read from the messages")
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plan of the report's query")
    args = parser.parse_args()
    scratch = None if os.environ.get("DATABASE_URL") else tempfile.mkdtemp(prefix="bench-reports-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.db"
    try:
        with redis_for_sign_in():  # signing in asks the login throttle (Redis)
            run(url, args)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def run(url: str, args) -> None:
    prepare_database(url, rebuild=False)
    print(f"database: {url.split('@')[-1]}")
    app = create_app(Settings.from_env({}, database_url=url, secret_key="bench", redis_url=os.environ["REDIS_URL"]))
    began = time.perf_counter()
    with app.app_context():
        upgrade()
    print(f"migrations: {time.perf_counter() - began:.1f} s")
    from webapp.domain.report_periods import Period
    from webapp.models import Message, User
    from webapp.services import report_totals

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == f"bench{args.messages}"))
        if user is None:
            began = time.perf_counter()
            account_id = build(app, args.messages)
            refunds_from_the_ledger(account_id)
            print(f"built {args.messages:,} messages and their ledger rows in {time.perf_counter() - began:.1f} s")
            user = db.session.scalar(select(User).where(User.username == f"bench{args.messages}"))
        else:
            print("reusing the account built by an earlier run")
        account_id = user.account_id
        count = db.session.scalar(select(func.count()).select_from(Message).where(Message.account_id == account_id))
        unnamed = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.account_id == account_id, Message.network.is_(None))
        )
        print(f"account {account_id} ({TZ}): {count:,} messages, {unnamed:,} without a network")
        f = report_totals.ReportFilter(Period("custom", *MARCH))
        result = time_the_service(user, f, args)
        t = result.totals
        print(
            f"  {t.messages:,} messages, {t.parts:,} parts, {t.delivered:,} delivered, {t.failed:,} failed, "
            f"{t.pending:,} pending, {t.not_sent:,} not sent; charged {t.charged}, reserved {t.reserved}"
        )
        print(
            f"  {len(result.by_country)} countries, {len(result.by_network)} networks, {len(result.by_day)} days, "
            f"{len(result.by_status)} statuses, {len(result.by_sender)} senders"
        )
        print("  networks: " + ", ".join(f"{line.key or '?'} {line.messages:,}" for line in result.by_network[:6]))
        if args.explain and db.session.get_bind().dialect.name == "postgresql":
            explain(user, f)
        db.session.commit()
    client = signed_in(app, f"bench{args.messages}", PASSWORD)
    path = "/reports/all/?period=custom&from=2026-03-01&to=2026-03-31"
    page = client.get(path)
    assert page.status_code == 200 and 'data-testid="all-totals"' in page.text, page.status_code
    timed("HTTP page (full)", lambda: client.get(path), args.runs)
    timed("HTTP page (htmx fragment)", lambda: client.get(path, headers={"HX-Request": "true"}), args.runs)
    print(f"  page {len(page.data) / 1024:.0f} KB")


def time_the_service(user, f, args):
    from webapp.services import report_tallies, report_totals

    def report():
        return report_totals.all_reports(db.session, user, f)

    if not report_tallies.tallied(db.session):
        return timed("service all_reports(March), from the messages", report, args.runs)[0]
    for table in ("message_tally_changes", "message_tallies"):
        print(f"  {table}: {db.session.scalar(text(f'SELECT count(*) FROM {table}')):,} rows")
    if db.session.scalar(text("SELECT count(*) FROM message_tally_changes")):
        timed("service all_reports(March), tallies with the changes not compacted", report, args.runs)
        began = time.perf_counter()
        moved = report_tallies.compact(db.session)
        db.session.commit()
        print(f"  compacted {moved:,} change rows in {time.perf_counter() - began:.2f} s")
        vacuum_tallies()
    result = timed("service all_reports(March), tallies compacted", report, args.runs)[0]
    if args.messages_path:
        import unittest.mock

        with unittest.mock.patch.object(report_tallies, "tallied", lambda session: False):
            timed("service all_reports(March), from the messages (no tallies)", report, args.runs)
    return result


def vacuum_tallies() -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE message_tallies"))
        conn.execute(text("VACUUM ANALYZE message_tally_changes"))


def explain(user, f) -> None:
    """The report's query as PostgreSQL runs it (EXPLAIN ANALYZE)."""
    from sqlalchemy.dialects import postgresql

    from webapp.services import report_totals

    captured = []
    original = db.session.execute

    def capture(statement, *a, **kw):
        captured.append(statement)
        return original(statement, *a, **kw)

    db.session.execute = capture
    try:
        report_totals.all_reports(db.session, user, f)
    finally:
        db.session.execute = original
    sql = captured[-1].compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    for (line,) in db.session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")):
        print("  " + line)


if __name__ == "__main__":
    main()
