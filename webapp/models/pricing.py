"""Price lists: the default one, and per-account overrides."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.types import Money, UTCDateTime, utcnow


class PriceList(db.Model):
    __tablename__ = "price_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set for an account's overrides; None for the default and shared lists.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    entries: Mapped[list[PriceListEntry]] = relationship(back_populates="price_list", cascade="all, delete-orphan")


class PriceListEntry(db.Model):
    __tablename__ = "price_list_entries"
    __table_args__ = (UniqueConstraint("price_list_id", "country", "prefix", name="uq_price_list_entries_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    prefix: Mapped[str] = mapped_column(String(16), default="")
    price: Mapped[Decimal] = mapped_column(Money)

    price_list: Mapped[PriceList] = relationship(back_populates="entries")
