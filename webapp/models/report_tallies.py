"""Report tallies (migration 0021): messages counted and summed per account, UTC quarter hour,
status, country, network, sender ID and campaign, kept by triggers on PostgreSQL so that All
reports reads a few thousand rows instead of a month's messages (services/report_tallies.py).

Money columns are BIGINT ten-thousandths, as in ``messages``; the key's empty values are ''
and campaign 0 (not NULL), so that one key is one row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.domain.networks import NETWORK_LENGTH
from webapp.extensions import db


class _TallyColumns:
    # The keys are copies of messages' columns (the triggers of migration 0021 copy them): widen
    # one there, widen it here and in the tally tables too (tests/test_migration_0021.py).
    account_id: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[datetime] = mapped_column(DateTime)  # naive UTC, a multiple of 15 minutes
    status: Mapped[str] = mapped_column(String(12))
    country: Mapped[str] = mapped_column(String(2))
    network: Mapped[str] = mapped_column(String(NETWORK_LENGTH))
    sender: Mapped[str] = mapped_column(String(20))
    campaign_id: Mapped[int] = mapped_column(Integer)
    messages: Mapped[int] = mapped_column(BigInteger)
    parts: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(BigInteger)


class MessageTally(_TallyColumns, db.Model):
    """The changes added up: one row per key (the compaction upserts into it)."""

    __tablename__ = "message_tallies"
    __table_args__ = (
        Index(
            "ux_message_tallies_key",
            "account_id",
            "quarter",
            "status",
            "country",
            "network",
            "sender",
            "campaign_id",
            unique=True,
        ),
    )
    __mapper_args__ = {
        "primary_key": ["account_id", "quarter", "status", "country", "network", "sender", "campaign_id"]
    }


class MessageTallyChange(_TallyColumns, db.Model):
    """What one statement on ``messages`` changed, appended by the triggers (signed sums)."""

    __tablename__ = "message_tally_changes"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
