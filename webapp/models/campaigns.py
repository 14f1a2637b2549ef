"""Campaigns: one text (or one per row) to many recipients, prepared, confirmed, then sent at a speed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import Money, UTCDateTime, utcnow


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))  # lists | batch | personalised
    name: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    sender: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text, default="")  # with #placeholders; batch: per row
    group_ids: Mapped[list] = mapped_column(JSON, default=list)
    # The uploaded file (batch and personalised) and the choices made in the wizard.
    filename: Mapped[str] = mapped_column(String(255), default="")
    stored_path: Mapped[str] = mapped_column(String(500), default="")
    sheet: Mapped[int] = mapped_column(Integer, default=0)
    first_row: Mapped[int | None] = mapped_column(Integer)
    titles: Mapped[list] = mapped_column(JSON, default=list)
    phone_column: Mapped[int | None] = mapped_column(Integer)
    message_column: Mapped[int | None] = mapped_column(Integer)
    # Options
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    speed: Mapped[int] = mapped_column(Integer, default=0)  # messages per second, 0 = unlimited
    # 0034: deliver only between these local times where each phone is ("09:00-20:00"; "" none).
    delivery_window: Mapped[str] = mapped_column(String(11), default="", server_default="")
    filter_duplicates: Mapped[bool] = mapped_column(Boolean, default=True)
    check_blocklists: Mapped[bool] = mapped_column(Boolean, default=True)
    validity_minutes: Mapped[int] = mapped_column(Integer, default=48 * 60)
    flash: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # 0036: class 0
    monitor_every: Mapped[int] = mapped_column(Integer, default=0)
    monitor_number: Mapped[str] = mapped_column(String(20), default="")
    # Every message rendered from the text is sent with its non-GSM characters replaced by their
    # GSM-7 forms where that makes it GSM-7 (the composer's suggestion; 0025).
    gsm_safe: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The expansion's result (the summary) and the money reserved at confirmation.
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    expansion_token: Mapped[str] = mapped_column(String(32), default="")  # names the current preparation
    error: Mapped[str] = mapped_column(Text, default="")
    reserved: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    # Pacing: messages handed to the senders since `paced_from` (epoch seconds), and how far.
    paced_from: Mapped[float | None] = mapped_column(Float)
    dispatched: Mapped[int] = mapped_column(Integer, default=0)
    cursor_id: Mapped[int] = mapped_column(BigInteger, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
