"""Sign-ins kept on the server, so that they can be ended.

Flask keeps the session in a signed cookie, and Flask-Login keeps `User.get_id()` in it (and in the
remember-me cookie). Here `get_id()` is "<user id>:<token>", the token naming a LoginSession row:
a cookie whose row is ended or expired, or whose user is disabled, opens nothing. Signing out ends
this browser's row; a new password or "Sign out everywhere" ends the user's other rows (or all)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session, joinedload

from webapp.models import LoginSession, User
from webapp.models.types import utcnow
from webapp.services.dml import rowcount

SIGNED_OUT = "signed out"
EVERYWHERE = "signed out everywhere"
NEW_PASSWORD = "password changed"
DISABLED = "user disabled"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_for(
    session: Session,
    user: User,
    *,
    remember: bool,
    lifetime: timedelta,
    ip: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> str:
    """Start a sign-in for `user`; sets `user.login_token` (what Flask-Login then stores) and returns it."""
    now = now or utcnow()
    token = secrets.token_urlsafe(24)
    session.add(
        LoginSession(
            user_id=user.id,
            token_hash=_hash(token),
            remember=remember,
            created_at=now,
            expires_at=now + lifetime,
            ip=(ip or "")[:45],
            user_agent=(user_agent or "")[:200],
        )
    )
    session.flush()
    user.login_token = token
    return token


def user_for(session: Session, login_id: str, now: datetime | None = None) -> User | None:
    """The user a session or remember-me cookie stands for, or None when that sign-in is over."""
    user_id, _, token = (login_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None  # a cookie from before sign-ins were kept, or forged
    row = session.scalar(
        select(LoginSession).options(joinedload(LoginSession.user)).where(LoginSession.token_hash == _hash(token))
    )  # one query per request
    now = now or utcnow()
    if row is None or row.user_id != int(user_id) or row.ended_at is not None or row.expires_at <= now:
        return None
    user = row.user
    if not user.is_active:
        return None
    user.login_token = token
    return user


def end_current(session: Session, user: User, reason: str = SIGNED_OUT, now: datetime | None = None) -> None:
    """End the sign-in this request came with (signing out)."""
    if user.login_token:
        _end(session, [LoginSession.token_hash == _hash(user.login_token)], reason, now)


def end_others(session: Session, user: User, reason: str, now: datetime | None = None) -> int:
    """End every sign-in of `user` but this request's own (a new password); returns how many."""
    keep = [LoginSession.token_hash != _hash(user.login_token)] if user.login_token else []
    return _end(session, [LoginSession.user_id == user.id, *keep], reason, now)


def end_all(session: Session, user_id: int, reason: str, now: datetime | None = None) -> int:
    """End every sign-in of a user (sign out everywhere, password reset, user disabled)."""
    return _end(session, [LoginSession.user_id == user_id], reason, now)


def active(session: Session, user: User, now: datetime | None = None) -> list[LoginSession]:
    """The user's sign-ins that still open pages, newest first."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None), LoginSession.expires_at > now)
            .order_by(LoginSession.id.desc())
        )
    )


def forget_old(session: Session, kept: timedelta = timedelta(days=30), now: datetime | None = None) -> int:
    """Delete sign-ins that ended or expired more than `kept` ago (the table would only grow)."""
    from sqlalchemy import delete, or_

    cutoff = (now or utcnow()) - kept
    result = session.execute(
        delete(LoginSession)
        .where(or_(LoginSession.ended_at < cutoff, LoginSession.expires_at < cutoff))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) or 0


def is_current(row: LoginSession, user: User) -> bool:
    return bool(user.login_token and row.token_hash == _hash(user.login_token))


def _end(session: Session, where: list[ColumnElement[bool]], reason: str, now: datetime | None) -> int:
    result = session.execute(
        update(LoginSession)
        .where(*where, LoginSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return rowcount(result) or 0
