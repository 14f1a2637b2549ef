"""Support "logs in as" a customer user: asked with a reason, limited in time, audited, never a staff target.

The web layer keeps the staff member's own login and stores the impersonation's id in the session;
the request guard (webapp/blueprints/__init__.py) asks `current()` on every request and swaps the
identity for that request only."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.models import User
from webapp.models.staff import Impersonation
from webapp.models.types import utcnow
from webapp.services import audit
from webapp.services.errors import ServiceError

# How long one impersonation lasts. Wanted as a setting (Settings.impersonation_minutes); a constant for now.
TIME_LIMIT = timedelta(minutes=30)
REASON_MIN = 10
REASON_MAX = 500


def refusal(actor: User | None, target: User | None) -> str | None:
    """Why `actor` may not impersonate `target` (a msgid: the page translates it), or None when it
    may (the rule, in one place)."""
    if actor is None or not actor.role_enum.is_staff:
        return N_("Only support staff can sign in as a customer.")
    if target is None:
        return N_("There is no such user.")
    if target.role_enum.is_staff:
        return N_("Staff and operators cannot be impersonated.")
    if target.id == actor.id:
        return N_("You cannot sign in as yourself.")
    if not target.is_active:
        return N_("This user or its account is disabled.")
    return None


def start(
    session: Session,
    actor: User,
    target_user_id: int,
    reason: str,
    *,
    ip: str = "",
    now: datetime | None = None,
    limit: timedelta = TIME_LIMIT,
) -> Impersonation:
    """Begin an impersonation (and audit it); the caller commits and remembers the id in the session."""
    target = session.get(User, target_user_id)
    problem = refusal(actor, target)
    if problem:
        raise ServiceError(problem)
    assert target is not None  # refusal() refuses a missing user
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise ServiceError(
            N_("Say why, in a few words."), {"reason": [(N_("At least %(num)s characters."), {"num": REASON_MIN})]}
        )
    now = now or utcnow()
    row = Impersonation(
        staff_user_id=actor.id,
        target_user_id=target.id,
        reason=reason[:REASON_MAX],
        started_at=now,
        expires_at=now + limit,
        ip=ip[:45],
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        staff_user=actor,
        user=target,
        account_id=target.account_id,
        action="impersonation.start",
        target=f"user:{target.id}",
        reason=row.reason,
        impersonation_id=row.id,
        ip=ip,
        detail={"expires_at": row.expires_at.isoformat()},
    )
    return row


def current(
    session: Session, impersonation_id: int | None, staff_user: User, now: datetime | None = None
) -> tuple[Impersonation | None, str | None]:
    """The impersonation a session points at, when it is still usable by this staff member.

    Returns (row, None) when active; (None, why) when it just ended here (expired, or the target or the
    staff member lost the right: the row is ended and audited, the caller commits and tells the user);
    (None, None) when there is nothing to continue (unknown id, another person's, already ended)."""
    if not impersonation_id:
        return None, None
    row = session.get(Impersonation, int(impersonation_id))
    if row is None or row.staff_user_id != staff_user.id or row.ended_at is not None:
        return None, None
    now = now or utcnow()
    if now >= row.expires_at:
        end(session, row, how="expired", now=now)
        return None, "expired"
    if refusal(staff_user, row.target_user):
        end(session, row, how="revoked", now=now)
        return None, "revoked"
    return row, None


def end(session: Session, row: Impersonation, *, how: str = "returned", now: datetime | None = None) -> bool:
    """End it once (return, sign-out, time limit); audited as impersonation.end. False when already ended."""
    if row.ended_at is not None:
        return False
    row.ended_at = now or utcnow()
    target = row.target_user
    audit.record(
        session,
        staff_user=row.staff_user,
        user=target,
        account_id=target.account_id,
        action="impersonation.end",
        target=f"user:{target.id}",
        reason=row.reason,
        impersonation_id=row.id,
        detail={"how": how},
    )
    return True


def target(session: Session, user_id: int) -> User | None:
    """The user support asks to act as (refusal() says whether it may)."""
    return session.get(User, user_id)
