"""Subusers: child accounts a customer (the owner) makes, each with one user of role subuser.

The parent lists, edits, disables and enables them, resets their passwords and moves credit
to and from them (two "transfer" ledger rows in one transaction). Which accounts' data an actor
may read is decided in one place: :func:`visible_account_ids`. Flushes, never commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain import subusers as rules
from webapp.domain.passwords import password_problems
from webapp.domain.phone import InvalidNumber, normalize
from webapp.domain.roles import Role
from webapp.domain.texts import Text
from webapp.models import Account, LedgerEntry, User
from webapp.models.types import utcnow
from webapp.services import ledger, login_sessions
from webapp.services.accounts import find_user
from webapp.services.errors import FieldMessage, ServiceError
from webapp.services.passwords import hash_password

CORRECT_FIELDS = N_("Please correct the marked fields.")
AT_MOST = N_("You can transfer at most €%(amount)s.")


# ---------------------------------------------------------------- who may see what


def visible_account_ids(session: Session, actor: User) -> list[int]:
    """The accounts whose messages, campaigns and costs the actor may read: its own, and for
    an account's owner also its subusers' accounts. The one rule for tenancy of reports."""
    ids = [actor.account_id]
    if actor.role == Role.OWNER.value:
        ids += list(
            session.scalars(select(Account.id).where(Account.parent_id == actor.account_id).order_by(Account.id))
        )
    return ids


def subuser_choices(session: Session, actor: User) -> list[tuple[int, str]]:
    """(account id, username) of the actor's subusers, for a report's "Subuser" filter; empty
    for anyone but an owner."""
    if actor.role != Role.OWNER.value:
        return []
    return [
        (a, u)
        for a, u in session.execute(
            select(Account.id, User.username)
            .join(User, User.account_id == Account.id)
            .where(Account.parent_id == actor.account_id, User.role == Role.SUBUSER.value)
            .order_by(User.username)
        )
    ]


# ---------------------------------------------------------------- listing


@dataclass(frozen=True)
class Subuser:
    account: Account
    user: User
    spent_month: Decimal = Decimal("0.0000")


def _owner_only(actor: User) -> None:
    if actor.role != Role.OWNER.value:
        raise PermissionError("only an account's owner manages subusers")


def list_subusers(session: Session, owner: User, now: datetime | None = None) -> list[Subuser]:
    _owner_only(owner)
    rows = session.execute(
        select(Account, User)
        .join(User, User.account_id == Account.id)
        .where(Account.parent_id == owner.account_id, User.role == Role.SUBUSER.value)
        .order_by(User.username)
    ).all()
    return [Subuser(a, u, period_spend(session, a, now)[1]) for a, u in rows]


def get_subuser(session: Session, owner: User, account_id: int) -> Subuser:
    """The owner's subuser by its account id; LookupError for anyone else's (a 404)."""
    _owner_only(owner)
    account = session.get(Account, account_id)
    if account is None or account.parent_id != owner.account_id:
        raise LookupError(account_id)
    user = session.scalar(select(User).where(User.account_id == account.id, User.role == Role.SUBUSER.value))
    if user is None:
        raise LookupError(account_id)
    return Subuser(account, user)


# ---------------------------------------------------------------- making and changing


@dataclass(frozen=True)
class Settings:
    """What the owner chooses for a subuser (new or edited). Caps are text as typed."""

    email: str = ""
    phone: str = ""
    billing_mode: str = "own"
    default_region: str = "RO"
    timezone: str = "Europe/Bucharest"
    receives_replies: bool = True
    daily_cap: str = ""
    monthly_cap: str = ""


def _checked(settings: Settings, errors: dict[str, list[FieldMessage]]) -> dict[str, Any]:
    """The account and user values of the settings; problems go to ``errors`` by field: e-mail and
    phone (str or None), daily_cap and monthly_cap (Decimal or None)."""
    values: dict[str, Any] = {"email": settings.email.strip() or None, "phone": None}
    if values["email"] and "@" not in values["email"]:
        errors["email"] = [N_("Give an e-mail address such as name@example.com.")]
    if settings.phone.strip():
        try:
            values["phone"] = normalize(settings.phone, settings.default_region or None)
        except InvalidNumber as exc:
            errors["phone"] = [exc.text]
        except ValueError:
            errors["default_region"] = [N_("Choose a country.")]
    if settings.billing_mode not in rules.BILLING_MODES:
        errors["billing_mode"] = [N_("Choose how this user is billed.")]
    for name in ("daily_cap", "monthly_cap"):
        try:
            values[name] = rules.parse_cap(getattr(settings, name))
        except rules.BadAmount as exc:
            errors[name] = [exc.args[0]]
    if not errors and values["daily_cap"] and values["monthly_cap"] and values["daily_cap"] > values["monthly_cap"]:
        errors["daily_cap"] = [N_("The daily cap cannot be more than the monthly cap.")]
    return values


def create_subuser(session: Session, owner: User, *, username: str, password: str, settings: Settings) -> Subuser:
    """A child account (kind customer, parent = the owner's account) with its one subuser user.
    The password the owner gives has expired already, as an accountant's first one does."""
    _owner_only(owner)
    username = (username or "").strip()
    errors: dict[str, list[FieldMessage]] = {}
    if not username:
        errors["username"] = [N_("A username is required.")]
    elif find_user(session, username) is not None:
        errors["username"] = [N_("This username is taken.")]
    problems = password_problems(password or "", username=username)
    if problems:
        errors["password"] = list(problems)
    values = _checked(settings, errors)
    if errors:
        raise ServiceError(CORRECT_FIELDS, errors)
    parent = owner.account
    account = Account(
        name=username,
        kind="customer",
        parent_id=parent.id,
        currency=parent.currency,
        balance=Decimal("0"),
        default_region=settings.default_region,
        timezone=settings.timezone,
        billing_mode=settings.billing_mode,
        receives_replies=settings.receives_replies,
        daily_cap=values["daily_cap"],
        monthly_cap=values["monthly_cap"],
    )
    session.add(account)
    session.flush()
    user = User(
        account=account,
        username=username,
        email=values["email"],
        phone=values["phone"],
        role=Role.SUBUSER.value,
        language=owner.language,
        password_hash=hash_password(password),
        password_changed_at=None,
    )  # a first password: the subuser chooses its own at sign-in
    session.add(user)
    session.flush()
    return Subuser(account, user)


def update_subuser(session: Session, owner: User, account_id: int, settings: Settings) -> Subuser:
    found = get_subuser(session, owner, account_id)
    errors: dict[str, list[FieldMessage]] = {}
    values = _checked(settings, errors)
    if errors:
        raise ServiceError(CORRECT_FIELDS, errors)
    account, user = found.account, found.user
    user.email, user.phone = values["email"], values["phone"]
    account.billing_mode, account.receives_replies = settings.billing_mode, settings.receives_replies
    account.default_region, account.timezone = settings.default_region, settings.timezone
    account.daily_cap, account.monthly_cap = values["daily_cap"], values["monthly_cap"]
    session.flush()
    return found


def set_active(session: Session, owner: User, account_id: int, active: bool) -> Subuser:
    """Disable (the subuser cannot sign in, its API keys stop working) or enable again."""
    found = get_subuser(session, owner, account_id)
    found.user.active = active
    found.account.status = "active" if active else "disabled"
    session.flush()
    if not active:
        login_sessions.end_all(session, found.user.id, login_sessions.DISABLED)
    return found


def reset_password(session: Session, owner: User, account_id: int, password: str) -> Subuser:
    """A new first password that has expired already: the subuser chooses its own at sign-in."""
    found = get_subuser(session, owner, account_id)
    problems = password_problems(password or "", username=found.user.username)
    if problems:
        raise ServiceError(" ".join(problems), {"password": problems})
    found.user.password_hash = hash_password(password)
    found.user.password_changed_at = None
    session.flush()
    login_sessions.end_all(session, found.user.id, login_sessions.NEW_PASSWORD)
    return found


# ---------------------------------------------------------------- moving credit


def _amount(raw: str) -> Decimal:
    try:
        return rules.parse_transfer_amount(raw)
    except rules.BadAmount as exc:
        raise ServiceError(exc.args[0], {"amount": [exc.args[0]]}) from None


def transfer(session: Session, owner: User, account_id: int, raw_amount: str, *, back: bool = False) -> Decimal:
    """Move credit from the owner's account to the subuser's (or ``back``): two ledger rows of
    kind "transfer" with one reference, in one transaction. The giver's row is a conditional
    debit; a giver can never go below zero (a credit limit is not something to give away)."""
    found = get_subuser(session, owner, account_id)
    amount = _amount(raw_amount)
    parent, child, name = owner.account, found.account, found.user.username
    giver = child if back else parent
    reference = f"transfer:{parent.id}:{child.id}:{uuid.uuid4().hex[:12]}"
    to_child = (f"Transfer to subuser {name}", "Transfer from parent")
    from_child = (f"Transfer from subuser {name}", "Transfer to parent")
    parent_reason, child_reason = from_child if back else to_child
    sign = -1 if not back else 1
    try:
        with session.begin_nested():
            # Always the parent's row first: both directions lock the two accounts in one order.
            parent_row = ledger.post(
                session, parent, sign * amount, kind="transfer", reason=parent_reason, reference=reference, actor=owner
            )
            child_row = ledger.post(
                session, child, -sign * amount, kind="transfer", reason=child_reason, reference=reference, actor=owner
            )
            if (child_row if back else parent_row).balance_after < 0:
                raise ledger.InsufficientCredit("Insufficient credit.")
    except ledger.InsufficientCredit:
        most = rules.transferable(session.execute(select(Account.balance).where(Account.id == giver.id)).scalar_one())
        raise ServiceError(
            Text(AT_MOST, {"amount": f"{most:.2f}"}), {"amount": [(AT_MOST, {"amount": f"{most:.2f}"})]}
        ) from None
    return amount


# ---------------------------------------------------------------- spend and caps


def spend(session: Session, account_id: int, since: datetime) -> Decimal:
    """What sending took from the account since ``since``: minus the sum of its reservation,
    charge, release and refund rows made since then (a refund or release made in the period
    gives back; top-ups, transfers and adjustments are not spending)."""
    total = session.scalar(
        select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.account_id == account_id,
            LedgerEntry.kind.in_(rules.SPEND_KINDS),
            LedgerEntry.created_at >= since,
        )
    )
    return -total if total is not None else Decimal("0.0000")


def period_spend(session: Session, account: Account, now: datetime | None = None) -> tuple[Decimal, Decimal]:
    """Spend today and this month, in the account's time zone."""
    day, month = rules.period_starts(now or utcnow(), account.timezone)
    return spend(session, account.id, day), spend(session, account.id, month)


def check_caps(
    session: Session, account: Account, cost: Decimal, *, field: str = "to", now: datetime | None = None
) -> None:
    """Refuse (ServiceError) when ``cost`` more would pass the account's daily or monthly cap.

    Accounts with a cap are locked first (an UPDATE of their own row, held until commit), so two
    concurrent senders of one account are checked one after the other, never both on old sums."""
    if account.daily_cap is None and account.monthly_cap is None or cost <= 0:
        return
    session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(balance=Account.balance)
        .execution_options(synchronize_session=False)
    )
    today, month = period_spend(session, account, now)
    breach = rules.cap_breach(
        cost, spent_today=today, spent_month=month, daily_cap=account.daily_cap, monthly_cap=account.monthly_cap
    )
    if breach is not None:
        raise ServiceError(Text(breach.message, breach.params()), {field: [(breach.message, breach.params())]})
