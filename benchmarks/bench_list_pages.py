"""Every list page a customer opens, with 1,000,000 messages in the account (issue 18: p95 < 100 ms).

Reuses the account of benchmarks/bench_all_reports.py / bench_billing.py (build it first with
either, same --messages), signs in as its owner and GETs each page --runs times through the
WSGI app in this process (no network, no gunicorn: the app's own time), printing p50 / p95 per
page, slowest first.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_all_reports \\
        .venv/bin/python benchmarks/bench_list_pages.py --runs 40
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_session import redis_for_sign_in, signed_in  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.settings import Settings  # noqa: E402

PASSWORD = "Bench-Billing-2026"


def pages(message_id: int) -> list[str]:
    return [
        "/",
        "/reports/",
        "/reports/?from=2026-03-01&to=2026-03-31",
        "/reports/?status=UNDELIV",
        "/reports/?from=2026-03-10&to=2026-03-10&status=DELIVRD",
        "/reports/?page=50",
        "/reports/?number=0722+123+456",  # a whole number: that recipient (the index on messages.to)
        "/reports/?number=40722123",  # a few digits anywhere: a scan of the filter's messages
        f"/reports/messages/{message_id}",
        "/reports/all/?period=custom&from=2026-03-01&to=2026-03-31",
        "/campaigns/",
        "/contacts/",
        "/send/",
        "/templates/",
        "/account/",
        "/account/statements",
        "/account/invoices",
        "/account/subusers/",
        "/account/sender-ids/",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000, help="the account built with this many")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("DATABASE_URL: the database benchmarks/bench_all_reports.py built")
    with redis_for_sign_in():  # signing in asks the login throttle (Redis)
        run(url, args)


def run(url: str, args) -> None:
    from webapp.models import Message, User

    app = create_app(Settings.from_env({}, database_url=url, secret_key="bench", redis_url=os.environ["REDIS_URL"]))
    username = f"bench{args.messages}"
    from flask_migrate import upgrade

    began = time.perf_counter()
    with app.app_context():
        upgrade()
    print(f"migrations: {time.perf_counter() - began:.1f} s")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            sys.exit(f"no account {username}: run benchmarks/bench_all_reports.py --messages {args.messages} first")
        count = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.account_id == user.account_id)
        )
        message_id = db.session.scalar(
            select(Message.id).where(Message.account_id == user.account_id).order_by(Message.id.desc()).limit(1)
        )
        print(f"account {username}: {count:,} messages; {args.runs} runs per page after one warm-up")
    client = signed_in(app, username, PASSWORD)
    results = []
    for path in pages(message_id):
        first = client.get(path)
        assert first.status_code == 200, (path, first.status_code)
        took = []
        for _ in range(args.runs):
            began = time.perf_counter()
            client.get(path)
            took.append(time.perf_counter() - began)
        took.sort()
        p95 = took[min(len(took) - 1, round(0.95 * (len(took) - 1)))]
        results.append((p95, statistics.median(took), path))
    for p95, p50, path in sorted(results, reverse=True):
        flag = "  OVER 100 ms" if p95 > 0.1 else ""
        print(f"p95 {p95 * 1000:7.1f} ms  p50 {p50 * 1000:7.1f} ms  {path}{flag}")


if __name__ == "__main__":
    main()
