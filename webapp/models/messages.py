"""Outgoing messages (MT), one row per recipient, their parts and their timeline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.domain.networks import NETWORK_LENGTH
from webapp.extensions import db
from webapp.models.types import Money, UTCDateTime, utcnow


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_account_created", "account_id", "created_at"),
        Index("ix_messages_account_submitted", "account_id", "submitted_at"),  # statements (0011)
        Index("ix_messages_status", "status"),
        Index("ix_messages_campaign_status", "campaign_id", "status"),
        Index("ix_messages_to", "to"),  # support finds messages by recipient number (0013)
        # Digits anywhere in the number (the message search), PostgreSQL with pg_trgm only (0023).
        Index(
            "ix_messages_to_digits",
            "to",
            postgresql_using="gin",
            postgresql_ops={"to": "gin_trgm_ops"},
            info={"postgresql_only": True},
        ),
        UniqueConstraint("account_id", "idempotency_key", name="uq_messages_account_idempotency"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # A campaign's copy to the account's own phone (every N messages), not a recipient.
    monitor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sender: Mapped[str] = mapped_column(String(20))
    to: Mapped[str] = mapped_column(String(32))  # E.164, or what was typed when it is invalid
    country: Mapped[str | None] = mapped_column(String(2))
    # The operator holding the number's range (domain/networks.py) when accepted; "" none known;
    # NULL for an invalid number (no range). Migration 0021 named the messages older than 0020.
    network: Mapped[str | None] = mapped_column(String(NETWORK_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))
    parts: Mapped[int] = mapped_column(Integer)
    price_per_part: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # the price when accepted
    # Given back after the reservation: released (refused at submission) or refunded (a failure
    # the account does not pay for). What it costs the customer: domain/message_cost.py.
    refunded: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")  # 0019
    route_id: Mapped[int | None] = mapped_column(ForeignKey("routes.id"))
    status: Mapped[str] = mapped_column(String(12))
    reason_code: Mapped[str | None] = mapped_column(String(40))  # why refused / failed
    error_code: Mapped[str | None] = mapped_column(String(40))  # SMSC error code from the receipt
    idempotency_key: Mapped[str | None] = mapped_column(String(120))
    validity_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 0029: the callback endpoint (the API's callback_url) told of its status changes; no
    # foreign key (removing an endpoint never scans the messages): a removed one tells nobody.
    callback_endpoint_id: Mapped[int | None] = mapped_column(Integer)
    # 0036: flash SMS: sent as message class 0 (shown on the screen, not stored in the phone)
    flash: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # 0034: waiting for its delivery window (domain/delivery_windows.py): not sent before this
    # instant (UTC); NULL: may go as soon as it is due.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)

    part_rows: Mapped[list[MessagePart]] = relationship(back_populates="message", order_by="MessagePart.seq")
    events: Mapped[list[MessageEvent]] = relationship(back_populates="message", order_by="MessageEvent.id")


class MessagePart(db.Model):
    """One SMS part. Its submission key is claimed in the database before it goes upstream."""

    __tablename__ = "message_parts"
    __table_args__ = (
        UniqueConstraint("message_id", "seq", name="uq_message_parts_message_seq"),
        Index("ix_message_parts_upstream", "route_id", "upstream_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1-based
    submission_key: Mapped[str] = mapped_column(String(40), unique=True)
    # pending → claimed (ours to send, once) → submitted | failed; claimed too long → unknown
    state: Mapped[str] = mapped_column(String(12), default="pending")
    route_id: Mapped[int | None] = mapped_column(ForeignKey("routes.id"))
    upstream_id: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str | None] = mapped_column(String(12))  # final receipt state of this part
    error_code: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    message: Mapped[Message] = relationship(back_populates="part_rows")


class MessageEvent(db.Model):
    """The message's timeline: accepted, queued, submitted (with upstream ids), receipts, refunds."""

    __tablename__ = "message_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    message: Mapped[Message] = relationship(back_populates="events")


class PendingReceipt(db.Model):
    """A receipt kept unmatched, whatever its bytes: it came before its part's id was committed
    (``no_part_yet``: matched later), its number is not the part's (``number_mismatch``: an
    SMSC reusing its ids; shown to support with the part it nearly went to), or it names no id
    or state (``unreadable``). See webapp/services/receipts.py."""

    __tablename__ = "pending_receipts"
    __table_args__ = (
        Index("ix_pending_receipts_upstream", "route_id", "upstream_id"),
        Index("ix_pending_receipts_received", "received_at"),
    )  # 0015

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id"))
    upstream_id: Mapped[str] = mapped_column(String(80))
    stat: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(40))
    raw: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # 0015: the number the receipt is about (deliver_sm source_addr), why it is kept, and the
    # part it would have settled but for its number.
    source_addr: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(20), default="no_part_yet", server_default="no_part_yet")
    near_part_id: Mapped[int | None] = mapped_column(ForeignKey("message_parts.id", ondelete="SET NULL"))
