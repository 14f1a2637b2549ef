"""The operator console (admin role): customer accounts and staff users. Its price lists are in
price_lists.py, its routes in smsc_routes.py.

Thin use cases over the existing services (accounts, login sessions); they take the session and
the acting admin, flush, and leave the commit to the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain.money import InvalidAmount, parse_amount
from webapp.domain.passwords import password_problems
from webapp.domain.roles import PLATFORM_USERNAME, STAFF_ROLES, Role
from webapp.models import Account, LedgerEntry, Message, User
from webapp.models.types import utcnow
from webapp.services import accounts, audit, login_sessions
from webapp.services.errors import ServiceError

PAGE_SIZE = 25


# ----------------------------------------------------------------------------- customer accounts


def search_accounts(
    session: Session, query: str = "", page: int = 1, *, parent_id: int | None = None
) -> tuple[list[Account], int]:
    """Customer accounts, newest first. Without a query: the owners' accounts (subusers are reached
    from their parent: parent_id lists one account's subusers); with one: owners' and subusers'
    accounts matching a name or a username."""
    stmt = select(Account).where(Account.kind == "customer")
    query = (query or "").strip().lower()
    if parent_id is not None:
        stmt = stmt.where(Account.parent_id == parent_id)
    elif not query:
        stmt = stmt.where(Account.parent_id.is_(None))
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        usernames = select(User.account_id).where(func.lower(User.username).like(pattern, escape="\\"))
        stmt = stmt.where(or_(func.lower(Account.name).like(pattern, escape="\\"), Account.id.in_(usernames)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Account.id.desc()).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE))
    return list(rows), total


def customer_account(session: Session, account_id: int) -> Account | None:
    account = session.get(Account, account_id) if account_id else None
    return account if account is not None and account.kind == "customer" else None


def subuser_counts(session: Session, account_ids: list[int]) -> dict[int, int]:
    """How many subusers each of these accounts has (the ones with none are left out)."""
    if not account_ids:
        return {}
    rows = session.execute(
        select(Account.parent_id, func.count()).where(Account.parent_id.in_(account_ids)).group_by(Account.parent_id)
    )
    return {parent: count for parent, count in rows if parent is not None}


def owners_of(session: Session, account_ids: list[int]) -> dict[int, User]:
    """Each account's owner (a subuser's account: its subuser), the first one made, in one query."""
    if not account_ids:
        return {}
    roles = (Role.OWNER.value, Role.SUBUSER.value)
    first = (
        select(func.min(User.id))
        .where(User.account_id.in_(account_ids), User.role.in_(roles))
        .group_by(User.account_id)
    )
    return {user.account_id: user for user in session.scalars(select(User).where(User.id.in_(first)))}


def create_customer(
    session: Session, actor: User, *, name: str, username: str, email: str, password: str, credit: str = ""
) -> User:
    """A customer account and its owner; the first password has expired already, so the owner
    chooses their own at the first sign-in. Opening credit goes through the ledger."""
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [N_("Give the account (company) name.")]
    if "@" not in (email or ""):
        errors["email"] = [N_("Give an e-mail address.")]
    amount = Decimal("0")
    if (credit or "").strip():
        try:
            amount = parse_amount(credit)
            if amount < 0:
                raise InvalidAmount(credit)
        except InvalidAmount:
            errors["credit"] = [N_("Give an amount in EUR, e.g. 25 or 25.50.")]
    user = _new_user(
        session,
        actor,
        errors,
        username=username,
        password=password,
        name=name.strip(),
        email=email,
        credit=amount,
        role=Role.OWNER,
    )
    audit.record_admin(
        session,
        actor,
        "account.create",
        f"{user.account.name} ({user.username})",
        account_id=user.account_id,
        detail={"opening_credit": str(amount)},
    )
    return user


def _new_user(
    session: Session,
    actor: User,
    errors: dict[str, list[str]],
    *,
    username: str,
    password: str,
    name: str | None,
    email: str,
    credit: Decimal,
    role: Role,
) -> User:
    username = (username or "").strip()
    if not username:
        errors["username"] = [N_("A username is required.")]
    elif accounts.find_user(session, username) is not None:
        errors["username"] = [N_("This username is taken.")]
    problems = password_problems(password or "", username=username)
    if problems:
        errors["password"] = problems
    if errors:
        raise ServiceError(N_("Please correct the marked fields."), errors)
    user = accounts.create_account(
        session,
        actor,
        username=username,
        password=password,
        name=name,
        email=email.strip(),
        credit=credit,
        role=role,
        check_strength=False,
        language=actor.language,
    )
    user.password_changed_at = None  # a first password: expired, the user chooses their own
    session.flush()
    return user


def set_account_status(session: Session, actor: User, account_id: int, active: bool) -> Account:
    """Disable or enable a customer account: a disabled account's users cannot sign in (nor use API keys)."""
    account = session.get(Account, account_id)
    if account is None or account.kind != "customer":
        raise LookupError(account_id)
    account.status = "active" if active else "disabled"
    session.flush()
    if not active:
        for user in account.users:
            login_sessions.end_all(session, user.id, login_sessions.DISABLED)
    audit.record_admin(
        session, actor, "account.enable" if active else "account.disable", account.name, account_id=account.id
    )
    return account


# ----------------------------------------------------------------------------- staff users


def staff_users(session: Session) -> list[User]:
    """Support and admin users; not the platform's notifications sender (a system user, whose
    account's spend is the platform's cost: platform_cost)."""
    return list(
        session.scalars(
            select(User)
            .where(User.role.in_([r.value for r in STAFF_ROLES]), User.username != PLATFORM_USERNAME)
            .order_by(User.id)
        )
    )


@dataclass(frozen=True)
class PlatformCost:
    """What the platform's own notifications (low-balance SMS) cost: its account's debits."""

    total: Decimal
    this_month: Decimal
    messages_this_month: int
    currency: str


def platform_cost(session: Session, now: datetime | None = None) -> PlatformCost:
    account = session.scalar(
        select(Account).join(User, User.account_id == Account.id).where(User.username == PLATFORM_USERNAME)
    )
    if account is None:
        return PlatformCost(Decimal(0), Decimal(0), 0, "EUR")
    month = (now or utcnow()).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    spent = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.account_id == account.id, LedgerEntry.created_at >= month
        )
    )
    messages = session.scalar(
        select(func.count()).select_from(Message).where(Message.account_id == account.id, Message.created_at >= month)
    )
    return PlatformCost(-account.balance, -Decimal(spent or 0), messages or 0, account.currency)


def create_staff(
    session: Session, actor: User, *, username: str, full_name: str, email: str, role: str, password: str
) -> User:
    errors: dict[str, list[str]] = {}
    if role not in (Role.SUPPORT.value, Role.ADMIN.value):
        errors["role"] = [N_("Choose support or admin.")]
    if "@" not in (email or ""):
        errors["email"] = [N_("Give an e-mail address.")]
    user = _new_user(
        session,
        actor,
        errors,
        username=username,
        password=password,
        name=None,
        email=email,
        credit=Decimal("0"),
        role=Role(role),
    )
    user.full_name = (full_name or "").strip() or None
    session.flush()
    audit.record_admin(session, actor, "staff.create", user.username, detail={"role": role})
    return user


def set_staff_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    user = session.get(User, user_id)
    if user is None or user.role_enum not in STAFF_ROLES or user.username == PLATFORM_USERNAME:
        raise LookupError(user_id)
    if user.id == actor.id and not active:
        raise ServiceError(N_("You cannot disable yourself."))
    user.active = active
    session.flush()
    if not active:
        login_sessions.end_all(session, user.id, login_sessions.DISABLED)
    audit.record_admin(session, actor, "staff.enable" if active else "staff.disable", user.username)
    return user
