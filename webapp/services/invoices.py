"""Invoices: issued once a payment is credited, numbered without gaps per series; credit notes
for refunded top-ups (negative amounts, naming the invoice they cancel); their PDFs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from webapp.models import BillingProfile, Invoice, InvoiceSeries, Payment, User

if TYPE_CHECKING:
    from webapp.settings import Settings


def next_number(session: Session, series: str) -> int:
    """The series' next number, taken under the series row's lock: a transaction that rolls back
    gives its number back, so issued numbers have no gaps."""
    if session.get(InvoiceSeries, series) is None:
        try:
            with session.begin_nested():  # two first invoices of a new series at once: one inserts it
                session.add(InvoiceSeries(series=series, next_number=1))
        except IntegrityError:
            pass
    taken = session.execute(
        update(InvoiceSeries)
        .where(InvoiceSeries.series == series)
        .values(next_number=InvoiceSeries.next_number + 1)
        .returning(InvoiceSeries.next_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return taken - 1


def issue(session: Session, payment: Payment, series: str) -> Invoice:
    """The invoice for a credited payment, to the buyer its VAT was worked out for (the billing
    details as they were when the payment started)."""
    buyer = payment.buyer or buyer_of(session, payment.account_id)
    invoice = Invoice(
        account_id=payment.account_id,
        payment_id=payment.id,
        kind="invoice",
        series=series,
        number=next_number(session, series),
        currency=payment.currency,
        net=payment.amount,
        vat=payment.vat,
        total=payment.total,
        vat_rate=payment.vat_rate,
        vat_note=payment.vat_note,
        buyer=buyer,
    )
    session.add(invoice)
    session.flush()
    return invoice


def buyer_of(session: Session, account_id: int) -> dict[str, str]:
    profile = session.get(BillingProfile, account_id)
    return (
        {}
        if profile is None
        else {
            "company_name": profile.company_name,
            "fiscal_code": profile.fiscal_code,
            "trade_register": profile.trade_register,
            "address": profile.address,
            "city": profile.city,
            "country": profile.country,
            "invoice_email": profile.invoice_email,
        }
    )


def of_payment(session: Session, payment: Payment) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.payment_id == payment.id, Invoice.kind == "invoice"))


def of_account(session: Session, actor: User) -> list[Invoice]:
    return list(
        session.scalars(
            select(Invoice)
            .where(Invoice.account_id == actor.account_id)
            .options(selectinload(Invoice.payment))
            .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        )
    )


def get(session: Session, actor: User, invoice_id: int) -> Invoice:
    """An invoice of the actor's account (LookupError otherwise: the page answers 404)."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.account_id != actor.account_id:
        raise LookupError(invoice_id)
    return invoice


def credit_note(session: Session, payment: Payment, series: str) -> Invoice:
    """Cancels the payment's invoice (a refunded top-up): the same lines with negative amounts,
    its own gap-free series, naming the invoice it cancels."""
    original = session.scalar(select(Invoice).where(Invoice.payment_id == payment.id, Invoice.kind == "invoice"))
    if original is None:
        raise LookupError(f"payment {payment.id} has no invoice")
    note = Invoice(
        account_id=payment.account_id,
        payment_id=payment.id,
        kind="credit_note",
        series=series,
        number=next_number(session, series),
        currency=original.currency,
        net=-original.net,
        vat=-original.vat,
        total=-original.total,
        vat_rate=original.vat_rate,
        vat_note=original.vat_note,
        buyer=dict(original.buyer),
        credit_for_id=original.id,
    )
    session.add(note)
    session.flush()
    return note


def document(session: Session, invoice: Invoice | Proforma, settings: Settings) -> dict[str, Any]:
    """What the PDF prints: seller, buyer, the line, totals, the invoice a credit note cancels."""
    payment = session.get(Payment, invoice.payment_id) if invoice.payment_id else None
    cancels = session.get(Invoice, invoice.credit_for_id) if invoice.credit_for_id else None
    return {
        "invoice": invoice,
        "payment": payment,
        "cancels": cancels,
        "seller": seller(settings),
        "buyer": invoice.buyer or {},
        "rate_percent": percent(invoice.vat_rate),
    }


def seller(settings: Settings) -> dict[str, str]:
    return {
        "name": settings.seller_name,
        "fiscal_code": settings.seller_fiscal_code,
        "trade_register": settings.seller_trade_register,
        "address": settings.seller_address,
        "bank": settings.seller_bank,
        "iban": settings.seller_iban,
        "email": settings.seller_email,
    }


def percent(rate: str) -> str:
    """ "0.21" → "21", "0.095" → "9.5" """
    from decimal import Decimal

    value = (Decimal(rate) * 100).normalize()
    return f"{value:f}"


@dataclass(frozen=True)
class Proforma:
    """A bank transfer's proforma: printed like an invoice, numbered by the payment reference
    (not a fiscal invoice, so it takes no number from the series)."""

    printed_number: str
    issued_at: datetime
    currency: str
    net: Decimal
    vat: Decimal
    total: Decimal
    vat_rate: str
    vat_note: str
    buyer: dict[str, Any]  # as Invoice.buyer: the billing details as they were
    kind: str = "proforma"
    credit_for_id: None = None
    payment_id: int | None = None


def proforma(session: Session, payment: Payment) -> Proforma:
    return Proforma(
        payment.reference,
        payment.created_at,
        payment.currency,
        payment.amount,
        payment.vat,
        payment.total,
        payment.vat_rate,
        payment.vat_note,
        payment.buyer or buyer_of(session, payment.account_id),
        payment_id=payment.id,
    )
