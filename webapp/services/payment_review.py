"""Support's side of buying credit: the bank transfers and first card payments waiting for a
decision, a transfer's proof (attached by the customer, downloaded by support), confirming
(the credit and invoice follow, once), rejecting (a held card payment's money goes back) and
refunding a credited top-up (a credit note); every decision leaves one audit row in the same
transaction. The customer's side (quotes, payments, crediting) is webapp/services/payments.py.
Operations flush, never commit."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from webapp.domain import N_, billing
from webapp.models import Account, Invoice, Payment, SavedCard, User
from webapp.models.types import utcnow
from webapp.services import audit, invoices, ledger
from webapp.services.dml import rowcount
from webapp.services.errors import ServiceError
from webapp.services.payments import CREDITED, DECLINED, PENDING, REFUNDED, REVIEW, credit, decline
from webapp.services.processors import Processor, ProcessorError

REJECTED_BY_SUPPORT = N_("Rejected by support.")

PROOF_TYPES = {".pdf", ".jpg", ".jpeg", ".png"}


def check_proof_wanted(payment: Payment) -> None:
    if payment.method != billing.TRANSFER or payment.status != PENDING:
        message = N_("This payment does not wait for a proof of transfer.")
        raise ServiceError(message, {"proof": [message]})


def attach_proof(session: Session, actor: User, payment: Payment, filename: str, kept_path: str) -> str | None:
    """The customer's proof of a bank transfer, kept for support; a newer proof replaces it (the
    path of the one replaced is returned, for the caller to delete)."""
    check_proof_wanted(payment)
    replaced = payment.proof_path
    payment.proof_path, payment.proof_filename, payment.proof_uploaded_at = kept_path, filename[:200], utcnow()
    session.flush()
    return replaced


def awaiting_support(session: Session) -> list[Payment]:
    """Staff: transfers with a proof (or still unpaid) and first card payments held for review."""
    return list(
        session.scalars(
            select(Payment)
            .options(selectinload(Payment.account))
            .where(((Payment.method == billing.TRANSFER) & (Payment.status == PENDING)) | (Payment.status == REVIEW))
            .order_by(Payment.proof_uploaded_at.is_(None), Payment.id)
        )
    )


def recently_decided(session: Session, limit: int = 30) -> list[Payment]:
    """Staff: the latest credited, declined and refunded payments (refunds start here)."""
    return list(
        session.scalars(
            select(Payment)
            .options(selectinload(Payment.account))
            .where(Payment.status.in_([CREDITED, DECLINED, REFUNDED]))
            .order_by(Payment.id.desc())
            .limit(limit)
        )
    )


def confirm(session: Session, staff: User, payment_id: int, series: str) -> bool:
    """Support confirms a transfer arrived, or approves a card payment held for review: the
    credit and the invoice follow, once."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise LookupError(payment_id)
    if not ((payment.method == billing.TRANSFER and payment.status == PENDING) or payment.status == REVIEW):
        return False  # a card payment the processor has not confirmed is never credited by hand
    done = credit(
        session,
        payment.id,
        payment.processor_ref or (f"bank:{payment.reference}" if payment.method == billing.TRANSFER else None),
        payment.card_fingerprint,
        series=series,
        reviewed=payment.status == REVIEW,
    )
    if done:
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(decided_by_id=staff.id)
            .execution_options(synchronize_session=False)
        )
        session.refresh(payment)
        _audit(session, staff, payment, "payment.confirm")
    return done


def reject(
    session: Session, staff: User, payment_id: int, reason: str, processors: Callable[[str], Processor] | None = None
) -> bool:
    """Support rejects a held card payment (its money goes back to the card, through the
    processor) or a transfer that never came; a card kept with the rejected payment is forgotten."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        return False
    held_card = payment.status == REVIEW and payment.method == billing.CARD
    if not decline(session, payment_id, reason or REJECTED_BY_SUPPORT, decided_by=staff):
        return False
    if held_card:
        _give_back(session, payment, processors)
    if payment.card_fingerprint:
        session.execute(
            update(SavedCard)
            .where(
                SavedCard.account_id == payment.account_id,
                SavedCard.fingerprint == payment.card_fingerprint,
                SavedCard.removed_at.is_(None),
            )
            .values(removed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    _audit(session, staff, payment, "payment.reject", reason=reason or REJECTED_BY_SUPPORT)
    return True


def refund(
    session: Session, staff: User, payment_id: int, series: str, processors: Callable[[str], Processor] | None = None
) -> Invoice:
    """A credited top-up given back: its credit leaves the balance (refused when already spent),
    a credit note cancels its invoice and a card payment is refunded through its processor
    (a bank transfer is paid back by hand: the page says so). Once."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise LookupError(payment_id)
    moved = rowcount(
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status == CREDITED)
            .values(status=REFUNDED, refunded_at=utcnow(), decided_by_id=staff.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not moved:
        raise ServiceError(N_("Only a credited payment can be refunded, and only once."))
    session.refresh(payment)
    note = invoices.credit_note(session, payment, series)
    ledger.post(
        session,
        session.get_one(Account, payment.account_id),
        -payment.amount,
        kind="topup",
        reason=f"Top-up refunded (credit note {note.printed_number})",
        reference=f"payment:{payment.id}",
        actor=staff,
    )
    if payment.method == billing.CARD:
        _give_back(session, payment, processors)  # last: a refusal undoes the rest (the caller rolls back)
    _audit(
        session, staff, payment, "payment.refund", credit_note=note.printed_number, refund_ref=payment.refund_ref or ""
    )
    return note


def _audit(session: Session, staff: User, payment: Payment, action: str, reason: str = "", **detail: str) -> None:
    """Support moved money: one audit row, in the same transaction as the move."""
    audit.record(
        session,
        staff_user=staff,
        user=staff,
        account_id=payment.account_id,
        action=action,
        target=f"payment:{payment.id}",
        reason=reason,
        detail={
            "amount": str(payment.amount),
            "total": str(payment.total),
            "currency": payment.currency,
            "method": payment.method,
            **detail,
        },
    )


def _give_back(session: Session, payment: Payment, processors: Callable[[str], Processor] | None) -> None:
    if processors is None:
        raise ValueError("a card payment's money goes back through its processor")
    try:
        payment.refund_ref = processors(payment.processor).refund(payment)
    except ProcessorError as exc:
        raise ServiceError(
            N_("The card processor did not refund the payment; nothing was changed. Try again later.")
        ) from exc
    session.flush()


def with_proof(session: Session, payment_id: int) -> Payment | None:
    """A payment whose customer attached a proof (support downloads it); None otherwise."""
    payment = session.get(Payment, payment_id)
    return payment if payment is not None and payment.proof_path else None
