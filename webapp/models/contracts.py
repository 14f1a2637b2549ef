"""Company contracts (issue 22): the account's contract with its details, each applied draft
version (the data as it was, printed from it), the operator's policy and the monthly closing
documents e-mailed once per account and month."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.accounts import Account
from webapp.models.types import UTCDateTime, utcnow


class Contract(db.Model):
    """One per account: filled in by its owner, numbered when first applied (gap-free series),
    reviewed by support: applied → corrections → applied … → sent → signed."""

    __tablename__ = "contracts"
    __table_args__ = (UniqueConstraint("series", "number", name="uq_contracts_series_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="applied", index=True)
    series: Mapped[str] = mapped_column(String(12))
    number: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # the form as last applied
    correction_note: Mapped[str] = mapped_column(Text, default="")
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scan_path: Mapped[str | None] = mapped_column(String(500))
    scan_filename: Mapped[str | None] = mapped_column(String(200))
    scan_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship()

    @property
    def printed_number(self) -> str:
        from webapp.domain.contracts import contract_number

        return contract_number(self.series, self.number)


class ContractVersion(db.Model):
    """A draft as applied: its data frozen, so its PDF prints the same whenever it is opened."""

    __tablename__ = "contract_versions"
    __table_args__ = (UniqueConstraint("contract_id", "version", name="uq_contract_versions_contract_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ContractPolicy(db.Model):
    """The operator's setting (one row, id 1): may an account send under its own sender IDs
    before its contract is signed?"""

    __tablename__ = "contract_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    own_senders_before_signed: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ClosingDocumentsMail(db.Model):
    """A month's closing documents e-mailed to an account: at most once per account and month."""

    __tablename__ = "closing_documents_mails"
    __table_args__ = (UniqueConstraint("account_id", "period_start", name="uq_closing_documents_mails_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    period_start: Mapped[date] = mapped_column(Date)
    email: Mapped[str] = mapped_column(String(254))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
