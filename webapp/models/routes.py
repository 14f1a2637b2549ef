"""Upstream routes (SMSC connections), managed by operators."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.types import Money, UTCDateTime, utcnow


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
    # 0035: routes serving one country are tried in this order (lower first), then by cost.
    priority: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    # 0031: the generic HTTP gateway's settings (webapp/domain/http_gateway.py), from the console.
    http_config: Mapped[dict[str, object] | None] = mapped_column(JSON)

    costs: Mapped[list[RouteCost]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def cost_for(self, country: str | None) -> Decimal | None:
        """What the provider charges per part for the country (its own, else "*"), if known."""
        by_country = {c.country: c.cost for c in self.costs}
        return by_country.get((country or "").upper(), by_country.get("*"))

    @property
    def country_set(self) -> frozenset[str]:
        return frozenset(c.strip().upper() for c in self.countries.split(",") if c.strip())


class RouteCost(db.Model):
    """What a route's provider charges us per part in a country ("*": any other), 0035."""

    __tablename__ = "route_costs"

    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    cost: Mapped[Decimal] = mapped_column(Money)


class ReportPoll(db.Model):
    """A message sent over an HTTP route whose delivery report is still awaited (0031): polled
    at ``next_poll_at`` (None: not polled any more, or a route that only pushes), found by its
    provider id when the provider pushes. Removed once the report is final, or a day after the
    message's validity ended (webapp/services/report_polling.py)."""

    __tablename__ = "report_polls"
    __table_args__ = (
        Index("ix_report_polls_due", "route_id", "next_poll_at"),
        Index("ix_report_polls_upstream", "route_id", "upstream_id"),
    )

    message_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id"))
    upstream_id: Mapped[str] = mapped_column(String(80))
    to: Mapped[str] = mapped_column(String(32))
    polls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    last_word: Mapped[str | None] = mapped_column(String(40))  # the provider's last status, as said
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
