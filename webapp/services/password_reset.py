"""Password reset by e-mailed link: a signed, time-limited token bound to the current hash,
so it stops working once used (the hash changes) or when it expires."""

from __future__ import annotations

from hashlib import sha256

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from webapp.models import User

SALT = "password-reset"


def _fingerprint(user: User) -> str:
    return sha256(user.password_hash.encode()).hexdigest()[:16]


def make_token(secret_key: str, user: User) -> str:
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps([user.id, _fingerprint(user)])


def user_for_token(session: Session, secret_key: str, token: str, max_age: int) -> User | None:
    try:
        user_id, fingerprint = URLSafeTimedSerializer(secret_key, salt=SALT).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active or _fingerprint(user) != fingerprint:
        return None
    return user


def find_for_reset(session: Session, login: str) -> User | None:
    """The user named by a username or e-mail address, if it has an e-mail to send to."""
    login = login.strip().lower()
    if not login:
        return None
    user = session.scalar(select(User).where(or_(func.lower(User.username) == login, func.lower(User.email) == login)))
    return user if user is not None and user.email and user.is_active else None
