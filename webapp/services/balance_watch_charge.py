"""Charging an automatic top-up: the pending Payment the balance watch made for a crossing is
claimed (one conditional UPDATE of AutoTopUp.last_payment_id, committed before the processor is
called), charged to the saved card, and the processor's answer applied like any other event
(credited once with its invoice, or held for review, or declined with its failure).

A failure (declined card, no card) is recorded on the AutoTopUp row for the dashboard and the
page and declines the payment; it is not retried: the next charge is the next crossing.
An unreachable processor is different: the card may have been charged all the same (a timeout
after the charge). The payment stays pending, the failure is recorded, and the job raises so RQ
asks again with the same idempotency key (the processor answers with the same charge, never a
second one). A payment still pending after INTERRUPTED_AFTER is declined as interrupted; a late
success from the processor for it still credits it (see payments.credit).
Operations flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.models import AutoTopUp, Payment, SavedCard
from webapp.models.types import utcnow
from webapp.services import payments
from webapp.services.balance_watch import NO_SAVED_CARD, record_failure
from webapp.services.dml import rowcount
from webapp.services.processors import PAID, ProcessorError, processor_for

if TYPE_CHECKING:
    from webapp.settings import Settings

# A pending automatic payment no job has claimed after this long: its job was lost, enqueue again.
LOST_AFTER = timedelta(seconds=60)
# Claimed but still pending after this long: the worker died while the processor was asked.
INTERRUPTED_AFTER = timedelta(minutes=15)
SWITCHED_OFF = N_("The automatic top-up was switched off before the card was charged.")
INTERRUPTED = payments.INTERRUPTED


@dataclass(frozen=True)
class Charged:
    payment_id: int
    account_id: int
    status: str  # credited | review | declined
    failure: str = ""


def claim(session: Session, payment_id: int) -> bool:
    """Take the right to charge this payment: True once, for one caller (commit before charging).
    A payment of a top-up switched off since is declined instead, quietly."""
    payment = session.get(Payment, payment_id)
    if payment is None or not payment.automatic or payment.status != payments.PENDING:
        return False
    claimed = rowcount(
        session.execute(
            update(AutoTopUp)
            .where(
                AutoTopUp.account_id == payment.account_id,
                AutoTopUp.enabled.is_(True),
                or_(AutoTopUp.last_payment_id.is_(None), AutoTopUp.last_payment_id != payment.id),
            )
            .values(last_payment_id=payment.id)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed:
        return True
    if (
        session.scalar(select(AutoTopUp.last_payment_id).where(AutoTopUp.account_id == payment.account_id))
        == payment.id
    ):
        return True  # a retry of this payment's charge after an unreachable processor: asked again, idempotently
    switched_off = session.scalar(
        select(AutoTopUp.account_id).where(
            AutoTopUp.account_id == payment.account_id,
            AutoTopUp.enabled.is_(False),
            or_(AutoTopUp.last_payment_id.is_(None), AutoTopUp.last_payment_id != payment.id),
        )
    )
    if switched_off is not None:
        payments.decline(session, payment.id, SWITCHED_OFF)
    return False


def charge(session: Session, settings: Settings, payment_id: int) -> Charged:
    """Charge a claimed payment to the account's saved card and apply the answer."""
    payment = session.get_one(Payment, payment_id)
    card = session.scalar(
        select(SavedCard)
        .where(
            SavedCard.account_id == payment.account_id,
            SavedCard.processor == payment.processor,
            SavedCard.removed_at.is_(None),
        )
        .order_by(SavedCard.id.desc())
        .limit(1)
    )
    failure = ""
    if card is None:
        failure = NO_SAVED_CARD
    else:
        try:
            event = processor_for(settings, payment.processor).charge_saved_card(payment, card)
        except ProcessorError as exc:
            # The outcome is unknown: keep the payment pending, say so, and let the job ask again.
            record_failure(session, payment.account_id, str(exc) or "The card processor could not be reached.")
            session.flush()
            raise
        else:
            payments.apply_event(session, event, series=settings.invoice_series, processor=payment.processor)
            if event.outcome != PAID:
                failure = event.failure or "The card was declined."
    if failure:
        payments.decline(session, payment.id, failure)  # apply_event may have done it already: once
        record_failure(session, payment.account_id, failure)
    session.flush()
    session.refresh(payment)
    return Charged(payment.id, payment.account_id, payment.status, payment.failure if failure else "")


def lost(session: Session) -> list[int]:
    """Pending automatic payments that no job claimed in time (their job was lost): charge again."""
    return list(
        session.scalars(
            select(Payment.id)
            .join(AutoTopUp, AutoTopUp.account_id == Payment.account_id)
            .where(
                Payment.automatic.is_(True),
                Payment.status == payments.PENDING,
                Payment.created_at < utcnow() - LOST_AFTER,
                or_(AutoTopUp.last_payment_id.is_(None), AutoTopUp.last_payment_id != Payment.id),
            )
        )
    )


def settle_interrupted(session: Session) -> list[Charged]:
    """Claimed payments still pending long after: the worker died while the processor was asked.
    Declined with a failure that says so (support reconciles with the processor), so the account's
    automatic top-ups are not held up for ever."""
    rows = session.execute(
        select(Payment.id, Payment.account_id)
        .join(AutoTopUp, and_(AutoTopUp.account_id == Payment.account_id, AutoTopUp.last_payment_id == Payment.id))
        .where(
            Payment.automatic.is_(True),
            Payment.status == payments.PENDING,
            Payment.created_at < utcnow() - INTERRUPTED_AFTER,
        )
    ).all()
    settled = []
    for payment_id, account_id in rows:
        if payments.decline(session, payment_id, INTERRUPTED):
            record_failure(session, account_id, INTERRUPTED)
            settled.append(Charged(payment_id, account_id, payments.DECLINED, INTERRUPTED))
    return settled
