"""Account statements, the records: one Statement row per account and period, made on demand
(Account → Statements → Make) or by the monthly cron once the month has closed (final from then
on), its figures (webapp/services/statement_figures.py) kept in the row so listing and
downloading are quick."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.domain import lifecycle
from webapp.domain import statements as rules
from webapp.models import Account, LedgerEntry, Message, Statement, User
from webapp.models.types import utcnow
from webapp.services.errors import ServiceError
from webapp.services.statement_figures import compute, period_instants

# A period counts as closed (the cron's statement final) this long after its end: a transaction
# that stamped its rows just before the end has committed by then.
SETTLE = timedelta(minutes=10)


def make(session: Session, account_id: int, start: date, end: date, *, monthly: bool = False) -> Statement:
    """Make (or make again: the figures are replaced) the statement of [start, end). One row
    per account and period, also when two makers race: the loser updates the winner's row."""
    account = session.get_one(Account, account_id)
    figures: dict[str, Any] = dict(compute(session, account, start, end))  # the column's type: a JSON dict
    statement = _find(session, account_id, start, end)
    if statement is None:
        try:
            with session.begin_nested():
                statement = Statement(
                    account_id=account_id,
                    period_start=start,
                    period_end=end,
                    monthly=monthly,
                    figures=figures,
                    created_at=utcnow(),
                )
                session.add(statement)
            return statement
        except IntegrityError:
            statement = _find(session, account_id, start, end)
            assert statement is not None  # the other maker's row, which made this insert fail
    statement.figures, statement.monthly, statement.created_at = figures, statement.monthly or monthly, utcnow()
    session.flush()
    return statement


def _find(session: Session, account_id: int, start: date, end: date) -> Statement | None:
    return session.scalar(
        select(Statement).where(
            Statement.account_id == account_id, Statement.period_start == start, Statement.period_end == end
        )
    )


def is_final(statement: Statement, account: Account) -> bool:
    """Made after its period had closed: nothing can change its figures any more."""
    _, until = period_instants(account, statement.period_start, statement.period_end)
    return statement.created_at >= until + SETTLE


def make_monthly(session: Session, account_id: int, start: date, end: date) -> Statement | None:
    """The cron's statement of a closed month: made once; a statement of the same period made
    before the month was over (on demand) is made again. Safe to run twice."""
    account = session.get_one(Account, account_id)
    existing = _find(session, account_id, start, end)
    if existing is not None and is_final(existing, account):
        if not existing.monthly:
            existing.monthly = True
            session.flush()
        return None
    if utcnow() < period_instants(account, start, end)[1] + SETTLE:
        return None  # not over yet
    return make(session, account_id, start, end, monthly=True)


def due_monthly(session: Session, now: datetime | None = None) -> list[tuple[int, date, date]]:
    """Customer accounts whose last month (in their time zone) is closed, had ledger rows or
    (non-draft) messages, and has no final statement yet: one query per time zone in use,
    index probes per account."""
    now = now or utcnow()
    due = []
    for tz in session.scalars(select(Account.timezone).where(Account.kind == "customer").distinct()):
        start, end = rules.previous_month(now.astimezone(ZoneInfo(tz)).date())
        since, until = rules.local_midnight(start, tz), rules.local_midnight(end, tz)
        if now < until + SETTLE:
            continue
        ledger_rows = exists().where(
            LedgerEntry.account_id == Account.id, LedgerEntry.created_at >= since, LedgerEntry.created_at < until
        )
        messages = exists().where(
            Message.account_id == Account.id,
            Message.created_at >= since,
            Message.created_at < until,
            Message.status != lifecycle.DRAFT,
        )
        made = exists().where(
            Statement.account_id == Account.id,
            Statement.period_start == start,
            Statement.period_end == end,
            Statement.created_at >= until + SETTLE,
        )
        for account_id in session.scalars(
            select(Account.id)
            .where(Account.kind == "customer", Account.timezone == tz, or_(ledger_rows, messages), ~made)
            .order_by(Account.id)
        ):
            due.append((account_id, start, end))
    return due


def of_account(session: Session, actor: User) -> list[Statement]:
    """The account's statements, the newest period first."""
    return list(
        session.scalars(
            select(Statement)
            .where(Statement.account_id == actor.account_id)
            .order_by(Statement.period_end.desc(), Statement.period_start.desc(), Statement.id.desc())
        )
    )


def get(session: Session, actor: User, statement_id: int) -> Statement:
    """A statement of the actor's account (LookupError otherwise: the page answers 404)."""
    statement = session.get(Statement, statement_id)
    if statement is None or statement.account_id != actor.account_id:
        raise LookupError(statement_id)
    return statement


def make_on_demand(session: Session, actor: User, first: date, last: date) -> Statement:
    """Account → Statements → Make: the first and last day included, checked, made now."""
    account = actor.account
    today = utcnow().astimezone(ZoneInfo(account.timezone)).date()
    try:
        start, end = rules.check_period(first, last, today)
    except rules.InvalidPeriod as exc:
        raise ServiceError(str(exc), {exc.field: [str(exc)]}) from None
    return make(session, account.id, start, end)
