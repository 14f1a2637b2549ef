"""Billing documents: a monthly statement of an account with 1,000,000 messages, and (filled in
by the lead) an invoice PDF.

Builds on DATABASE_URL (default: a fresh SQLite file in a temporary directory; PostgreSQL is
the one that matters) an account ("Țară Șușă SRL", Europe/Bucharest) with --messages messages
in March 2026 (30 days, ~20 countries, 1-3 parts, prices with 4 decimals; 93% delivered, 3%
undelivered and charged, 2% rejected and 1% failed (refunded), 1% still waiting for their
report) with the ledger rows they make (reservation at acceptance, release + charge when sent,
refund when rejected), top-ups, an adjustment, transfers to a subuser, a campaign's reservation
and release, and messages accepted just before the month's end that go out after it. Rows go in
by COPY on PostgreSQL. Then it times making the statement (the figures), its PDF and its XLSX,
and prints the figures.

    DATABASE_URL=postgresql://postgres@127.0.0.1/bench_billing .venv/bin/python benchmarks/bench_billing.py
    .venv/bin/python benchmarks/bench_billing.py --messages 100000      # SQLite, smaller

The PostgreSQL database is created when missing; an account built by an earlier run with the
same --messages is reused (--rebuild drops and recreates a database whose name starts with
"bench").  Target: the statement of 1,000,000 messages in under 5 s.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.domain import statements as rules  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.settings import Settings  # noqa: E402

NAME = "Țară Șușă SRL"
TZ = "Europe/Bucharest"
START, END = date(2026, 3, 1), date(2026, 4, 1)
# (country, prefix, price per part, weight)
COUNTRIES = [
    ("RO", "+40722", "0.0350", 60),
    ("MD", "+37369", "0.0650", 8),
    ("UA", "+38067", "0.0720", 5),
    ("BG", "+35988", "0.0580", 3),
    ("HU", "+3630", "0.0610", 3),
    ("DE", "+49151", "0.0790", 3),
    ("IT", "+39320", "0.0745", 2),
    ("ES", "+34612", "0.0695", 2),
    ("FR", "+33612", "0.0815", 2),
    ("GB", "+44770", "0.0405", 2),
    ("AT", "+43664", "0.0905", 1),
    ("PL", "+48501", "0.0385", 1),
    ("CZ", "+420601", "0.0555", 1),
    ("GR", "+30694", "0.0615", 1),
    ("RS", "+38163", "0.0675", 1),
    ("TR", "+90532", "0.0275", 1),
    ("NL", "+31612", "0.0885", 1),
    ("BE", "+32470", "0.0765", 1),
    ("PT", "+351912", "0.0345", 1),
    ("IE", "+35385", "0.0635", 1),
]
UNIT = 10_000  # Money is stored as integers of 1/10000 EUR


def units(value: str | Decimal) -> int:
    return int(Decimal(value) * UNIT)


class Writer:
    """Rows straight to the database: COPY on PostgreSQL, executemany elsewhere (Money as units,
    times as naive UTC, as the models store them)."""

    def __init__(self, session):
        self.session = session
        self.pg = session.get_bind().dialect.name == "postgresql"

    def write(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        raw = self.session.connection().connection.driver_connection
        quoted = ", ".join(f'"{c}"' for c in columns)
        if self.pg:
            with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor = raw.cursor()
            cursor.executemany(
                f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(columns))})',
                [tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in r) for r in rows],
            )


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def build(app, count: int) -> int:
    """The account, its subuser, and the month's rows; returns the account id."""
    from webapp.models import BillingProfile
    from webapp.services import accounts

    rnd = random.Random(7)
    session = db.session
    user = accounts.create_account(
        session,
        None,
        username=f"bench{count}",
        password="Bench-Billing-2026",
        credit=Decimal("0"),
        email="contabil@example.ro",
        name=NAME,
    )
    account = user.account
    account.timezone = TZ
    sub = accounts.create_account(
        session,
        None,
        username=f"bench{count}-sub",
        password="Bench-Billing-2026",
        credit=Decimal("0"),
        email="sub@example.ro",
        name="Filiala Iași",
    )
    sub.account.parent_id = account.id
    session.add(
        BillingProfile(
            account_id=account.id,
            company_name=NAME,
            fiscal_code="RO14399840",
            trade_register="J22/1234/2020",
            address="Str. Ștefan cel Mare 1",
            city="Iași",
            country="RO",
            invoice_email="contabil@example.ro",
        )
    )
    session.commit()
    writer = Writer(session)
    next_id = (session.scalar(select(func.max(text("id"))).select_from(text("messages"))) or 0) + 1
    weights = [w for *_, w in COUNTRIES]
    since = rules.local_midnight(START, TZ)
    month_seconds = (rules.local_midnight(END, TZ) - since).total_seconds()

    # Events (time, kind, amount in units, reference, reason), ledger rows written in time order.
    events: list[tuple] = []
    messages: list[tuple] = []
    cols = [
        "id",
        "account_id",
        "user_id",
        "sender",
        "to",
        "country",
        "text",
        "encoding",
        "parts",
        "price_per_part",
        "cost",
        "status",
        "validity_until",
        "created_at",
        "submitted_at",
        "final_at",
        "monitor",
    ]
    day_seconds = month_seconds / 31
    for i in range(count):
        country, prefix, price, _ = rnd.choices(COUNTRIES, weights)[0]
        parts = rnd.choice((1, 1, 1, 1, 2, 2, 3))
        cost = units(price) * parts
        # 30 days of traffic, busier in the day; a few accepted in the last minutes of the month.
        late = i % 50_000 == 49_999
        offset = (
            month_seconds - rnd.uniform(1, 600)
            if late
            else (rnd.randrange(30) * day_seconds + rnd.triangular(6, 23, 13) * 3600)
        )
        created = since + timedelta(seconds=offset)
        sent = created + timedelta(seconds=rnd.uniform(0.2, 20) + (900 if late else 0))
        draw = rnd.random()
        status = (
            "DELIVRD"
            if draw < 0.93
            else "UNDELIV"
            if draw < 0.96
            else "REJECTD"
            if draw < 0.98
            else "FAILED"
            if draw < 0.99
            else "submitted"
        )
        final = sent + timedelta(seconds=rnd.uniform(2, 7200)) if status != "submitted" else None
        mid = next_id + i
        messages.append(
            (
                mid,
                account.id,
                user.id,
                "1899",
                f"{prefix}{rnd.randrange(10**6):06d}",
                country,
                "Bună ziua! Codul dumneavoastră este 4821.",
                "ucs2",
                parts,
                units(price),
                cost,
                status,
                naive(created + timedelta(days=2)),
                naive(created),
                naive(sent),
                naive(final) if final else None,
                False,
            )
        )
        ref = f"msg:{mid}"
        events.append((created, "reservation", -cost, ref, f"SMS to {prefix}…"))
        events.append((sent, "release", cost, ref, "Reservation turned into charge"))
        events.append((sent, "charge", -cost, ref, f"SMS to {prefix}…, {parts} part(s)"))
        if status in ("REJECTD", "FAILED"):
            events.append((final, "refund", cost, ref, f"Not delivered ({status})"))
    total_cost = sum(m[10] for m in messages)
    # Money in: an opening top-up in February and top-ups through the month.
    events.append((since - timedelta(days=3), "topup", units("2000"), "payment:1", "Top-up by bank transfer"))
    for day in range(0, 30, 3):
        events.append(
            (
                since + timedelta(days=day, hours=8),
                "topup",
                total_cost // 10 + units("500"),
                f"payment:{day + 2}",
                "Top-up by card",
            )
        )
    events.append(
        (since + timedelta(days=12, hours=10), "adjustment", units("-3.7450"), "adjust-1", "Correction: test messages")
    )
    events.append(
        (
            since + timedelta(days=14, hours=9),
            "transfer",
            units("-250"),
            f"account:{sub.account.id}",
            "Credit for Filiala Iași",
        )
    )
    # A campaign: reserved in one row, its unsent part released in one row when cancelled.
    events.append(
        (since + timedelta(days=20, hours=11), "reservation", units("-1234.5670"), "campaign:1", "Campaign “Primăvara”")
    )
    events.append(
        (
            since + timedelta(days=20, hours=15),
            "release",
            units("1234.5670"),
            "campaign:1",
            "Campaign “Primăvara” cancelled: unsent messages",
        )
    )
    events.sort(key=lambda e: e[0])
    balance, ledger_rows = 0, []
    for at, kind, amount, ref, reason in events:
        balance += amount
        ledger_rows.append((account.id, amount, balance, kind, reason, ref, naive(at)))
    ledger_cols = ["account_id", "amount", "balance_after", "kind", "reason", "reference", "created_at"]
    for start in range(0, len(messages), 100_000):
        writer.write("messages", cols, messages[start : start + 100_000])
    for start in range(0, len(ledger_rows), 200_000):
        writer.write("ledger_entries", ledger_cols, ledger_rows[start : start + 200_000])
    session.execute(text("UPDATE accounts SET balance = :b WHERE id = :id"), {"b": balance, "id": account.id})
    sub_balance = units("250")
    writer.write(
        "ledger_entries",
        ledger_cols,
        [
            (
                sub.account.id,
                sub_balance,
                sub_balance,
                "transfer",
                f"Credit from {NAME}",
                f"account:{account.id}",
                naive(since + timedelta(days=14, hours=9)),
            )
        ],
    )
    session.execute(text("UPDATE accounts SET balance = :b WHERE id = :id"), {"b": sub_balance, "id": sub.account.id})
    if writer.pg:
        session.execute(text("SELECT setval(pg_get_serial_sequence('messages', 'id'), (SELECT max(id) FROM messages))"))
    session.commit()
    if writer.pg:
        session.execute(text("ANALYZE messages, ledger_entries"))
        session.commit()
    return account.id


def prepare_database(url: str, rebuild: bool) -> None:
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and rebuild:
            if not name.startswith("bench"):
                raise SystemExit(f"--rebuild drops the database: only for names starting with 'bench', not {name!r}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(label: str, fn, repeat: int = 1):
    took, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        took.append(time.perf_counter() - began)
    shown = ", ".join(f"{t:.2f}" for t in took)
    print(f"{label}: {min(took):.2f} s" + (f"  (runs: {shown})" if repeat > 1 else ""))
    return result, min(took)


def bench_invoice_pdf(app) -> None:
    """An invoice issued for a credited bank transfer, its PDF made the way the download does
    (the first render in a process also loads the fonts: it is shown apart)."""
    from webapp.models import Account, User
    from webapp.services import invoices, payments
    from webapp.services.pdf import render_pdf

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "bench-invoice"))
        if user is None:
            account = Account(name="Teatrul Mic Șușă SRL")
            db.session.add(account)
            db.session.flush()
            user = User(account_id=account.id, username="bench-invoice", password_hash="-")
            db.session.add(user)
            db.session.flush()
            payments.save_profile(
                db.session,
                user,
                company_name="Teatrul Mic Șușă SRL",
                is_business=True,
                fiscal_code="RO14399840",
                trade_register="J40/1234/2020",
                address="Str. Constantin Mille 16",
                city="București",
                country="RO",
                invoice_email="contabil@teatrulmic.ro",
            )
        payment = payments.start(db.session, user, "transfer", "250", Decimal("0.21"))
        payments.credit(db.session, payment.id, f"bench-{payment.reference}")
        db.session.commit()
        invoice = invoices.of_payment(db.session, payment)
        settings = app.config["SETTINGS"]
        with app.test_request_context("/"):
            make = lambda: render_pdf("pdf/invoice.html", **invoices.document(db.session, invoice, settings))  # noqa: E731
            timed("invoice PDF, first in the process (fonts loaded)", make)
            data, _ = timed("invoice PDF", make, 5)
        print(f"  {invoice.printed_number}: {len(data) / 1024:.0f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="how many times the statement is made (and timed)")
    parser.add_argument("--rebuild", action="store_true", help="PostgreSQL: drop and recreate the bench database")
    args = parser.parse_args()
    scratch = None if os.environ.get("DATABASE_URL") else tempfile.mkdtemp(prefix="bench-billing-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.db"
    try:
        run(url, args)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def run(url: str, args) -> None:
    prepare_database(url, args.rebuild)
    print(f"database: {url.split('@')[-1]}")
    app = create_app(Settings.from_env({}, database_url=url, secret_key="bench"))
    with app.app_context():
        upgrade()
    from webapp.models import Account, LedgerEntry, Message, Statement, User
    from webapp.services import statement_export, statements

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == f"bench{args.messages}"))
        if user is None:
            began = time.perf_counter()
            account_id = build(app, args.messages)
            print(f"built {args.messages:,} messages and their ledger rows in {time.perf_counter() - began:.1f} s")
        else:
            account_id = user.account_id
            print("reusing the account built by an earlier run")
        rows = db.session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.account_id == account_id)
        )
        sent = db.session.scalar(select(func.count()).select_from(Message).where(Message.account_id == account_id))
        print(f"account {account_id}: {sent:,} messages, {rows:,} ledger rows")

        def make():
            statement = statements.make(db.session, account_id, START, END, monthly=True)
            db.session.commit()
            return statement

        statement, took = timed("statement (figures)", make, args.repeat)
        settings = app.config["SETTINGS"]
        with app.test_request_context("/"):
            document, _ = timed("statement PDF", lambda: statement_export.pdf(statement, settings))
            workbook, _ = timed("statement XLSX", lambda: statement_export.xlsx(statement, settings))
        print(f"  PDF {len(document) / 1024:.0f} KB, XLSX {len(workbook) / 1024:.0f} KB")
        view = rules.printed(statement.figures)
        account = db.session.get(Account, account_id)
        print(f"\n{NAME}, {START} – {END - timedelta(days=1)} ({TZ})")
        print(f"  {'Opening balance':<69}{view.opening:>16,.2f}")
        for line in view.lines:
            count = f"{line.count:,}" if line.count else ""
            print(f"  {rules.LINES[line.key]:<60}{count:>9}{line.amount:>16,.2f}")
        print(f"  {'Closing balance':<69}{view.closing:>16,.2f}")
        ledger_balance = db.session.scalar(
            select(LedgerEntry.balance_after)
            .where(LedgerEntry.account_id == account_id, LedgerEntry.created_at < rules.local_midnight(END, TZ))
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
            .limit(1)
        )
        print(
            f"  (ledger balance at the period's end: {ledger_balance}; exact closing {statement.figures['closing']}; "
            f"account balance now {account.balance})"
        )
        print(f"  {'Country':<10}{'Messages':>12}{'Parts':>12}{'Sent':>14}{'Refunded':>12}{'Net':>14}")
        for row in view.by_country:
            print(
                f"  {row.label:<10}{row.messages:>12,}{row.parts:>12,}{row.sent:>14,.2f}{row.refunded:>12,.2f}{row.net:>14,.2f}"
            )
        t = view.total
        print(f"  {'Total':<10}{t.messages:>12,}{t.parts:>12,}{t.sent:>14,.2f}{t.refunded:>12,.2f}{t.net:>14,.2f}")
        print(
            f"  by day: {len(view.by_day)} days, first {view.by_day[0].label}: {view.by_day[0].messages:,} messages"
            if view.by_day
            else "  by day: none"
        )
        assert (
            db.session.scalar(select(func.count()).select_from(Statement).where(Statement.account_id == account_id))
            == 1
        )
        print(f"\nstatement with {t.messages:,} messages: {took:.2f} s (target < 5 s)")
    bench_invoice_pdf(app)


if __name__ == "__main__":
    main()
