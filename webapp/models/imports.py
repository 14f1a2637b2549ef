"""An import wizard's file and choices, step by step, until its rows are saved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

# uploaded → (first row picked) → mapped → analysing → reviewed → saving → saved | failed
IMPORT_STATES = ("uploaded", "mapped", "analysing", "reviewed", "saving", "saved", "failed")


class ContactImport(db.Model):
    __tablename__ = "contact_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(16), default="contacts")  # contacts | blocklist
    group_id: Mapped[int | None] = mapped_column(ForeignKey("contact_groups.id", ondelete="SET NULL"))
    group_name: Mapped[str] = mapped_column(String(120), default="")
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sheet: Mapped[int] = mapped_column(Integer, default=0)
    first_row: Mapped[int | None] = mapped_column(Integer)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="uploaded")
    analysis: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
