"""Buying credit, the customer's side: billing details, quotes, payments, crediting them exactly
once (with their invoices) and the processors' events. Operations flush, never commit; the
processors (sandbox, Stripe) call `credit` however often they repeat themselves. Support's
decisions (confirm, reject, refund, proofs of transfer) are in webapp/services/payment_review.py,
the cards kept for automatic top-ups in webapp/services/saved_cards.py."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.domain import N_, billing
from webapp.domain.texts import Text
from webapp.models import Account, BillingProfile, Payment, User
from webapp.models.types import utcnow
from webapp.services import invoices, ledger, saved_cards
from webapp.services.dml import rowcount
from webapp.services.errors import FieldMessage, ServiceError
from webapp.services.processors import PAID, PaymentEvent

PENDING, REVIEW, CREDITED, DECLINED, REFUNDED = "pending", "review", "credited", "declined", "refunded"
# The failure of an automatic charge whose outcome is unknown (the worker died, the processor
# could not be reached for too long); a later success from the processor still credits it.
INTERRUPTED = N_("The charge was interrupted and its outcome is unknown; we will check it with the card processor.")
# The customer came back from the processor's page without paying (they may still pay there).
CANCELLED_AT_PAGE = N_("Cancelled at the payment page.")
# Declined by us, not by the processor: a later "paid" from the processor still credits them.
SOFT_DECLINES = (INTERRUPTED, CANCELLED_AT_PAGE)


def profile_of(session: Session, account_id: int) -> BillingProfile | None:
    return session.get(BillingProfile, account_id)


def save_profile(
    session: Session,
    actor: User,
    *,
    company_name: str,
    is_business: bool,
    fiscal_code: str,
    trade_register: str,
    address: str,
    city: str,
    country: str,
    invoice_email: str,
) -> BillingProfile:
    """Keep the invoicing details; every problem is reported against its field."""
    errors: dict[str, list[FieldMessage]] = {}
    country = (country or "").upper()[:2]
    if not company_name.strip():
        errors["company_name"] = [N_("Give the name that goes on the invoices.")]
    if not address.strip() or not city.strip():
        errors["address"] = [N_("Give the full address.")]
    if len(country) != 2:
        errors["country"] = [N_("Choose the country.")]
    code = ""
    if is_business:
        try:
            code = billing.fiscal_code(country, fiscal_code)
        except billing.BillingError as exc:
            errors["fiscal_code"] = [(exc.message, exc.params)]
    if "@" not in invoice_email:
        errors["invoice_email"] = [N_("Give the e-mail address the invoices go to.")]
    if errors:
        raise ServiceError(N_("Please correct the marked fields."), errors)
    profile = session.get(BillingProfile, actor.account_id) or BillingProfile(account_id=actor.account_id)
    profile.company_name, profile.is_business, profile.fiscal_code = company_name.strip()[:200], is_business, code
    profile.trade_register, profile.address, profile.city = (
        trade_register.strip()[:40],
        address.strip(),
        city.strip()[:100],
    )
    profile.country, profile.invoice_email = country, invoice_email.strip()[:254]
    session.add(profile)
    session.flush()
    return profile


def by_reference(session: Session, reference: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.reference == reference))


def vat_for_account(session: Session, account_id: int, home_rate: Decimal) -> billing.Vat:
    profile = profile_of(session, account_id)
    if profile is None:
        return billing.vat_for("RO", False, "", home_rate)
    return billing.vat_for(profile.country, profile.is_business, profile.fiscal_code, home_rate)


@dataclass(frozen=True)
class Quote:
    method: str
    amounts: billing.Amounts
    vat: billing.Vat


def quote(session: Session, actor: User, method: str, amount_text: str, home_rate: Decimal) -> Quote:
    """What "Next" shows before anything is bought: the amount, its VAT and the total. The
    billing details must be there first (they decide the VAT and go on the invoice)."""
    if method not in billing.MINIMUMS:
        raise ServiceError(N_("Choose how you pay."), {"method": [N_("Choose how you pay.")]})
    if profile_of(session, actor.account_id) is None:
        raise ServiceError(N_("Fill in your billing details first: they go on the invoice."))
    try:
        amount = billing.top_up_amount(amount_text, method)
    except billing.BillingError as exc:
        raise ServiceError(Text(exc.message, exc.params), {"amount": [(exc.message, exc.params)]}) from None
    vat = vat_for_account(session, actor.account_id, home_rate)
    return Quote(method, billing.amounts(amount, vat.rate), vat)


def start(
    session: Session, actor: User, method: str, amount_text: str, home_rate: Decimal, processor: str = "sandbox"
) -> Payment:
    """A pending payment for the amount typed, with its VAT."""
    offer = quote(session, actor, method, amount_text, home_rate)
    return new_payment(
        session,
        actor.account_id,
        actor.id,
        method,
        offer.amounts.net,
        home_rate,
        "bank" if method == billing.TRANSFER else processor,
    )


def new_payment(
    session: Session,
    account_id: int,
    user_id: int | None,
    method: str,
    amount: Decimal,
    home_rate: Decimal,
    processor: str,
    *,
    automatic: bool = False,
) -> Payment:
    """A pending payment of `amount` (net) with the VAT the account's billing details call for."""
    vat = vat_for_account(session, account_id, home_rate)
    money = billing.amounts(amount, vat.rate)
    payment = Payment(
        account_id=account_id,
        user_id=user_id,
        method=method,
        processor=processor,
        status=PENDING,
        amount=money.net,
        vat=money.vat,
        total=money.total,
        vat_rate=str(vat.rate),
        vat_note=vat.note,
        reference=f"SMS{secrets.token_hex(4).upper()}",
        automatic=automatic,
        buyer=invoices.buyer_of(session, account_id),
    )
    session.add(payment)
    session.flush()
    return payment


def credit(
    session: Session,
    payment_id: int,
    processor_ref: str | None = None,
    card_fingerprint: str | None = None,
    *,
    series: str = "SMS",
    reviewed: bool = False,
) -> bool:
    """The processor says the money is in. Credited once: a repeated webhook or redirect finds
    it done and changes nothing (False). A first card payment with a card the account never
    paid with waits for a support review instead (status review, nothing credited yet)."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise LookupError(payment_id)
    # Open: pending, or declined by us without the processor's word, which now says the money is in.
    still_open = (Payment.status == PENDING) | ((Payment.status == DECLINED) & Payment.failure.in_(SOFT_DECLINES))
    if payment.method == billing.CARD and not reviewed and not _known_card(session, payment, card_fingerprint):
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id, still_open)
            .values(status=REVIEW, processor_ref=processor_ref, card_fingerprint=card_fingerprint, failure="")
            .execution_options(synchronize_session=False)
        )
        session.refresh(payment)
        return False  # held (or already held by an earlier delivery of the same event)
    movable = (Payment.status == REVIEW) if reviewed else still_open
    moved = rowcount(
        session.execute(
            update(Payment)
            .where(Payment.id == payment.id, movable)
            .values(
                status=CREDITED,
                credited_at=utcnow(),
                failure="",
                processor_ref=processor_ref or payment.processor_ref,
                card_fingerprint=card_fingerprint or payment.card_fingerprint,
            )
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(payment)
    if not moved:
        return False
    ledger.post(
        session,
        session.get_one(Account, payment.account_id),
        payment.amount,
        kind="topup",
        reason=f"Top-up by {payment.method}",
        reference=f"payment:{payment.id}",
        actor=None,
    )
    invoices.issue(session, payment, series)
    return True


def _known_card(session: Session, payment: Payment, fingerprint: str | None) -> bool:
    if not fingerprint:
        return False
    return (
        session.scalar(
            select(Payment.id)
            .where(
                Payment.account_id == payment.account_id,
                Payment.status == CREDITED,
                Payment.method == billing.CARD,
                Payment.card_fingerprint == fingerprint,
            )
            .limit(1)
        )
        is not None
    )


def decline(session: Session, payment_id: int, failure: str = "", decided_by: User | None = None) -> bool:
    """Declined by the processor or by support; once (a repeated event changes nothing)."""
    values: dict[str, str | int] = {"status": DECLINED, "failure": failure[:500]}
    if decided_by is not None:
        values["decided_by_id"] = decided_by.id
    return bool(
        rowcount(
            session.execute(
                update(Payment)
                .where(Payment.id == payment_id, Payment.status.in_([PENDING, REVIEW]))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        )
    )


class ForeignEvent(LookupError):
    """An event for a payment that is not this processor's card payment: never applied."""


def apply_event(session: Session, event: PaymentEvent, series: str = "SMS", *, processor: str) -> Payment:
    """What a verified event of `processor` does, however often it comes: paid → credited once
    (or held for review), failed → declined once; a card the customer asked to keep is saved for
    automatic top-ups once the payment is credited or held. Only the processor that took the
    payment speaks for it: a sandbox event cannot credit a Stripe payment, nor any a transfer."""
    payment = by_reference(session, event.payment_reference)
    if payment is None:
        raise LookupError(event.payment_reference)
    if payment.processor != processor or payment.method != billing.CARD:
        raise ForeignEvent(event.payment_reference)
    if event.outcome == PAID:
        fingerprint = event.card.fingerprint if event.card else None
        credit(session, payment.id, event.processor_ref, fingerprint, series=series)
        session.refresh(payment)
        if (
            event.card is not None
            and event.save_card
            and payment.status in (CREDITED, REVIEW)
            and payment.processor_ref == event.processor_ref
        ):
            saved_cards.save_card(session, payment.account_id, payment.processor, event.card)
    else:
        decline(session, payment.id, event.failure)
    session.refresh(payment)
    return payment


def of_account(session: Session, actor: User, limit: int = 20) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment).where(Payment.account_id == actor.account_id).order_by(Payment.id.desc()).limit(limit)
        )
    )


def get(session: Session, actor: User, reference: str) -> Payment:
    """A payment of the actor's account, by its reference (LookupError otherwise)."""
    payment = by_reference(session, reference)
    if payment is None or payment.account_id != actor.account_id:
        raise LookupError(reference)
    return payment
