"""Staff credit adjustments: one ledger row of kind "adjustment", with the reason and the staff
member as actor. A debit never takes the balance below zero (or the credit limit).

Amounts keep the ledger's four decimals, not two: an adjustment often gives back a per-part
price (3 parts at 0.0350 = 0.1050), which cents cannot express. A sign is optional ("50" is a
credit), a comma is read as the decimal point, and the size is capped to catch a slip of the
finger (a typo of 100000 instead of 100.00 should not silently go through).
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain.money import quantize
from webapp.domain.texts import Text
from webapp.models import Account, LedgerEntry, User
from webapp.services import audit, ledger
from webapp.services.errors import ServiceError

MAXIMUM = Decimal("100000")
_AMOUNT = re.compile(r"[+-]?\d{1,9}([.,]\d{1,4})?")


def parse_amount(text: str) -> Decimal:
    """A signed, non-zero amount with at most 4 decimals (plain Python: table-tested)."""
    cleaned = (text or "").strip().replace(" ", "")
    if not _AMOUNT.fullmatch(cleaned):
        raise ServiceError(N_("Give a signed amount with at most 4 decimals, e.g. +50.00 or -12.5."))
    amount = Decimal(cleaned.replace(",", "."))
    if amount == 0:
        raise ServiceError(N_("The amount cannot be zero."))
    if abs(amount) > MAXIMUM:
        raise ServiceError(N_("At most 100,000 at once: check the amount."))
    return quantize(amount)


def customer_account(session: Session, account_id: int) -> Account:
    """The customer account to adjust; LookupError (a 404) for an unknown id or a staff account."""
    account = session.get(Account, account_id)
    if account is None or account.kind != "customer":
        raise LookupError(account_id)
    return account


def adjust(
    session: Session, staff: User, account_id: int, amount_text: str, reason: str, token: str = ""
) -> LedgerEntry | None:
    """Post the adjustment. ``token`` (one per rendered form) makes a double submit post once:
    None is returned when a row with that token exists already. Flushes, never commits."""
    account = customer_account(session, account_id)
    errors: dict[str, list[str]] = {}
    try:
        amount = parse_amount(amount_text)
    except ServiceError as exc:
        errors["amount"] = [exc.message]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [N_("Say why: the customer sees the reason on its statement.")]
    elif len(reason) > 300:
        errors["reason"] = [N_("Keep the reason under 300 characters.")]
    if errors:
        raise ServiceError(N_("Please correct the marked fields."), errors)
    reference = f"adjustment:{token[:64]}" if token else ""
    if reference:
        # Lock the account row (PostgreSQL) before looking for the token, so two submits of the
        # same form cannot both pass the check.
        session.execute(select(Account.id).where(Account.id == account.id).with_for_update())
        if (
            session.scalar(
                select(LedgerEntry.id).where(LedgerEntry.account_id == account.id, LedgerEntry.reference == reference)
            )
            is not None
        ):
            return None
    try:
        entry = ledger.post(
            session, account, amount, kind="adjustment", reason=reason, actor=staff, reference=reference
        )
    except ledger.InsufficientCredit:
        room = ledger.available(session, account)
        cents = room.quantize(Decimal("0.01"))
        room = cents if cents == room else room  # 5.00, but 0.1050 keeps its sub-cent digits
        message = (
            N_(
                "Refused: this debit would take the balance below zero (or below the credit limit); "
                "at most %(room)s can be taken."
            ),
            {"room": f"{room} {account.currency}"},
        )
        raise ServiceError(Text(*message), {"amount": [message]}) from None
    _audit(session, staff, account, entry)
    return entry


def recent(session: Session, account_id: int, limit: int = 20) -> list[LedgerEntry]:
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.account_id == account_id, LedgerEntry.kind == "adjustment")
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        )
    )


def _audit(session: Session, staff: User, account: Account, entry: LedgerEntry) -> None:
    audit.record(
        session,
        staff_user=staff,
        user=staff,
        account_id=account.id,
        action="credit.adjust",
        target=f"account:{account.id}",
        reason=entry.reason,
        detail={"amount": str(entry.amount), "balance_after": str(entry.balance_after), "ledger_entry": entry.id},
    )
