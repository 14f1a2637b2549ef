"""Shared by the soak and fault suites (tests/test_pipeline_soak.py, tests/test_pipeline_faults.py):
numbers whose outcome the test SMSC fixes, texts of every kind, and the checks that matter
after a run: every message final with the status its number decided, each part submitted
once at the SMSC, nothing charged twice, the balance what the customer owes, no lock left."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, text

from webapp.domain import lifecycle
from webapp.extensions import db
from webapp.models import Account, LedgerEntry, Message, MessageEvent, MessagePart, PendingReceipt

PRICE = Decimal("0.0350")

# The number's last two digits decide what the SMSC does with it.
OUTCOMES = {"91": "UNDELIV", "92": "EXPIRED", "93": "REJECTD", "99": "rejected-at-submit"}
SMSC_RULES = (
    "--rule",
    "91=UNDELIV:001",
    "--rule",
    "92=EXPIRED:002",
    "--rule",
    "93=REJECTD:00B",
    "--reject",
    "99=0x0B",
)  # ESME_RINVDSTADR
# Of every ten numbers: six delivered, one of each failure.
CODES = ["00", "01", "02", "03", "04", "05", "91", "92", "93", "99"]
CHARGED = {"DELIVRD", "UNDELIV", "EXPIRED"}  # accounts charge_failed_deliveries by default

# Texts: GSM-7 with '@' (0x00 in GSM 03.38: NUL bytes in a GSM receipt too), GSM with escape
# characters exactly at the 153-septet boundary, GSM in 3 parts, UCS-2 (Romanian diacritics,
# emoji, one emoji right at the 67-unit boundary) in 1, 2 and 3 parts.
_PROMO = ("Reducere 20% la toate produsele, doar azi. " * 4)[:152]
TEXTS = {
    "gsm-1": "Codul dvs. @magazin este 4821. Multumim!",
    "gsm-escape-boundary": _PROMO + "€[]{} " + "Oferta valabila pana la epuizarea stocului. " * 2,
    "gsm-3": ("Stimate client, comanda dvs. a fost expediata si ajunge maine intre 9 si 12. " * 5)[:400],
    "ucs2-1": "Bună ziua! Ședința e mâine la 10 😀 ș ț ă î â",
    "ucs2-2-emoji-boundary": ("Ședința de mâine începe la ora 10, în sala mare. " * 2)[:66]
    + "😀"
    + " Vă așteptăm, țineți minte: î â ă ș ț.",
    "ucs2-3": ("Vă mulțumim că ați ales magazinul nostru! Coletul ajunge mâine 😀. " * 3)[:190],
}


def number(batch: int, i: int) -> str:
    """A Romanian mobile number: +40 72b iiii cc, cc the outcome code."""
    return f"+4072{batch % 10}{(i // len(CODES)) % 10000:04d}{CODES[i % len(CODES)]}"


def expected_status(to: str) -> str:
    outcome = OUTCOMES.get(to[-2:], "DELIVRD")
    return "REJECTD" if outcome == "rejected-at-submit" else outcome


def send_all(api, batch: int, count: int, per_request: int = 100, texts=None) -> list[int]:
    """POST /api/v1/messages in requests of many numbers, cycling through the texts."""
    texts = list((texts or TEXTS).values())
    ids = []
    for r, start in enumerate(range(0, count, per_request)):
        numbers = [number(batch, i) for i in range(start, min(count, start + per_request))]
        response = api("POST", "/messages", json={"to": numbers, "text": texts[r % len(texts)]})
        assert response.status_code == 201, response.json
        ids += [m["id"] for m in response.json["messages"]]
    return ids


def counts(app, ids=None) -> tuple[Counter, Counter]:
    """(messages by status, parts by state) — of these messages, or all."""
    with app.app_context():
        q1 = select(Message.status)
        q2 = select(MessagePart.state)
        if ids is not None:
            q1 = q1.where(Message.id.in_(ids))
            q2 = q2.where(MessagePart.message_id.in_(ids))
        try:
            return Counter(db.session.scalars(q1)), Counter(db.session.scalars(q2))
        finally:
            db.session.remove()


def pending_count(app) -> int:
    statuses, _ = counts(app)
    return sum(n for s, n in statuses.items() if s not in lifecycle.FINAL)


def wait_until_final(app, timeout: float, on_tick=None, interval: float = 0.5) -> float:
    """Seconds until every message is final; AssertionError with the counts when it never is."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if on_tick is not None:
            on_tick()
        if pending_count(app) == 0:
            return time.monotonic() - started
        time.sleep(interval)
    statuses, states = counts(app)
    raise AssertionError(f"not final after {timeout:.0f}s: messages {dict(statuses)}, parts {dict(states)}")


@dataclass
class Report:
    """What happened to the messages of one run, as the issue's note gives it."""

    name: str
    statuses: Counter
    states: Counter
    wrong_status: list = field(default_factory=list)  # (id, to, status, expected)
    sent_twice: int = 0
    not_sent: list = field(default_factory=list)  # accepted at the SMSC zero times, but charged as sent
    charged_twice: int = 0
    balance: Decimal = Decimal(0)
    owed_balance: Decimal = Decimal(0)
    ledger_mismatches: list = field(default_factory=list)
    pending_receipts: int = 0
    drain_seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def line(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.extra.items())
        return (
            f"[{self.name}] messages={sum(self.statuses.values())} status={dict(sorted(self.statuses.items()))} "
            f"parts={dict(sorted(self.states.items()))} wrong_status={len(self.wrong_status)} "
            f"sent_twice={self.sent_twice} charged_twice={self.charged_twice} "
            f"balance={self.balance} owed={self.owed_balance} ledger_verify={len(self.ledger_mismatches)} "
            f"pending_receipts={self.pending_receipts} drain={self.drain_seconds:.1f}s {extra}"
        ).rstrip()


def examine(app, smsc, name: str, credit: Decimal, drain_seconds: float = 0.0, ids=None) -> Report:
    """Everything the suites assert, measured once (the caller asserts what applies)."""
    from webapp.services import ledger

    statuses, states = counts(app, ids)
    report = Report(name, statuses, states, drain_seconds=drain_seconds)
    at_smsc = smsc.submit_counts()
    with app.app_context():
        messages = db.session.scalars(select(Message)).all()
        parts = defaultdict(list)
        for p in db.session.scalars(select(MessagePart)):
            parts[p.message_id].append(p)
        owed = Decimal(0)
        for m in messages:
            if m.status in lifecycle.FINAL and m.status != expected_status(m.to) and m.status != lifecycle.REFUSED:
                report.wrong_status.append((m.id, m.to, m.status, expected_status(m.to)))
            if m.status in CHARGED:
                owed += m.cost
            elif m.status in (lifecycle.QUEUED, lifecycle.SUBMITTED, lifecycle.NOREPORT):
                owed += m.cost  # reserved, or charged once submitted (refunded on REJECTD/FAILED)
            dest = m.to.lstrip("+")
            for p in parts[m.id]:
                seen = at_smsc.get((dest, p.seq), 0)
                if seen > 1:
                    report.sent_twice += 1
                if seen == 0 and p.state == "submitted":
                    report.not_sent.append((m.id, p.seq))
        # Upstream twice without the database knowing: more submits at the SMSC than parts.
        known = {(m.to.lstrip("+"), p.seq) for m in messages for p in parts[m.id]}
        report.sent_twice += sum(1 for key in at_smsc if key not in known)
        rows = db.session.execute(
            select(LedgerEntry.reference, LedgerEntry.kind).where(LedgerEntry.reference.like("msg:%"))
        ).all()
        per_ref = Counter(rows)
        report.charged_twice = len(
            {
                ref
                for (ref, kind), n in per_ref.items()
                if n > 1 and kind in ("charge", "refund", "reservation", "release")
            }
        )
        [account] = db.session.scalars(select(Account)).all()  # one customer account per test
        report.balance = account.balance
        report.owed_balance = credit - owed
        report.ledger_mismatches = ledger.verify(db.session)
        report.pending_receipts = db.session.query(PendingReceipt).count()
        db.session.remove()
    return report


def unknown_parts_with_reason(app) -> int:
    """Parts whose outcome is unknown (a worker died with them upstream) and whose message's
    timeline says so: 'visibly waiting with a reason'."""
    with app.app_context():
        try:
            unknown = set(db.session.scalars(select(MessagePart.message_id).where(MessagePart.state == "unknown")))
            explained = set(db.session.scalars(select(MessageEvent.message_id).where(MessageEvent.kind == "unknown")))
            return len(unknown & explained) if unknown <= explained else -len(unknown - explained)
        finally:
            db.session.remove()


# -- PostgreSQL: no lock left behind ---------------------------------------------------------


def is_postgres(app) -> bool:
    return not app.config["SETTINGS"].is_sqlite


def idle_in_transaction(app, older_than: float = 5.0) -> list[tuple]:
    """Sessions of the test database idle in a transaction for longer than ``older_than`` s."""
    if not is_postgres(app):
        return []
    with app.app_context():
        with db.engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    text(
                        "SELECT pid, application_name, now() - state_change, left(query, 120) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND state = 'idle in transaction' "
                        "AND now() - state_change > make_interval(secs => :secs)"
                    ),
                    {"secs": older_than},
                )
            ]


def account_update_seconds(app) -> float:
    """How long an `UPDATE accounts` of every account takes (a held row lock makes it wait)."""
    started = time.monotonic()
    with app.app_context():
        with db.engine.begin() as conn:
            if is_postgres(app):
                conn.execute(text("SET LOCAL lock_timeout = '5s'"))
            conn.execute(text("UPDATE accounts SET balance = balance"))
    return time.monotonic() - started
