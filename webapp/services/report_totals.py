"""Reports → All reports (sendSMS "Toate rapoartele"): a period's messages, parts, delivery and
cost, in total and by country, network, day, status and sender ID.

PostgreSQL reads the report tallies (services/report_tallies.py: messages counted per account,
quarter hour, status, country, network, sender ID and campaign, kept by triggers), in one scan
with GROUPING SETS (by local day, country, network and sender ID, each by status): a month of a
million messages is a few thousand tally rows. SQLite groups the messages themselves, one query
per table. The status table and the totals are the days' groups added up here. Cost is the
ledger's (services/message_costs.py): ``charged`` for messages that went out (refunds deducted),
``reserved`` for those still waiting to go, 0 for those never sent; so every table's cost adds
up to what the ledger took for the period.

"Messages" counts every message of the period but the drafts of unconfirmed campaigns, the
never-sent ones too (as "not sent", at no cost); "parts" are those of the messages that went
out or are waiting to (never-sent parts are not sent, nor billed).

Network: the operator of the number's range when the message was accepted (``messages.network``,
webapp/domain/networks.py; migration 0021 named the older messages).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, cast, func, select, tuple_
from sqlalchemy.orm import Session

from webapp.domain import lifecycle
from webapp.domain.charts import StatusCounts
from webapp.domain.message_cost import NEVER_SENT
from webapp.domain.report_periods import Period, bounds
from webapp.domain.statements import allocate, cents
from webapp.models import Campaign, User
from webapp.services.message_counts import Counted, counted
from webapp.services.subusers import visible_account_ids

QUARTER = 900  # SQLite: seconds of the UTC buckets turned into local days here
DELIVERED = frozenset({lifecycle.DELIVRD})
PENDING = frozenset({lifecycle.ACCEPTED, lifecycle.QUEUED, lifecycle.SUBMITTED})
ZERO = Decimal("0")


@dataclass(frozen=True)
class ReportFilter:
    """What All reports shows: a period (in the account's time zone) and optionally one account
    (a parent: itself or a subuser; None = all it sees), one sender ID, one campaign."""

    period: Period
    account_id: int | None = None
    sender: str = ""
    campaign_id: int | None = None


def outcome(status: str) -> str:
    """The chart's four kinds: delivered, failed, pending, not_sent."""
    if status in DELIVERED:
        return "delivered"
    if status in lifecycle.NOT_DELIVERED:
        return "failed"
    if status in NEVER_SENT:
        return "not_sent"
    return "pending"


@dataclass
class Line:
    """One row of a table (or the totals): ``key`` is a country code, a network name, an ISO
    day, a status or a sender ID."""

    key: str
    messages: int = 0
    parts: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    not_sent: int = 0
    charged: Decimal = ZERO
    reserved: Decimal = ZERO
    # As printed, to the cent: allocated so that a table's rows add up to its rounded total
    # (domain/statements.allocate, as the statements do); the exact figures stay above.
    charged_shown: Decimal = ZERO
    reserved_shown: Decimal = ZERO

    @property
    def delivery_rate(self) -> float | None:
        return lifecycle.delivery_rate(self.delivered, self.failed)

    @property
    def cost(self) -> Decimal:
        """What the ledger holds for these messages: charged and reserved."""
        return self.charged + self.reserved

    def add(self, status: str, messages: int, parts: int, charged: Decimal, reserved: Decimal) -> None:
        kind = outcome(status)
        setattr(self, kind, getattr(self, kind) + messages)
        self.messages += messages
        self.parts += parts
        self.charged += charged
        self.reserved += reserved


@dataclass
class AllReports:
    filter: ReportFilter
    totals: Line = field(default_factory=lambda: Line(""))
    by_country: list[Line] = field(default_factory=list)
    by_network: list[Line] = field(default_factory=list)
    by_day: list[Line] = field(default_factory=list)
    by_status: list[Line] = field(default_factory=list)
    by_sender: list[Line] = field(default_factory=list)

    def chart_days(self) -> dict[date, StatusCounts]:
        return {
            date.fromisoformat(line.key): StatusCounts(line.delivered, line.failed, line.pending, line.not_sent)
            for line in self.by_day
        }


def accounts_of(session: Session, actor: User, account_id: int | None) -> list[int]:
    """The accounts the report reads: those the actor sees, or the one it picked among them."""
    visible = visible_account_ids(session, actor)
    return visible if account_id is None else [a for a in visible if a == account_id]


def _conditions(session: Session, actor: User, f: ReportFilter, rows: Counted) -> list[ColumnElement[bool]]:
    start, end = bounds(f.period, actor.account.timezone)
    conditions = [
        rows.account_id.in_(accounts_of(session, actor, f.account_id)),
        *rows.between(start, end),
        rows.status != lifecycle.DRAFT,
    ]
    if f.sender:
        conditions.append(rows.sender == f.sender)
    if f.campaign_id:
        conditions.append(rows.campaign_id == f.campaign_id)
    return conditions


def _day_column(session: Session, tz: str, created: Any) -> ColumnElement[Any]:
    """PostgreSQL: the local day itself. SQLite (no time zones): the UTC quarter hour, made a
    local day in Python (every time zone's offset is a whole number of quarter hours)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(tz, func.timezone("UTC", created)))
    return cast(func.strftime("%s", created), Integer) // QUARTER


def _local_day(value: object, zone: ZoneInfo) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return datetime.fromtimestamp(int(str(value)) * QUARTER, UTC).astimezone(zone).date()


def _sorted(lines: Iterable[Line], by_key: bool = False) -> list[Line]:
    if by_key:
        return sorted(lines, key=lambda line: line.key)
    return sorted(lines, key=lambda line: (-line.messages, -line.cost, line.key))


def _grouped(session: Session, actor: User, f: ReportFilter) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(table, row) per group: the groups of each table (by day, country, network, sender; each
    by status too), with the count, parts, charged and reserved. PostgreSQL: one scan of the
    tallies (GROUPING SETS, GROUPING() says which set a row is of); SQLite: one query of the
    messages per table."""
    rows = counted(session)
    day = _day_column(session, actor.account.timezone, rows.created)
    sets = {"day": day, "country": rows.country, "network": rows.network, "sender": rows.sender}
    conditions = _conditions(session, actor, f, rows)
    if session.get_bind().dialect.name != "postgresql":
        for name, key in sets.items():
            query = select(key, rows.status, *rows.figures()).where(*conditions).group_by(key, rows.status)
            query = query.having(rows.count != 0)
            for row in session.execute(query):
                yield name, tuple(row)
        return
    # First the period's rows added up by (day, country, network, sender, status): a month's
    # tens of thousands of quarter-hour tallies become a few thousand; then the four tables.
    by_day = (
        select(
            *(key.label(name) for name, key in sets.items()),
            rows.status.label("status"),
            *(func.sum(getattr(rows, name)).label(name) for name in ("messages", "parts", "cost", "refunded")),
        )
        .where(*conditions)
        .group_by(*sets.values(), rows.status)
        .subquery("by_day")
    )
    c = by_day.c
    summed = Counted(None, False, None, c.status, None, None, None, None, c.messages, c.parts, c.cost, c.refunded)
    columns = [c[name] for name in sets]
    which = func.grouping(*columns)
    names = {sum(1 << (len(columns) - 1 - j) for j in range(len(columns)) if j != i): n for i, n in enumerate(sets)}
    query = (
        select(which, *columns, c.status, *summed.figures())
        .group_by(func.grouping_sets(*(tuple_(key, c.status) for key in columns)))
        .having(summed.count != 0)  # keys whose changes cancelled out, not compacted yet
    )
    for mask, *keys, status, count, parts, charged, reserved in session.execute(query):
        name = names[mask]
        yield name, (keys[list(sets).index(name)], status, count, parts, charged, reserved)


def all_reports(session: Session, actor: User, f: ReportFilter) -> AllReports:
    """The period's totals and tables (see the module's docstring)."""
    zone = ZoneInfo(actor.account.timezone)
    tables: dict[str, dict[str, Line]] = {name: {} for name in ("country", "network", "day", "status", "sender")}
    result = AllReports(f)
    for name, (key, status, count, parts, charged, reserved) in _grouped(session, actor, f):
        values = (status, int(count), int(parts), charged or ZERO, reserved or ZERO)
        if name == "day":
            key = _local_day(key, zone).isoformat()
            tables["status"].setdefault(status, Line(status)).add(*values)
            result.totals.add(*values)
        tables[name].setdefault(key or "", Line(key or "")).add(*values)
    result.by_country = _sorted(tables["country"].values())
    result.by_network = _sorted(tables["network"].values())
    result.by_day = _sorted(tables["day"].values(), by_key=True)
    result.by_status = _sorted(tables["status"].values())
    result.by_sender = _sorted(tables["sender"].values())
    for lines in (
        [result.totals],
        result.by_country,
        result.by_network,
        result.by_day,
        result.by_status,
        result.by_sender,
    ):
        _to_the_cent(lines)
    return result


def _to_the_cent(lines: list[Line]) -> None:
    """Each row's charged and reserved to the cent, adding up to the table's total rounded half up
    (every table splits the same messages, so its total is the page's)."""
    for name in ("charged", "reserved"):
        exact = [getattr(line, name) for line in lines]
        for line, shown in zip(lines, allocate(exact, cents(sum(exact, ZERO)))):
            setattr(line, f"{name}_shown", shown)


def campaign_choices(session: Session, actor: User, limit: int = 200) -> list[tuple[int, str]]:
    """(id, name) of the campaigns the actor sees, newest first, for the "Campaign" filter."""
    accounts = visible_account_ids(session, actor)
    return [
        (cid, name or f"#{cid}")
        for cid, name in session.execute(
            select(Campaign.id, Campaign.name)
            .where(Campaign.account_id.in_(accounts))
            .order_by(Campaign.id.desc())
            .limit(limit)
        )
    ]


def today_in(tz: str, now: datetime | None = None) -> date:
    """The account's local date now."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()


def last_days(
    session: Session, actor: User, days: int = 30, now: datetime | None = None
) -> tuple[date, date, dict[date, int]]:
    """The dashboard's strip: messages that went out or wait to (not the never-sent) of the
    actor's own account on each of the last ``days`` local days, today included."""
    last = today_in(actor.account.timezone, now)
    first = last - timedelta(days=days - 1)
    f = ReportFilter(Period("custom", first, last), account_id=actor.account_id)
    rows = counted(session)
    day = _day_column(session, actor.account.timezone, rows.created)
    zone = ZoneInfo(actor.account.timezone)
    counts: dict[date, int] = {}
    for value, count in session.execute(
        select(day, rows.count)
        .where(*_conditions(session, actor, f, rows), rows.status.not_in(sorted(NEVER_SENT)))
        .group_by(day)
        .having(rows.count != 0)
    ):
        local = _local_day(value, zone)
        counts[local] = counts.get(local, 0) + int(count)
    return first, last, counts
