"""Accounts (who pays) and users (who log in)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models.types import Money, UTCDateTime, utcnow


class Account(db.Model):
    """The party that holds credit and is invoiced: a customer, a subuser's account, or staff."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="customer")  # customer | staff
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | disabled
    # Cached sum of ledger rows, updated in the same transaction as each row.
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    credit_limit: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    default_region: Mapped[str] = mapped_column(String(2), default="RO")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Bucharest")
    # Whether UNDELIV/EXPIRED after submission are charged (operators bill them) or refunded.
    charge_failed_deliveries: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # A subuser's account: billed separately ("own": its own balance, top-ups and invoices) or
    # living on credit its parent transfers ("parent").
    billing_mode: Mapped[str] = mapped_column(String(12), default="own", server_default="own")
    receives_replies: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # 0026: the account's reply keywords by action ({"stop": [...], "start": [...], "help": [...]};
    # None: domain/opt_out.py's defaults) and the text a HELP reply gets (None: not answered).
    reply_keywords: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    help_text: Mapped[str | None] = mapped_column(Text)
    # 0028: the SMS sent back to a phone that answers STOP (None: none, the default).
    opt_out_confirmation: Mapped[str | None] = mapped_column(Text)
    # 0029: signs the calls to callback_url's given in the API (made when first needed).
    webhook_callback_secret: Mapped[str | None] = mapped_column(String(80))
    # Optional spend caps (a subuser's), in the account's currency; None = no cap.
    daily_cap: Mapped[Decimal | None] = mapped_column(Money)
    monthly_cap: Mapped[Decimal | None] = mapped_column(Money)
    # HTTP API requests per minute per key (0016); None: the platform's API_REQUESTS_PER_MINUTE.
    api_requests_per_minute: Mapped[int | None] = mapped_column(Integer)
    # 0034: quiet hours, the default delivery window of campaigns ("09:00-20:00"); None: not set
    # (a subuser's account then has its parent's).
    quiet_hours: Mapped[str | None] = mapped_column(String(11))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Account | None] = relationship(remote_side=[id])
    users: Mapped[list[User]] = relationship(back_populates="account")

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.name!r}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    full_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164, for finding and notifying
    password_hash: Mapped[str] = mapped_column(Text)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    role: Mapped[str] = mapped_column(String(20), default=Role.OWNER.value)
    language: Mapped[str] = mapped_column(String(8), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(back_populates="users")

    # The sign-in this request came with (set by webapp.services.login_sessions): Flask-Login keeps
    # get_id() in the session and the remember-me cookie, so both carry the sign-in and die with it.
    if TYPE_CHECKING:  # for mypy only: at run time SQLAlchemy would read an annotation as a column
        login_token: str | None
    login_token = None  # not a column

    def get_id(self) -> str:
        return f"{self.id}:{self.login_token}" if self.login_token else str(self.id)

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled users cannot log in
        return bool(self.active) and self.account.status == "active"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


class ApiKey(db.Model):
    """A key for the HTTP API. Only a hash of the secret is kept; the prefix identifies it."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginSession(db.Model):
    """One sign-in in a browser: what the session cookie (and the remember-me cookie) stand for.

    Signing out, "Sign out everywhere", a new password and a disabled user end rows here; a cookie
    whose row is ended or expired opens nothing, even if it was copied before. Only a hash of the
    token is kept."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(30))

    user: Mapped[User] = relationship()
