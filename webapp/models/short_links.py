"""Short links (issue 22): one row per `#link`/`#stop` placeholder per message, and their clicks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer, "sqlite")


class ShortLink(db.Model):
    __tablename__ = "short_links"
    __table_args__ = (
        Index("ix_short_links_message", "message_id"),
        Index("ix_short_links_campaign", "campaign_id", "position"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # random base62 (domain/short_links.py)
    kind: Mapped[str] = mapped_column(String(8))  # link | stop
    url: Mapped[str] = mapped_column(Text, default="")  # where a link redirects; empty for stop
    position: Mapped[int] = mapped_column(Integer, default=1)  # the placeholder's place in the text, from 1
    message_id: Mapped[int] = mapped_column(_ID, ForeignKey("messages.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkClick(db.Model):
    """A GET of a short link (every one, prefetchers included): its time, nothing about who."""

    __tablename__ = "link_clicks"
    __table_args__ = (Index("ix_link_clicks_link", "short_link_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    short_link_id: Mapped[int] = mapped_column(_ID, ForeignKey("short_links.id", ondelete="CASCADE"))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
