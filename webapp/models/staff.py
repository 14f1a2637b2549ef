"""Support and operators: the audit log, impersonations, and sender ID requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.accounts import Account, User
from webapp.models.types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """A sensitive action, with both identities when support acts as a customer: `staff_user_id`
    is the person at the keyboard, `user_id` the identity the action was taken as."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    impersonation_id: Mapped[int | None] = mapped_column(ForeignKey("impersonations.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))  # e.g. impersonation.start, credit.adjust, POST /send/
    target: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    staff_user: Mapped[User | None] = relationship(foreign_keys=[staff_user_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    account: Mapped[Account | None] = relationship()


class Impersonation(db.Model):
    """Support acting as a customer user: asked with a reason, ended by "return" or the time limit."""

    __tablename__ = "impersonations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    target_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(45), default="")

    staff_user: Mapped[User] = relationship(foreign_keys=[staff_user_id])
    target_user: Mapped[User] = relationship(foreign_keys=[target_user_id])


class SenderId(db.Model):
    """An alphanumeric sender (at most 11 characters) a customer asked for; usable once approved."""

    __tablename__ = "sender_ids"
    __table_args__ = (UniqueConstraint("account_id", "sender", name="uq_sender_ids_account_sender"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    sender: Mapped[str] = mapped_column(String(11))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | approved | rejected
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")  # support's reason for a rejection
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account] = relationship()
