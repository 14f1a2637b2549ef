"""Replies (MO): messages phones send to our numbers, each given to the account that last
wrote to that phone from that number, and the segments of long replies still being gathered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.routes import Route
from webapp.models.types import UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer, "sqlite")


class InboundMessage(db.Model):
    __tablename__ = "inbound_messages"
    __table_args__ = (
        # an SMSC sends an unacknowledged reply again: the same key on a route is stored once
        UniqueConstraint("route_id", "upstream_key", name="uq_inbound_route_upstream_key"),
        Index("ix_inbound_account_received", "account_id", "received_at"),
        Index("ix_inbound_account_number", "account_id", "from_number"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("routes.id"))
    # The phone that wrote: E.164 when it reads as a number, else as the SMSC gave it.
    from_number: Mapped[str] = mapped_column(String(32))
    # Our number it was sent to (the long number or short code a message went out from).
    to_address: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    upstream_key: Mapped[str | None] = mapped_column(String(120))
    # Who it was given to (None: nobody wrote to this phone from that number lately; operators
    # see it among the unmatched replies) and the message it answers.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    answers_message_id: Mapped[int | None] = mapped_column(_ID, ForeignKey("messages.id", ondelete="SET NULL"))
    # stop | start | help when the reply is one of the account's keywords (domain/opt_out.py)
    keyword_action: Mapped[str | None] = mapped_column(String(10))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    route: Mapped[Route | None] = relationship(lazy="selectin")


class InboundSegment(db.Model):
    """One segment of a long reply, kept until the others arrive (then joined and deleted)."""

    __tablename__ = "inbound_segments"
    __table_args__ = (
        UniqueConstraint(
            "route_id", "from_number", "reference", "total", "number", name="uq_inbound_segments_identity"
        ),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id"))
    from_number: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(32))
    reference: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    data_coding: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
