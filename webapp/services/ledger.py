"""Posting ledger rows. The balance moves in one conditional UPDATE, never read-then-write."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.models import Account, LedgerEntry, User
from webapp.models.types import utcnow
from webapp.services.bulk_rows import insert_rows
from webapp.services.errors import ServiceError

LedgerRow = tuple[Decimal, str, str, str]  # amount, kind, reason, reference (see post_many)

KINDS = frozenset({"topup", "reservation", "charge", "release", "refund", "adjustment", "transfer"})


class InsufficientCredit(ServiceError):
    pass


def post(
    session: Session,
    account: Account,
    amount: Decimal,
    *,
    kind: str,
    reason: str,
    actor: User | None,
    reference: str = "",
) -> LedgerEntry:
    """Add ``amount`` (signed) to the account's balance and record it.

    A debit that would take the balance below ``-credit_limit`` is refused: the
    condition is part of the UPDATE, so two concurrent debits cannot both pass.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown ledger kind {kind!r}")
    stmt = (
        update(Account)
        .where(Account.id == account.id)
        .values(balance=Account.balance + amount)
        .returning(Account.balance)
    )
    if amount < 0:
        stmt = stmt.where(Account.balance + amount >= -Account.credit_limit)
    new_balance = session.execute(stmt.execution_options(synchronize_session=False)).scalar()
    if new_balance is None:
        raise InsufficientCredit("Insufficient credit.")
    entry = LedgerEntry(
        account_id=account.id,
        amount=amount,
        balance_after=new_balance,
        kind=kind,
        reason=reason,
        reference=reference,
        actor_user_id=actor.id if actor else None,
    )
    session.add(entry)
    session.flush()
    session.expire(account, ["balance"])
    return entry


def post_many(session: Session, account: Account, entries: list[LedgerRow], *, actor: User | None) -> bool:
    """Post many rows (amount, kind, reason, reference) with one conditional UPDATE of the balance.

    All or nothing: False (and nothing written) when the total would take the balance below
    ``-credit_limit``. Each row's balance_after follows the order given; the UPDATE holds the
    account's row lock until commit, so concurrent batches cannot interleave.
    """
    if not entries:
        return True
    for _, kind, _, _ in entries:
        if kind not in KINDS:
            raise ValueError(f"unknown ledger kind {kind!r}")
    total = sum((amount for amount, *_ in entries), Decimal("0"))
    stmt = (
        update(Account)
        .where(Account.id == account.id)
        .values(balance=Account.balance + total)
        .returning(Account.balance)
    )
    if total < 0:
        stmt = stmt.where(Account.balance + total >= -Account.credit_limit)
    new_balance = session.execute(stmt.execution_options(synchronize_session=False)).scalar()
    if new_balance is None:
        return False
    running, now, rows = new_balance - total, utcnow(), []
    for amount, kind, reason, reference in entries:
        running += amount
        rows.append(
            {
                "account_id": account.id,
                "amount": amount,
                "balance_after": running,
                "kind": kind,
                "reason": reason,
                "reference": reference,
                "actor_user_id": actor.id if actor else None,
                "created_at": now,
            }
        )
    insert_rows(session, LedgerEntry.__table__, rows)
    session.expire(account, ["balance"])
    return True


def available(session: Session, account: Account) -> Decimal:
    """What the account can still spend (balance plus credit limit), read fresh."""
    balance, limit = (
        session.execute(select(Account.balance, Account.credit_limit).where(Account.id == account.id)).tuples().one()
    )
    return balance + limit


@dataclass(frozen=True)
class Mismatch:
    account_id: int
    cached: Decimal
    ledger_sum: Decimal


def verify(session: Session) -> list[Mismatch]:
    """Accounts whose cached balance differs from the sum of their ledger rows."""
    sums = (
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount).label("total"))
        .group_by(LedgerEntry.account_id)
        .subquery()
    )
    rows = session.execute(
        select(Account.id, Account.balance, sums.c.total).outerjoin(sums, sums.c.account_id == Account.id)
    ).all()
    mismatches = []
    for account_id, cached, total in rows:
        total = total if total is not None else Decimal("0.0000")  # sum() keeps the Money type
        if cached != total:
            mismatches.append(Mismatch(account_id, cached, total))
    return mismatches
