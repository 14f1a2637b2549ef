"""The audit log: sensitive staff actions and everything done while impersonating a customer.

`record()` is the one way to write an event; its keyword signature is kept stable because other
features (credit adjustments, sender ID decisions, operators' changes) call it; the operator
console's changes go through `record_admin()`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from webapp.domain.roles import PLATFORM_USERNAME
from webapp.models import User
from webapp.models.staff import AuditEvent

ACTION_MAX = 60
TARGET_MAX = 200
PAGE_SIZE = 50


CLIENT_IP = "client_ip"  # session.info key: the web's request sets it (webapp/transactions.py)


def _client_ip(session: Session) -> str:
    """The address of the request this session serves, so callers need not pass it; a worker's
    session has none."""
    return str(session.info.get(CLIENT_IP, ""))


def record(
    session: Session,
    *,
    staff_user: User | None,
    user: User | None,
    account_id: int | None,
    action: str,
    target: str = "",
    reason: str = "",
    detail: dict[str, Any] | None = None,
    impersonation_id: int | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Add one audit event and flush. `staff_user` is the person at the keyboard, `user` the identity
    the action was taken as (the same staff user for plain staff actions, the customer while
    impersonating). The caller commits, in the same transaction as the action it records."""
    event = AuditEvent(
        staff_user_id=staff_user.id if staff_user is not None else None,
        user_id=user.id if user is not None else None,
        account_id=account_id,
        impersonation_id=impersonation_id,
        action=action[:ACTION_MAX],
        target=(target or "")[:TARGET_MAX],
        reason=reason or "",
        ip=(_client_ip(session) if ip is None else ip)[:45],
        detail=detail or {},
    )
    session.add(event)
    session.flush()
    return event


def record_admin(
    session: Session,
    actor: User,
    action: str,
    target: str,
    *,
    account_id: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Every change made in the operator console (price lists, routes, accounts, staff) is in the
    audit log, in the same transaction: the admin is both at the keyboard and acting."""
    record(
        session,
        staff_user=actor,
        user=actor,
        account_id=account_id,
        action=f"admin.{action}",
        target=target,
        reason=reason,
        detail=detail or {},
    )


@dataclass(frozen=True)
class AuditFilter:
    staff_user_id: int | None = None
    account_id: int | None = None
    action_prefix: str = ""
    date_from: datetime | None = None  # inclusive, UTC
    date_to: datetime | None = None  # exclusive, UTC


def events(
    session: Session, flt: AuditFilter, *, before_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[AuditEvent], int | None]:
    """Newest first, one page (keyset on id). Returns the rows and the id to continue before, or None."""
    query = select(AuditEvent).options(
        joinedload(AuditEvent.staff_user), joinedload(AuditEvent.user), joinedload(AuditEvent.account)
    )
    if flt.staff_user_id:
        query = query.where(AuditEvent.staff_user_id == flt.staff_user_id)
    if flt.account_id:
        query = query.where(AuditEvent.account_id == flt.account_id)
    if flt.action_prefix:
        escaped = flt.action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEvent.action.like(escaped + "%", escape="\\"))
    if flt.date_from:
        query = query.where(AuditEvent.created_at >= flt.date_from)
    if flt.date_to:
        query = query.where(AuditEvent.created_at < flt.date_to)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def staff_users(session: Session) -> list[User]:
    """Who can appear as the acting staff member (for the filter): not the platform's notifications sender."""
    staff = select(User).where(User.role.in_(("support", "admin")), User.username != PLATFORM_USERNAME)
    return list(session.scalars(staff.order_by(User.username).limit(200)))
