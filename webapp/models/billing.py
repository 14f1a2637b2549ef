"""Billing: the account's invoicing details, payments (top-ups) and the invoices issued for them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.accounts import Account
from webapp.models.types import Money, UTCDateTime, utcnow


class BillingProfile(db.Model):
    """What goes on the account's invoices; required before the first one."""

    __tablename__ = "billing_profiles"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200))
    is_business: Mapped[bool] = mapped_column(Boolean, default=True)
    fiscal_code: Mapped[str] = mapped_column(String(40), default="")  # CUI / VAT number, as printed
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
    method: Mapped[str] = mapped_column(String(12))  # card | transfer
    processor: Mapped[str] = mapped_column(String(16))  # sandbox | stripe | bank
    status: Mapped[str] = mapped_column(String(12), default="created")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    amount: Mapped[Decimal] = mapped_column(Money)  # credit bought (net)
    vat: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)  # what the customer pays
    vat_rate: Mapped[str] = mapped_column(String(8))  # "0.21"
    vat_note: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(32), unique=True)  # on the bank transfer / proforma
    processor_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    card_fingerprint: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An automatic top-up charged to a saved card (no customer at the processor's page).
    automatic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    failure: Mapped[str] = mapped_column(Text, default="", server_default="")  # why the processor declined
    # Bank transfer: the customer's proof of payment, kept until support decides.
    proof_path: Mapped[str | None] = mapped_column(String(500))
    proof_filename: Mapped[str | None] = mapped_column(String(200))
    proof_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # support: review / transfer
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_ref: Mapped[str | None] = mapped_column(String(120))  # the processor's refund id (cards)
    # The billing details the VAT was worked out for, printed on its proforma and invoice.
    buyer: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    account: Mapped[Account] = relationship()


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
    buyer: Mapped[dict] = mapped_column(JSON, default=dict)  # the billing details as they were
    # A credit note names the invoice it cancels (a refunded top-up).
    credit_for_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))

    payment: Mapped[Payment | None] = relationship()

    @property
    def printed_number(self) -> str:
        from webapp.domain.billing import invoice_number

        return invoice_number(self.series, self.number)


class SavedCard(db.Model):
    """A card the processor keeps for automatic top-ups; we hold only its token and a label."""

    __tablename__ = "saved_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    processor: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(120))  # the processor's payment method id
    customer_ref: Mapped[str] = mapped_column(String(120), default="")  # e.g. Stripe's customer id
    fingerprint: Mapped[str] = mapped_column(String(120), default="")
    label: Mapped[str] = mapped_column(String(80), default="")  # "Visa •••• 4242"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AutoTopUp(db.Model):
    """Account → Buy credit → automatic top-up: charge the saved card `amount` when the balance
    falls below `threshold`. `armed` is taken by one conditional UPDATE per crossing and given
    back when the balance is above the threshold again."""

    __tablename__ = "auto_topups"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    threshold: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    armed: Mapped[bool] = mapped_column(Boolean, default=True)
    last_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LowBalanceAlert(db.Model):
    """Account → Notifications: one SMS and one e-mail when the balance falls below `threshold`,
    again only after it has been above it in between (`armed`, as for AutoTopUp)."""

    __tablename__ = "low_balance_alerts"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    threshold: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    phone: Mapped[str] = mapped_column(String(20), default="")  # E.164
    armed: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Statement(db.Model):
    """An account statement for a period [period_start, period_end) in the account's time zone:
    the figures (opening, top-ups, consumption by country and day, refunds, transfers, closing)
    as computed when it was made, so the PDF and XLSX render from them quickly."""

    __tablename__ = "statements"
    __table_args__ = (UniqueConstraint("account_id", "period_start", "period_end", name="uq_statements_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    monthly: Mapped[bool] = mapped_column(Boolean, default=False)  # made by the cron on the 1st
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
