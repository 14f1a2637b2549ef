"""Billing: the account's invoicing details, payments (top-ups) and the invoices issued for them."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import Money, UTCDateTime, utcnow


class BillingProfile(db.Model):
    """What goes on the account's invoices; required before the first one."""

    __tablename__ = "billing_profiles"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200))
    is_business: Mapped[bool] = mapped_column(Boolean, default=True)
    fiscal_code: Mapped[str] = mapped_column(String(40), default="")     # CUI / VAT number, as printed
    trade_register: Mapped[str] = mapped_column(String(40), default="")  # e.g. J40/1234/2020
    address: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="RO")
    invoice_email: Mapped[str] = mapped_column(String(254), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Payment(db.Model):
    """A top-up: created → pending (at the processor) → credited | review (first card payment,
    support looks) | declined | cancelled. Credited exactly once, whatever the processor repeats."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(String(12))             # card | transfer
    processor: Mapped[str] = mapped_column(String(16))          # sandbox | stripe | bank
    status: Mapped[str] = mapped_column(String(12), default="created")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    amount: Mapped[Decimal] = mapped_column(Money)               # credit bought (net)
    vat: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)                # what the customer pays
    vat_rate: Mapped[str] = mapped_column(String(8))             # "0.21"
    vat_note: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(32), unique=True)          # on the bank transfer / proforma
    processor_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    card_fingerprint: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InvoiceSeries(db.Model):
    """The next number of a series; taken under the row's lock, so numbers have no gaps."""

    __tablename__ = "invoice_series"

    series: Mapped[str] = mapped_column(String(12), primary_key=True)
    next_number: Mapped[int] = mapped_column(Integer, default=1)


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("series", "number", name="uq_invoices_series_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")  # invoice | credit_note | proforma
    series: Mapped[str] = mapped_column(String(12))
    number: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    net: Mapped[Decimal] = mapped_column(Money)
    vat: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[str] = mapped_column(String(8))
    vat_note: Mapped[str] = mapped_column(Text, default="")
    buyer: Mapped[dict] = mapped_column(JSON, default=dict)   # the billing details as they were

    @property
    def printed_number(self) -> str:
        from webapp.domain.billing import invoice_number

        return invoice_number(self.series, self.number)
