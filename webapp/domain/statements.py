"""Account statements: periods, the summary's lines, and printing amounts to the cent so that
the printed lines add up to the printed totals. Plain Python (dates, Decimal, zoneinfo).

A statement covers [start, end) of dates in the account's time zone. Its exact figures keep
4 decimals (prices per SMS part are sub-cent); the documents print cents. Rounding each line
half up on its own can make a column disagree with its total by a cent or more. The summary's
lines are each rounded half up (the figure every page shows for them), with a rounding line
when they do not add up to the rounded balances; the tables' rows are the exact ones rounded by
the largest-remainder method to their line: within a cent of their exact value, adding up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from webapp.domain import N_

CENT = Decimal("0.01")
ZERO = Decimal("0")
MAX_MONTHS = 13

# The summary's movements, in the order printed: key → label. The lines marked optional are
# printed only when they are not zero; the others always are.
LINES = {
    "topups": N_("Top-ups"),
    "topups_refunded": N_("Top-ups refunded"),
    "sms_sent": N_("SMS sent (by country and by day below)"),
    "sms_refunds": N_("Refunds for messages not delivered"),
    "charge_timing": N_("SMS charged at the period's edge, sent on the other side of it"),
    "held": N_("Credit held for messages accepted but not yet sent (change)"),
    "transfers_out": N_("Transfers to other accounts"),
    "transfers_in": N_("Transfers from other accounts"),
    "adjustments": N_("Adjustments"),
    "other": N_("Other movements"),
}
OPTIONAL_LINES = frozenset({"topups_refunded", "charge_timing", "other"})
# Printed only when the lines, each rounded half up as every page rounds it, do not add up to the
# rounded balances: the cents that makes them add up (the exact figures need no such line).
ROUNDING = "rounding"
LABELS = {**LINES, ROUNDING: N_("Rounding to the cent")}


class InvalidPeriod(ValueError):
    def __init__(self, message: str, field: str = "start"):
        super().__init__(message)
        self.field = field


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), the month's last day when it has fewer days."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def month_of(day: date) -> tuple[date, date]:
    """[first day of day's month, first day of the next month)."""
    start = day.replace(day=1)
    return start, add_months(start, 1)


def previous_month(today: date) -> tuple[date, date]:
    start, _ = month_of(today)
    return add_months(start, -1), start


def check_period(first: date, last: date, today: date) -> tuple[date, date]:
    """A period chosen on the page: first and last day included, in the account's time zone.
    Returns [start, end) or raises InvalidPeriod naming the field at fault."""
    if first > last:
        raise InvalidPeriod(N_("The first day must not be after the last day."), "start")
    if last > today:
        raise InvalidPeriod(N_("The last day cannot be in the future."), "end")
    end = last + timedelta(days=1)
    if end > add_months(first, MAX_MONTHS):
        raise InvalidPeriod(N_("A statement covers at most 13 months."), "start")
    return first, end


def local_midnight(day: date, tz: str) -> datetime:
    """The UTC instant the day starts at in the time zone (a day whose midnight does not exist
    in a DST change starts at the first instant that does)."""
    # fold=0: a midnight skipped by the clocks maps with the offset before the jump, which is
    # the instant of the jump itself.
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def day_starts(start: date, end: date, tz: str) -> list[datetime]:
    """UTC instants at which each day of [start, end) starts, and the end: len = days + 1."""
    return [local_midnight(start + timedelta(days=i), tz) for i in range((end - start).days + 1)]


def cents(value: Decimal) -> Decimal:
    """Half-up to the cent, as a balance is printed."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(values: list[Decimal], total: Decimal) -> list[Decimal]:
    """Round each value to the cent so that the results add up to `total` (a whole number of
    cents, close to the exact sum): each floored, then the missing cents go to the values with
    the largest remainders (on a tie a positive value first, then the earlier one). Each result
    is within a cent of its value; a value with no remainder is left as it is unless every other
    value has had its cent. Deterministic."""
    if not values:
        if total != ZERO:
            raise ValueError("nothing to allocate a non-zero total to")
        return []
    floors = [v.quantize(CENT, rounding=ROUND_FLOOR) for v in values]
    remainders = [v - f for v, f in zip(values, floors)]
    missing = int((total - sum(floors, ZERO)) / CENT)
    if (total - sum(floors, ZERO)) % CENT:
        raise ValueError("the total must be a whole number of cents")
    result = list(floors)
    if missing >= 0:
        # On a tie, a positive value goes up first: the result stays what half-up would print.
        order = sorted(range(len(values)), key=lambda i: (-remainders[i], values[i] < 0, i))
        step = CENT
    else:  # the total is below the floors: take cents back where the remainder is smallest
        order = sorted(range(len(values)), key=lambda i: (remainders[i], i))
        step, missing = -CENT, -missing
    for n in range(missing):
        result[order[n % len(order)]] += step
    return result


@dataclass(frozen=True)
class Line:
    key: str
    amount: Decimal  # printed, to the cent
    exact: Decimal
    count: int


@dataclass(frozen=True)
class Row:
    label: str  # a country code or an ISO date
    messages: int
    parts: int
    sent: Decimal  # printed cents, positive: what the messages cost
    refunded: Decimal  # printed cents, positive: given back

    @property
    def net(self) -> Decimal:
        return self.sent - self.refunded


@dataclass(frozen=True)
class Entry:
    """A top-up, transfer or adjustment listed on its own."""

    at: str  # ISO time, UTC
    kind: str
    line: str
    reason: str
    reference: str
    amount: Decimal  # printed cents; a line's entries add up to the line


@dataclass(frozen=True)
class Printed:
    """A statement's figures as the documents print them: cents that add up."""

    opening: Decimal
    closing: Decimal
    lines: list[Line]
    by_country: list[Row]
    by_day: list[Row]
    total: Row
    entries: list[Entry]

    def line(self, key: str) -> Line:
        return next(line for line in self.lines if line.key == key)


def _d(value: object) -> Decimal:
    return Decimal(str(value))


def printed(figures: dict[str, Any]) -> Printed:
    """Round stored figures for print. Opening and closing are the balances rounded half up
    (so one statement's closing is the next one's opening); each movement is rounded half up
    too, as every page and report rounds it (SMS sent €0.035 prints 0.04 here as on the
    dashboard), and when they do not add up to the balances' difference a rounding line says by
    how many cents; the tables' columns are allocated to the summary's SMS lines."""
    opening, closing = cents(_d(figures["opening"])), cents(_d(figures["closing"]))
    shown = [
        line
        for line in figures["lines"]
        if line["key"] not in OPTIONAL_LINES or _d(line["amount"]) != ZERO or line.get("count")
    ]
    lines = [
        Line(line["key"], cents(_d(line["amount"])), _d(line["amount"]), int(line.get("count", 0))) for line in shown
    ]
    off = closing - opening - sum((line.amount for line in lines), ZERO)
    if off:
        lines.append(Line(ROUNDING, off, ZERO, 0))
    sent = -next((line.amount for line in lines if line.key == "sms_sent"), ZERO)
    refunded = next((line.amount for line in lines if line.key == "sms_refunds"), ZERO)

    def rows(items: list[dict[str, Any]], key: str) -> list[Row]:
        sent_cols = allocate([_d(r["sent"]) for r in items], sent)
        refund_cols = allocate([_d(r["refunded"]) for r in items], refunded)
        return [
            Row(r[key], int(r["messages"]), int(r["parts"]), s, f) for r, s, f in zip(items, sent_cols, refund_cols)
        ]

    by_country, by_day = rows(figures["by_country"], "country"), rows(figures["by_day"], "day")
    total = Row("", sum(r.messages for r in by_country), sum(r.parts for r in by_country), sent, refunded)
    printed_line = {line.key: line.amount for line in lines}
    listed = figures.get("entries", [])
    per_entry: dict[int, Decimal] = {}
    for key in dict.fromkeys(e["line"] for e in listed):
        mine = [i for i, e in enumerate(listed) if e["line"] == key]
        per_entry.update(zip(mine, allocate([_d(listed[i]["amount"]) for i in mine], printed_line.get(key, ZERO))))
    entries = [
        Entry(e["at"], e["kind"], e["line"], e["reason"], e["reference"], per_entry[i]) for i, e in enumerate(listed)
    ]
    return Printed(opening, closing, lines, by_country, by_day, total, entries)
