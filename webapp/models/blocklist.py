"""Numbers never sent to: an account's own blocklist, and the global one kept by support staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.inbound import InboundMessage
from webapp.models.short_links import ShortLink
from webapp.models.types import UTCDateTime, utcnow


class BlockedNumber(db.Model):
    __tablename__ = "blocked_numbers"
    # account_id NULL: the global blocklist. One row per number and list (the service checks it).
    __table_args__ = (
        Index("ix_blocked_numbers_account_phone", "account_id", "phone"),
        Index("ix_blocked_numbers_phone", "phone"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    phone: Mapped[str] = mapped_column(String(20))  # E.164 with +
    reason: Mapped[str] = mapped_column(String(200), default="")
    added_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # 0026: how it got here (manual | opt_out) and, for an opt-out, the reply that asked (the
    # proof: its text, time and route).
    source: Mapped[str] = mapped_column(String(12), default="manual", server_default="manual")
    inbound_message_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )
    inbound_message: Mapped[InboundMessage | None] = relationship(lazy="selectin")
    # 0033: an opt-out confirmed on a #stop link's page: the link (its message, sent when, to whom)
    # is the proof, the row's created_at the time of the confirmation.
    short_link_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("short_links.id", ondelete="SET NULL")
    )
    short_link: Mapped[ShortLink | None] = relationship(lazy="selectin")
