"""SMPP access for customers (issue 21): the credentials an account's client binds with to our
SMPP server. A credential acts as one user of the account (its messages are that user's, sent
through the same rules as the API's); its receipts and replies go back over its binds, queued
durably as webhook deliveries of its own endpoint (``webhook_endpoints.kind = "smpp"``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class SmppCredential(db.Model):
    __tablename__ = "smpp_credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # whose messages its submits are
    # SMPP 3.4: system_id a C-octet string of at most 16 (15 characters), password of at most 9 (8).
    system_id: Mapped[str] = mapped_column(String(15), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id; the password is shown once
    # Where binds may come from: CIDR networks, one per line (empty: anywhere).
    allowed_networks: Mapped[str] = mapped_column(Text, default="")
    max_binds: Mapped[int] = mapped_column(Integer, default=2)
    tps_limit: Mapped[int] = mapped_column(Integer, default=50)  # submit_sm per second, all binds
    window: Mapped[int] = mapped_column(Integer, default=100)  # deliver_sm outstanding per bind
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Receipts and replies for its binds: webhook deliveries of this endpoint (kind "smpp").
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_endpoints.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
