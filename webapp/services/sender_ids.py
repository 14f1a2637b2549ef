"""Sender ID requests: customers ask, support decides, and only approved senders are used.

Who may use what: the platform's shared sender (settings.shared_sender_id) is everyone's; an
account's approved senders are its own; a subuser's account may also use its parent's approved
senders (the parent's brand was vetted once, and a subuser is the same company sending under
it). A parent does not get its subusers' senders, and nobody sees another account's requests.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain.sender_ids import InvalidSender, check_alphanumeric
from webapp.domain.texts import Text
from webapp.models import User
from webapp.models.staff import SenderId
from webapp.models.types import utcnow
from webapp.services import audit, contracts
from webapp.services.dml import rowcount
from webapp.services.errors import FieldMessage, ServiceError

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)
NOT_ALLOWED = N_(
    "This sender ID is not approved for your account. Use one of your approved sender IDs, "
    "or ask for it under Account → Sender IDs."
)
ALREADY = {
    PENDING: N_("You have already asked for %(sender)s; support has not decided yet."),
    APPROVED: N_("%(sender)s is already approved for your account."),
}


def usable_senders(session: Session, actor: User, shared: str) -> list[str]:
    """The shared sender (the SHARED_SENDER_ID setting, given by the caller) first, then the
    approved senders of the actor's account (and of its parent), in alphabetical order, without
    repeats."""
    account_ids = [actor.account_id]
    parent_id = actor.account.parent_id if actor.account is not None else None
    if parent_id is not None:
        account_ids.append(parent_id)
    approved = session.scalars(
        select(SenderId.sender)
        .where(SenderId.account_id.in_(account_ids), SenderId.status == APPROVED)
        .order_by(SenderId.sender)
    ).all()
    return list(dict.fromkeys([shared, *approved]))


def check_usable(session: Session, actor: User, sender: str, shared: str) -> str:
    """The one check every way of sending passes (Send SMS, the API, campaigns): an approved
    sender, and an own one only while the account's contract allows it (services/contracts.py)."""
    if sender not in usable_senders(session, actor, shared):
        raise ServiceError(NOT_ALLOWED, {"sender": [NOT_ALLOWED]})
    contracts.check_own_sender(session, actor, sender, shared)
    return sender


def of_account(session: Session, actor: User) -> list[SenderId]:
    """The account's requests, newest first."""
    return list(
        session.scalars(
            select(SenderId)
            .where(SenderId.account_id == actor.account_id)
            .order_by(SenderId.created_at.desc(), SenderId.id.desc())
        )
    )


def inherited(session: Session, actor: User) -> list[str]:
    """The parent's approved senders a subuser may use too."""
    if actor.account.parent_id is None:
        return []
    return list(
        session.scalars(
            select(SenderId.sender)
            .where(SenderId.account_id == actor.account.parent_id, SenderId.status == APPROVED)
            .order_by(SenderId.sender)
        )
    )


def ask(session: Session, actor: User, sender: str, reason: str) -> SenderId:
    """A new request (pending). Asking again for a rejected sender re-opens it with the new reason;
    asking again for a pending or approved one is refused with a clear message."""
    errors: dict[str, list[FieldMessage]] = {}
    try:
        sender = check_alphanumeric(sender)
    except InvalidSender as exc:
        errors["sender"] = [(exc.message, exc.params) if exc.params else exc.message]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [N_("Tell us what the sender ID is for (your company or brand, the messages you send).")]
    elif len(reason) > 1000:
        errors["reason"] = [N_("Keep the reason under 1,000 characters.")]
    if errors:
        raise ServiceError(N_("Please correct the marked fields."), errors)
    existing = session.scalar(
        select(SenderId).where(SenderId.account_id == actor.account_id, func.lower(SenderId.sender) == sender.lower())
    )
    if existing is not None:
        if existing.status in ALREADY:
            message = (ALREADY[existing.status], {"sender": existing.sender})
            raise ServiceError(Text(*message), {"sender": [message]})
        reopened = session.execute(
            update(SenderId)
            .where(SenderId.id == existing.id, SenderId.status == REJECTED)
            .values(
                status=PENDING,
                sender=sender,
                reason=reason,
                requested_by_id=actor.id,
                decided_by_id=None,
                decided_at=None,
                note="",
                created_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(reopened) != 1:  # someone re-opened it a moment ago
            message = (ALREADY[PENDING], {"sender": existing.sender})
            raise ServiceError(Text(*message), {"sender": [message]})
        session.refresh(existing)
        return existing
    row = SenderId(account_id=actor.account_id, sender=sender, reason=reason, status=PENDING, requested_by_id=actor.id)
    session.add(row)
    session.flush()  # a concurrent identical request fails here on the unique constraint
    return row


# --- support ---------------------------------------------------------------------------------


def for_support(session: Session, limit: int = 200) -> list[SenderId]:
    """Pending requests first (oldest first: first come, first served), then the latest decisions."""
    pending = session.scalars(
        select(SenderId).where(SenderId.status == PENDING).order_by(SenderId.created_at, SenderId.id).limit(limit)
    ).all()
    decided = session.scalars(
        select(SenderId)
        .where(SenderId.status != PENDING)
        .order_by(SenderId.decided_at.desc(), SenderId.id.desc())
        .limit(50)
    ).all()
    return [*pending, *decided]


def decide(session: Session, staff: User, request_id: int, approve: bool, note: str = "") -> bool:
    """Approve or reject a pending request in one conditional UPDATE: True when this call decided
    it, False when it was already decided (a double click decides once). LookupError when there
    is no such request."""
    row = session.get(SenderId, request_id)
    if row is None:
        raise LookupError(request_id)
    note = (note or "").strip()
    if not approve and not note:
        message = N_("Write a note for the customer: why the sender ID is rejected.")
        raise ServiceError(message, {"note": [message]})
    status = APPROVED if approve else REJECTED
    result = session.execute(
        update(SenderId)
        .where(SenderId.id == request_id, SenderId.status == PENDING)
        .values(status=status, decided_by_id=staff.id, decided_at=utcnow(), note=note[:1000])
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return False
    session.refresh(row)
    _audit(session, staff, row, note)
    return True


def _audit(session: Session, staff: User, row: SenderId, note: str) -> None:
    audit.record(
        session,
        staff_user=staff,
        user=staff,
        account_id=row.account_id,
        action=f"sender_id.{row.status}",
        target=f"sender_id:{row.id} {row.sender}",
        reason=note,
        detail={"sender": row.sender, "status": row.status, "request_id": row.id},
    )
