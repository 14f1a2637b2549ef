"""Upstream routes (SMSC connections), managed by operators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class Route(db.Model):
    __tablename__ = "routes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    url: Mapped[str] = mapped_column(Text)  # simulator://…, smpp://…, https://…
    # Comma-separated ISO codes this route serves; empty = the default route.
    countries: Mapped[str] = mapped_column(String(400), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # 0018: the route's own texts for its operator's error codes, {code: {language or "*": text}}
    # (webapp/domain/delivery_reasons.py); set with `flask routes error-text`. Assign a new dict
    # to change it: the column does not track changes inside.
    error_texts: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON)

    @property
    def country_set(self) -> frozenset[str]:
        return frozenset(c.strip().upper() for c in self.countries.split(",") if c.strip())
