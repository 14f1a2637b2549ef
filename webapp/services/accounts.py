"""Creating accounts, users and API keys; signing in; changing passwords."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from hashlib import sha256

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain.passwords import SAME_AS_CURRENT, is_password_expired, password_problems
from webapp.domain.roles import Role
from webapp.domain.texts import Text
from webapp.models import Account, ApiKey, User
from webapp.models.types import utcnow
from webapp.services import ledger, login_sessions
from webapp.services.errors import ServiceError
from webapp.services.passwords import hash_password, needs_rehash, verify_password

WRONG_CURRENT = N_("The current password is not right.")


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    token: str  # shown once; only its hash is stored


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def create_account(
    session: Session,
    actor: User | None,
    *,
    username: str,
    password: str,
    name: str | None = None,
    email: str | None = None,
    credit: Decimal = Decimal("0"),
    role: Role = Role.OWNER,
    language: str = "en",
    default_region: str = "RO",
    timezone: str = "Europe/Bucharest",
    check_strength: bool = True,
) -> User:
    """A new paying account with its first user; opening credit goes through the ledger."""
    username = username.strip()
    if not username:
        raise ServiceError("A username is required.", {"username": ["Required."]})
    if find_user(session, username) is not None:
        raise ServiceError(
            Text(N_("The username '%(username)s' is taken."), {"username": username}), {"username": ["Taken."]}
        )
    if check_strength:
        problems = password_problems(password, username=username)
        if problems:
            raise ServiceError(" ".join(problems), {"password": problems})
    account = Account(
        name=name or username,
        kind="staff" if role.is_staff else "customer",
        default_region=default_region,
        timezone=timezone,
        balance=Decimal("0"),
    )
    session.add(account)
    session.flush()
    user = User(
        account=account,
        username=username,
        email=email,
        role=role.value,
        language=language,
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    if credit:
        ledger.post(
            session,
            account,
            credit,
            kind="topup",
            reason="Opening credit",
            reference=f"account:{account.id}:opening",
            actor=actor,
        )
    return user


def create_api_key(session: Session, actor: User, *, label: str = "") -> NewApiKey:
    prefix = "sk_" + secrets.token_hex(4)
    secret = secrets.token_urlsafe(24)
    key = ApiKey(
        user_id=actor.id,
        prefix=prefix,
        secret_hash=sha256(secret.encode()).hexdigest(),
        label=label,
    )
    session.add(key)
    session.flush()
    return NewApiKey(key=key, token=f"{prefix}.{secret}")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user if the credentials are right and the user may log in; None otherwise."""
    user = find_user(session, username)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None  # (verify_password refuses a missing user too, after as long a check)
    if not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def password_expired(user: User, max_age_days: int, now: datetime | None = None) -> bool:
    return is_password_expired(user.password_changed_at, now or utcnow(), max_age_days)


def set_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password after checking strength and that it differs from the current one."""
    problems = password_problems(new_password, username=user.username)
    if verify_password(user.password_hash, new_password):
        problems.insert(0, SAME_AS_CURRENT)
    if problems:
        raise ServiceError(" ".join(problems), {"new_password": problems})
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    session.flush()
    # Whoever else knew the old password is signed out: every sign-in but this browser's own
    # (a reset by e-mail comes with no sign-in, so it ends them all).
    login_sessions.end_others(session, user, login_sessions.NEW_PASSWORD)


def change_password(session: Session, user: User, current: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ServiceError(
            WRONG_CURRENT,
            {"current_password": [WRONG_CURRENT]},
        )
    set_password(session, user, new_password)


def update_preferences(session: Session, user: User, *, language: str, timezone: str, default_region: str) -> None:
    """The user's language; the account's time zone and default country for numbers (owner only)."""
    user.language = language
    if user.role_enum in (Role.OWNER, Role.ADMIN, Role.SUPPORT):
        user.account.timezone = timezone
        user.account.default_region = default_region
    session.flush()


def api_key_for_token(session: Session, token: str) -> ApiKey | None:
    """The API key "sk_xxxxxxxx.secret" if it is valid, not revoked and its user active."""
    prefix, _, secret = (token or "").strip().partition(".")
    if not prefix or not secret:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, sha256(secret.encode()).hexdigest()):
        return None
    if not key.user.is_active:
        return None
    key.last_used_at = utcnow()
    return key


def user_for_api_token(session: Session, token: str) -> User | None:
    """The user behind an API key (see api_key_for_token)."""
    key = api_key_for_token(session, token)
    return key.user if key is not None else None


def set_api_limit(session: Session, username: str, per_minute: int | None) -> Account:
    """An operator gives the user's account its own API rate limit (None: the platform's)."""
    from webapp.services import audit

    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise ServiceError(Text(N_("No user '%(username)s'."), {"username": username}))
    if per_minute is not None and not 1 <= per_minute <= 1_000_000:
        raise ServiceError(N_("The limit is between 1 and 1,000,000 requests per minute."))
    account = user.account
    before = account.api_requests_per_minute
    account.api_requests_per_minute = per_minute
    audit.record(
        session,
        staff_user=None,
        user=None,
        account_id=account.id,
        action="account.api_limit",
        target=f"account:{account.id}",
        detail={"before": before, "after": per_minute},
        ip="",
    )
    session.flush()
    return account


def list_api_keys(session: Session, actor: User) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.user_id == actor.id).order_by(ApiKey.id.desc())))


def revoke_api_key(session: Session, actor: User, key_id: int) -> bool:
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != actor.id:
        return False
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    session.flush()
    return True


def users_of(session: Session, owner: User) -> list[User]:
    """The users of the owner's account (the owner, its accountants)."""
    return list(session.scalars(select(User).where(User.account_id == owner.account_id).order_by(User.id)))


def add_accountant(session: Session, owner: User, *, username: str, email: str, full_name: str, password: str) -> User:
    """A user of the owner's account who sees only billing pages. The password the owner gives
    is a first one: it has expired already, so the accountant chooses their own at sign-in."""
    if owner.role_enum is not Role.OWNER:
        raise PermissionError("only the account's owner adds users")
    username = username.strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = [N_("A username is required.")]
    elif find_user(session, username) is not None:
        errors["username"] = [N_("This username is taken.")]
    if "@" not in (email or ""):
        errors["email"] = [N_("Give the accountant's e-mail address.")]
    problems = password_problems(password, username=username)
    if problems:
        errors["password"] = problems
    if errors:
        raise ServiceError(N_("Please correct the marked fields."), errors)
    user = User(
        account_id=owner.account_id,
        username=username,
        email=email.strip(),
        full_name=full_name.strip() or None,
        role=Role.ACCOUNTANT.value,
        language=owner.language,
        password_hash=hash_password(password),
        password_changed_at=None,
    )
    session.add(user)
    session.flush()
    return user


def set_user_active(session: Session, owner: User, user_id: int, active: bool) -> User:
    user = session.get(User, user_id)
    if user is None or user.account_id != owner.account_id or user.id == owner.id or owner.role_enum is not Role.OWNER:
        raise LookupError(user_id)
    user.active = active
    session.flush()
    if not active:
        login_sessions.end_all(session, user.id, login_sessions.DISABLED)
    return user
