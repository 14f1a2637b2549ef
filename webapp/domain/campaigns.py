"""Campaign rules in plain Python: statuses, the expansion's tally, speed and duration,
monitoring copies and the start time in the account's time zone."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypedDict
from zoneinfo import ZoneInfo

from webapp.domain import N_

# draft → preparing (expansion job) → ready (summary shown) → scheduled | sending
# sending ⇄ paused; sending → completed; draft/ready/scheduled/sending/paused → cancelled
DRAFT, PREPARING, READY, SCHEDULED, SENDING, PAUSED, COMPLETED, CANCELLED = (
    "draft",
    "preparing",
    "ready",
    "scheduled",
    "sending",
    "paused",
    "completed",
    "cancelled",
)
EDITABLE = frozenset({DRAFT, READY})
RUNNING = frozenset({SCHEDULED, SENDING, PAUSED})
STATUS_LABELS = {
    DRAFT: N_("draft"),
    PREPARING: N_("preparing"),
    READY: N_("waiting for confirmation"),
    SCHEDULED: N_("scheduled"),
    SENDING: N_("sending"),
    PAUSED: N_("paused"),
    COMPLETED: N_("completed"),
    CANCELLED: N_("cancelled"),
}

LISTS, BATCH, PERSONALISED = "lists", "batch", "personalised"
KIND_LABELS = {LISTS: N_("To contact lists"), BATCH: N_("Batch upload"), PERSONALISED: N_("Personalised from a file")}

MONITOR_EVERY = (0, 100, 200, 500, 1000, 5000)
MAX_SPEED = 5000


def monitoring_copies(recipients: int, every: int) -> int:
    """A copy goes to the account's own phone after every ``every`` messages."""
    return recipients // every if every > 0 else 0


def is_monitoring_point(position: int, every: int) -> bool:
    """After the ``position``-th recipient (1-based) comes a monitoring copy."""
    return every > 0 and position > 0 and position % every == 0


def expected_duration(messages: int, speed: int) -> timedelta | None:
    """How long sending takes at ``speed`` messages per second (None: as fast as the routes go)."""
    if speed <= 0:
        return None
    return timedelta(seconds=-(-messages // speed))


def start_time(day: date | None, at: time | None, tz_name: str, now: datetime) -> datetime | None:
    """The start in UTC for a date and time typed in the account's time zone; None means now.
    A time already past is an error the form shows."""
    if day is None and at is None:
        return None
    tz = ZoneInfo(tz_name)
    local_now = now.astimezone(tz)
    local = datetime.combine(day or local_now.date(), at or time(0, 0), tzinfo=tz)
    try:
        start = local.astimezone(UTC)
    except OverflowError:  # 0001-01-01 or 9999-12-31 cannot be put in UTC
        raise ValueError(
            N_("The start time has already passed.")
            if local.year < now.year
            else N_("A campaign can be scheduled at most 90 days ahead.")
        ) from None
    if start < now - timedelta(minutes=1):
        raise ValueError(N_("The start time has already passed."))
    if start - now > timedelta(days=90):
        raise ValueError(N_("A campaign can be scheduled at most 90 days ahead."))
    return start


def paced_allowance(speed: int, started: float, now: float, dispatched: int, burst_seconds: float = 2.0) -> int:
    """How many more messages may go out now so that, from ``started`` on, the average holds at
    ``speed`` per second; a late tick catches up at most ``burst_seconds`` worth."""
    due = int((now - started) * speed) + speed  # one second's worth ahead: the tick runs each second
    return max(0, min(due - dispatched, int(speed * (1 + burst_seconds))))


class SummaryExample(TypedDict):
    """A rendered message as the summary shows it (Tally.longest, .typical, .samples)."""

    to: str
    text: str
    parts: int
    characters: int
    cost: str  # the Decimal as text


class SummaryProblem(TypedDict):
    """A refused row as the summary lists it (Tally.problems)."""

    row: int | str
    value: str
    reason: str
    detail: str


@dataclass
class Tally:
    """What the summary shows, counted row by row during the expansion (never all rows held)."""

    rows: int = 0
    recipients: int = 0  # messages that will be sent (not counting monitoring copies)
    refused: Counter[str] = field(default_factory=Counter)  # reason code → count
    parts: int = 0
    cost: Decimal = Decimal("0")
    monitoring: int = 0
    monitoring_cost: Decimal = Decimal("0")
    empty_cells: int = 0  # placeholders rendered empty
    rows_with_empty_cells: int = 0
    parts_histogram: Counter[int] = field(default_factory=Counter)  # parts → messages
    longest: SummaryExample | None = None  # {"text", "parts", "characters", "cost"}
    typical: SummaryExample | None = None  # an example with the most common part count
    samples: list[SummaryExample] = field(default_factory=list)  # first rendered messages
    problems: list[SummaryProblem] = field(default_factory=list)  # first refused rows: {"row", "value", "reason"}
    countries: Counter[str] = field(default_factory=Counter)
    price_min: Decimal | None = None  # the lowest and highest price per part of the messages counted
    price_max: Decimal | None = None
    gsm_replaced: int = 0  # messages sent with their non-GSM characters replaced (campaigns.gsm_safe)

    SAMPLES = 5
    PROBLEMS = 50

    def refuse(self, row: int | str, value: str, reason: str, detail: str = "") -> None:
        self.rows += 1
        self.refused[reason] += 1
        if len(self.problems) < self.PROBLEMS:
            self.problems.append({"row": row, "value": value, "reason": reason, "detail": detail})

    def add(
        self,
        to: str,
        text: str,
        parts: int,
        characters: int,
        cost: Decimal,
        country: str | None,
        empty: int = 0,
        price_per_part: Decimal | None = None,
        replaced: bool = False,
    ) -> None:
        self.rows += 1
        self.recipients += 1
        self.parts += parts
        self.cost += cost
        self.gsm_replaced += replaced
        self._price(price_per_part)
        self.countries[country or "?"] += 1
        if empty:
            self.empty_cells += empty
            self.rows_with_empty_cells += 1
        self.parts_histogram[parts] += 1
        example: SummaryExample = {"to": to, "text": text, "parts": parts, "characters": characters, "cost": str(cost)}
        if self.longest is None or (parts, characters) > (self.longest["parts"], self.longest["characters"]):
            self.longest = example
        if len(self.samples) < self.SAMPLES:
            self.samples.append(example)
        most_common = self.parts_histogram.most_common(1)[0][0]
        if self.typical is None or self.typical["parts"] != most_common and parts == most_common:
            self.typical = example

    def add_monitoring(self, parts: int, cost: Decimal, price_per_part: Decimal | None = None) -> None:
        self.monitoring += 1
        self.parts += parts
        self.monitoring_cost += cost
        self.cost += cost
        self._price(price_per_part)

    def _price(self, price_per_part: Decimal | None) -> None:
        if price_per_part is None:
            return
        if self.price_min is None or price_per_part < self.price_min:
            self.price_min = price_per_part
        if self.price_max is None or price_per_part > self.price_max:
            self.price_max = price_per_part

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "recipients": self.recipients,
            "refused": dict(self.refused),
            "parts": self.parts,
            "cost": str(self.cost),
            "monitoring": self.monitoring,
            "monitoring_cost": str(self.monitoring_cost),
            "empty_cells": self.empty_cells,
            "rows_with_empty_cells": self.rows_with_empty_cells,
            "parts_histogram": {str(k): v for k, v in sorted(self.parts_histogram.items())},
            "longest": self.longest,
            "typical": self.typical,
            "samples": self.samples,
            "problems": self.problems,
            "countries": dict(self.countries.most_common()),
            "price_min": None if self.price_min is None else str(self.price_min),
            "price_max": None if self.price_max is None else str(self.price_max),
            "gsm_replaced": self.gsm_replaced,
        }
