"""The staff console: one search box over accounts, users and messages, and one account's overview.

Every query is bounded (LIMIT) and compares whole values on indexed columns: users.username (unique),
users.phone, users.account_id, accounts.id/parent_id, messages.id, message_parts (route_id, upstream_id)
— the route list is small, so `route_id IN (...) AND upstream_id = ?` uses that index — and
per-account (account_id, created_at) indexes for the overview, payments.reference / processor_ref
(unique) and invoices (series, number) (unique). Not indexed yet, still bounded: users.email and
billing_profiles.invoice_email (lower()), accounts.name (prefix), messages.to, payments.refund_ref."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from webapp.domain.billing import parse_invoice_number
from webapp.domain.phone import InvalidNumber, normalize
from webapp.models import (
    Account,
    BillingProfile,
    Campaign,
    Invoice,
    LedgerEntry,
    Message,
    MessagePart,
    Payment,
    User,
)
from webapp.models.routes import Route

LIMIT = 20


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


_Row = TypeVar("_Row", bound=_HasId)


@dataclass
class Results:
    query: str
    accounts: list[Account] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    phone: str | None = None  # the query read as a phone number (E.164), when it is one

    @property
    def empty(self) -> bool:
        return not (self.accounts or self.users or self.messages or self.payments or self.invoices)


def as_phone(query: str, default_region: str = "RO") -> str | None:
    digits = sum(ch.isdigit() for ch in query)
    if digits < 6:
        return None
    try:
        return normalize(query, default_region)
    except (InvalidNumber, ValueError):
        return None


def _unique(rows: Iterable[_Row]) -> list[_Row]:
    seen: set[int] = set()
    out: list[_Row] = []
    for row in rows:
        if row.id not in seen:
            seen.add(row.id)
            out.append(row)
    return out


def search(session: Session, query: str, *, default_region: str = "RO", limit: int = LIMIT) -> Results:
    query = (query or "").strip()[:120]
    results = Results(query=query)
    if not query:
        return results
    phone = results.phone = as_phone(query, default_region)
    number = int(query.lstrip("#")) if query.lstrip("#").isdigit() and len(query) < 19 else None

    user_match = [User.username == query, func.lower(User.email) == query.lower()]
    if phone:
        user_match.append(User.phone == phone)
    results.users = list(session.scalars(select(User).where(or_(*user_match)).order_by(User.id).limit(limit)))
    results.payments = _payments(session, query, limit)
    results.invoices = _invoices(session, query, limit)

    accounts = [u.account for u in results.users]
    if number is not None:
        account = session.get(Account, number)
        if account is not None:
            accounts.insert(0, account)
    accounts += session.scalars(
        select(Account)
        .where(func.lower(Account.name).like(_prefix(query.lower()), escape="\\"))
        .order_by(Account.id)
        .limit(limit)
    )
    billed_to = select(BillingProfile.account_id).where(func.lower(BillingProfile.invoice_email) == query.lower())
    accounts += session.scalars(select(Account).where(Account.id.in_(billed_to)).order_by(Account.id).limit(limit))
    accounts += [p.account for p in results.payments]
    accounts += [a for a in (session.get(Account, i.account_id) for i in results.invoices) if a is not None]
    results.accounts = _unique(accounts)[:limit]
    results.messages = _messages(session, query, number, phone, limit)
    return results


def _payments(session: Session, query: str, limit: int) -> list[Payment]:
    """A payment by its reference (on the transfer, the proforma), whatever the case, or by the
    processor's id of the payment or of its refund."""
    match = or_(
        Payment.reference.in_({query, query.upper()}), Payment.processor_ref == query, Payment.refund_ref == query
    )
    return list(session.scalars(select(Payment).where(match).order_by(Payment.id.desc()).limit(limit)))


def _invoices(session: Session, query: str, limit: int) -> list[Invoice]:
    """An invoice or credit note by its number as printed (SMS-000042) or as typed (SMS42, sms-42;
    the series are written in capitals)."""
    typed = parse_invoice_number(query)
    if typed is None:
        return []
    series, number = typed
    return list(
        session.scalars(
            select(Invoice).where(Invoice.series == series, Invoice.number == number).order_by(Invoice.id).limit(limit)
        )
    )


def _messages(session: Session, query: str, number: int | None, phone: str | None, limit: int) -> list[Message]:
    messages: list[Message] = []
    if number is not None:
        message = session.get(Message, number)
        if message is not None:
            messages.append(message)
    upstream = (
        select(MessagePart.message_id)
        .where(MessagePart.route_id.in_(select(Route.id)), MessagePart.upstream_id == query)
        .limit(limit)
    )
    messages += session.scalars(select(Message).where(Message.id.in_(upstream)).limit(limit))
    if phone:
        messages += session.scalars(select(Message).where(Message.to == phone).order_by(Message.id.desc()).limit(limit))
    return _unique(messages)[:limit]


def _prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass
class Overview:
    account: Account
    users: list[User]
    subusers: list[Account]
    ledger: list[LedgerEntry]
    messages: list[Message]
    campaigns: list[Campaign]
    invoices: list[Invoice]


def overview(session: Session, account_id: int, *, rows: int = 20) -> Overview | None:
    account = session.get(Account, account_id)
    if account is None:
        return None

    # model: a mapped class with an account_id (type[Any]: Flask-SQLAlchemy's db.Model is made at
    # run time, so mypy knows no columns on it); what it returns is a list of that class.
    def recent(model: type[Any], order: InstrumentedAttribute[Any]) -> list[Any]:
        return list(
            session.scalars(
                select(model).where(model.account_id == account.id).order_by(order.desc(), model.id.desc()).limit(rows)
            )
        )

    return Overview(
        account=account,
        users=list(session.scalars(select(User).where(User.account_id == account.id).order_by(User.id).limit(100))),
        subusers=list(
            session.scalars(select(Account).where(Account.parent_id == account.id).order_by(Account.id).limit(100))
        ),
        ledger=recent(LedgerEntry, LedgerEntry.created_at),
        messages=recent(Message, Message.created_at),
        campaigns=recent(Campaign, Campaign.id),
        invoices=recent(Invoice, Invoice.issued_at),
    )
