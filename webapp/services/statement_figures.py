"""A statement's figures: what compute() makes of a period of an account, from aggregate queries
(never a loop over messages or ledger rows), and the types of the JSON kept in Statement.figures.
The Statement rows themselves (made on demand or by the monthly cron) are webapp/services/statements.py.

What a period [start, end) of local dates shows, and where each figure comes from:

- opening / closing balance: the ledger's balance_after of the last row before the period's
  first / after-last instant; closing = opening + every listed movement, to the 1/10000 EUR
  (a ledger whose rows do not chain is refused, see LedgerMismatch);
- the movements are the period's ledger rows summed by kind (and sign);
- "SMS sent" and the tables by country and by day come from the messages table: the messages
  that went upstream in the period (``submitted_at``, the moment their reservation became a
  charge) with their parts and cost; drafts never count. The ledger's charges equal that
  total; a message charged a few milliseconds across the period's edge shows as its own line
  ("charge_timing") instead of being hidden;
- refunds for messages not delivered: the ledger's refund rows, by country through the
  message each one names (``msg:<id>``), by the day of the refund;
- credit held: a message's (or a campaign's) cost is reserved when accepted and released when
  it goes out (becoming a charge), expires or is cancelled; the period's reservations minus
  releases are the change in what is held for messages not yet sent, its own line;
- transfers to / from other accounts (subusers), adjustments, top-ups (and refunded top-ups)
  are listed one by one as well.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from sqlalchemy import BigInteger, ColumnElement, Date, and_, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from webapp.domain import N_, lifecycle
from webapp.domain import statements as rules
from webapp.models import Account, LedgerEntry, Message
from webapp.models.types import utcnow
from webapp.services import invoices
from webapp.services.errors import ServiceError
from webapp.services.ledger import KINDS

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

ZERO = Decimal("0.0000")
LISTED_KINDS = ("topup", "transfer", "adjustment")  # listed one by one (and any kind unknown here)


class LedgerMismatch(ServiceError):
    """The period's rows do not lead from the opening balance to the ledger's closing one."""


# The figures as kept in Statement.figures (JSON; version 1), what compute() makes and
# webapp.domain.statements.printed() reads. Amounts are strings of the exact Decimal (4 places).
class AccountFigures(TypedDict):
    id: int
    name: str


class LineFigures(TypedDict):
    key: str  # one of rules.LINES
    amount: str
    count: int


class UsageFigures(TypedDict):
    """A row of the tables by country and by day."""

    messages: int
    parts: int
    sent: str  # what the messages cost (positive)
    refunded: str  # the refund rows' sum (positive)
    refunds: int


class CountryFigures(UsageFigures):
    country: str  # "" when unknown


class DayFigures(UsageFigures):
    day: str  # ISO date, local


class EntryFigures(TypedDict):
    at: str  # ISO time, UTC
    kind: str
    line: str
    amount: str
    reason: str
    reference: str


class Figures(TypedDict):
    version: int
    currency: str
    timezone: str
    start: str  # ISO dates: [start, end)
    end: str
    since: str  # ISO times, UTC: the period's instants
    until: str
    made_at: str
    account: AccountFigures
    buyer: dict[str, str]
    opening: str
    closing: str
    ledger_charges: str
    lines: list[LineFigures]
    by_country: list[CountryFigures]
    by_day: list[DayFigures]
    entries: list[EntryFigures]


@dataclass
class _Line:
    """A summary line while it is summed: its amount and how many rows made it."""

    amount: Decimal
    count: int


class _Usage(TypedDict):
    """A row of the tables by country and by day while it is summed."""

    messages: int
    parts: int
    sent: Decimal
    refunded: Decimal
    refunds: int


_Key = TypeVar("_Key", bound="SupportsRichComparison")


def period_instants(account: Account, start: date, end: date) -> tuple[datetime, datetime]:
    return rules.local_midnight(start, account.timezone), rules.local_midnight(end, account.timezone)


def _balance_before(session: Session, account_id: int, instant: datetime) -> Decimal:
    """The ledger's balance just before ``instant``: the last row's balance_after (rows of one
    account are written under its row lock, so time and id order agree)."""
    value = session.scalar(
        select(LedgerEntry.balance_after)
        .where(LedgerEntry.account_id == account_id, LedgerEntry.created_at < instant)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .limit(1)
    )
    return ZERO if value is None else value


def _line_of(kind: str, negative: bool) -> str:
    return {
        "topup": "topups_refunded" if negative else "topups",
        "refund": "sms_refunds",
        "reservation": "held",
        "release": "held",
        "charge": "charge_timing",
        "transfer": "transfers_out" if negative else "transfers_in",
        "adjustment": "adjustments",
    }.get(kind, "other")


def _local_day(
    session: Session, column: InstrumentedAttribute[datetime | None], account: Account, start: date, end: date
) -> tuple[ColumnElement[Any], Callable[[Any], date]]:
    """An SQL expression for the local day of ``column`` (a UTC time) and how to read it back:
    PostgreSQL converts time zones itself; elsewhere a CASE over the days' UTC starts."""
    if session.get_bind().dialect.name == "postgresql":
        zone: ColumnElement[Any] = literal_column("'" + account.timezone.replace("'", "") + "'")
        return cast(func.timezone(zone, func.timezone(literal_column("'UTC'"), column)), Date), lambda v: v
    starts = rules.day_starts(start, end, account.timezone)

    def day_index(lo: int, hi: int) -> ColumnElement[Any]:  # a binary search: ~5 comparisons a row for a month, not ~15
        if hi - lo == 1:
            return literal_column(str(lo))
        mid = (lo + hi) // 2
        return case((column < starts[mid], day_index(lo, mid)), else_=day_index(mid, hi))

    return day_index(0, len(starts) - 1), lambda i: start + timedelta(days=int(i))


def compute(session: Session, account: Account, start: date, end: date) -> Figures:
    """The figures of [start, end) in the account's time zone (see the module's docstring)."""
    since, until = period_instants(account, start, end)
    in_period = (LedgerEntry.account_id == account.id, LedgerEntry.created_at >= since, LedgerEntry.created_at < until)
    opening = _balance_before(session, account.id, since)
    ledger_closing = _balance_before(session, account.id, until)

    lines = _ledger_lines(session, in_period)
    ledger_charges = lines["charge_timing"].amount
    by_country: defaultdict[str, _Usage] = defaultdict(_usage)
    by_day: defaultdict[date, _Usage] = defaultdict(_usage)
    sent_total, sent_count = _add_sms_sent(session, account, (start, end), (since, until), by_country, by_day)
    lines["sms_sent"] = _Line(-sent_total, sent_count)
    lines["charge_timing"] = _Line(ledger_charges + sent_total, 0)
    lines["held"].count = 0  # rows of reservations and releases: not a count anyone reads
    _add_sms_refunds(session, account, start, end, in_period, by_country, by_day)
    entries = _listed_entries(session, in_period)
    closing = _closing_balance(opening, lines, ledger_closing)

    return {
        "version": 1,
        "currency": account.currency,
        "timezone": account.timezone,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "since": since.isoformat(),
        "until": until.isoformat(),
        "made_at": utcnow().isoformat(),
        "account": {"id": account.id, "name": account.name},
        "buyer": buyer_of(session, account),
        "opening": str(opening),
        "closing": str(closing),
        "ledger_charges": str(ledger_charges),
        "lines": [{"key": key, "amount": str(lines[key].amount), "count": lines[key].count} for key in rules.LINES],
        "by_country": [
            {"country": label, **row}
            for label, row in _table(by_country, lambda item: (-item[1]["sent"], -item[1]["refunded"], item[0]))
        ],
        "by_day": [
            {"day": label, **row}
            for label, row in _table({d.isoformat(): r for d, r in by_day.items()}, lambda item: item[0])
        ],
        "entries": entries,
    }


def _ledger_lines(session: Session, in_period: tuple[ColumnElement[bool], ...]) -> dict[str, _Line]:
    """The period's ledger rows by kind and sign, in one pass: each line's amount and count."""
    negative = case((LedgerEntry.amount < 0, literal_column("1")), else_=literal_column("0")).label("negative")
    lines = {key: _Line(ZERO, 0) for key in rules.LINES}
    for kind, neg, count, amount in session.execute(
        select(LedgerEntry.kind, negative, func.count(), func.sum(LedgerEntry.amount))
        .where(*in_period)
        .group_by(LedgerEntry.kind, literal_column("negative"))
    ):
        line = lines[_line_of(kind, bool(int(neg)))]
        line.amount += amount
        line.count += count
    return lines


def _usage() -> _Usage:
    """A row of the tables by country and by day."""
    return {"messages": 0, "parts": 0, "sent": ZERO, "refunded": ZERO, "refunds": 0}


def _add_sms_sent(
    session: Session,
    account: Account,
    days: tuple[date, date],
    instants: tuple[datetime, datetime],
    by_country: defaultdict[str, _Usage],
    by_day: defaultdict[date, _Usage],
) -> tuple[Decimal, int]:
    """The messages sent in the period (its local days and their UTC bounds), by country and local
    day in one grouped query, added to the tables; returns their total cost and count."""
    (start, end), (since, until) = days, instants
    day, read_day = _local_day(session, Message.submitted_at, account, start, end)
    sent_total, sent_count = ZERO, 0
    for country, local, count, parts, cost in session.execute(
        select(Message.country, day.label("day"), func.count(), func.sum(Message.parts), func.sum(Message.cost))
        .where(
            Message.account_id == account.id,
            Message.submitted_at >= since,
            Message.submitted_at < until,
            Message.status != lifecycle.DRAFT,
        )
        .group_by(Message.country, literal_column("day"))
    ):
        for row in (by_country[country or ""], by_day[read_day(local)]):
            row["messages"] += count
            row["parts"] += int(parts or 0)
            row["sent"] += cost or ZERO
        sent_total += cost or ZERO
        sent_count += count
    return sent_total, sent_count


def _add_sms_refunds(
    session: Session,
    account: Account,
    start: date,
    end: date,
    in_period: tuple[ColumnElement[bool], ...],
    by_country: defaultdict[str, _Usage],
    by_day: defaultdict[date, _Usage],
) -> None:
    """The period's refunds added to the tables: by the country of the message each names, and
    by the day of the refund."""
    message_id = case(
        (LedgerEntry.reference.like("msg:%"), cast(func.substr(LedgerEntry.reference, 5), BigInteger)), else_=None
    )
    refund_day, read_refund_day = _local_day(session, LedgerEntry.created_at, account, start, end)
    for country, local, count, amount in session.execute(
        select(Message.country, refund_day.label("day"), func.count(), func.sum(LedgerEntry.amount))
        .select_from(LedgerEntry)
        .outerjoin(Message, and_(Message.id == message_id, Message.account_id == account.id))
        .where(*in_period, LedgerEntry.kind == "refund")
        .group_by(Message.country, literal_column("day"))
    ):
        for row in (by_country[country or ""], by_day[read_refund_day(local)]):
            row["refunded"] += amount
            row["refunds"] += count


def _listed_entries(session: Session, in_period: tuple[ColumnElement[bool], ...]) -> list[EntryFigures]:
    """Top-ups, transfers and adjustments (and any kind unknown here) one by one (few rows)."""
    return [
        {
            "at": at.isoformat(),
            "kind": kind,
            "line": _line_of(kind, amount < 0),
            "amount": str(amount),
            "reason": reason,
            "reference": reference,
        }
        for at, kind, amount, reason, reference in session.execute(
            select(
                LedgerEntry.created_at, LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.reason, LedgerEntry.reference
            )
            .where(*in_period, or_(LedgerEntry.kind.in_(LISTED_KINDS), LedgerEntry.kind.not_in(sorted(KINDS))))
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
        )
    ]


def _closing_balance(opening: Decimal, lines: dict[str, _Line], ledger_closing: Decimal) -> Decimal:
    """Opening plus every line's movement; LedgerMismatch unless it is the ledger's own closing balance."""
    movements = sum((line.amount for line in lines.values()), ZERO)
    closing = opening + movements
    if closing != ledger_closing:
        raise LedgerMismatch(
            N_("The ledger does not add up for this period; support has to check it (flask ledger verify).")
        )
    return closing


def _table(rows: Mapping[str, _Usage], order: Callable[[tuple[str, _Usage]], _Key]) -> list[tuple[str, UsageFigures]]:
    """A table of the statement (by country or by day), its amounts as strings, in ``order``:
    each row's label and figures."""
    return [
        (
            label,
            {
                "messages": r["messages"],
                "parts": r["parts"],
                "sent": str(r["sent"]),
                "refunded": str(r["refunded"]),
                "refunds": r["refunds"],
            },
        )
        for label, r in sorted(rows.items(), key=order)
    ]


def buyer_of(session: Session, account: Account) -> dict[str, str]:
    """The billing details as they are when the statement is made, else the account's name."""
    return invoices.buyer_of(session, account.id) or {"company_name": account.name}
