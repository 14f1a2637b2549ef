"""The operator console (admin role): price lists, routes, customer accounts and staff users.

Thin use cases over the existing services (pricing, routes, accounts, ledger); they take the
session and the acting admin, flush, and leave the commit to the request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from phonenumbers import SUPPORTED_REGIONS
from redis import Redis
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain.money import InvalidAmount, parse_amount
from webapp.domain.passwords import password_problems
from webapp.domain.pricing import PriceEntry, PriceRowError, parse_price_csv
from webapp.domain.roles import STAFF_ROLES, Role
from webapp.domain.routing import InvalidRouteUrl, parse_duration, redacted
from webapp.models import Account, PriceList, PriceListEntry, Route, User
from webapp.services import accounts, audit, login_sessions, pricing, routes
from webapp.services.errors import ServiceError

TEST_DEADLINE_SECONDS = 9.0  # the "Test route" button never waits longer than this
SMPP_TEST_TIMEOUT_SECONDS = 4.0  # each SMPP step (connect, bind, enquire_link) during a test
PAGE_SIZE = 25


def _audit(
    session: Session,
    actor: User,
    action: str,
    target: str,
    *,
    account_id: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Every change made in the console is in the audit log, in the same transaction."""
    audit.record(
        session,
        staff_user=actor,
        user=actor,
        account_id=account_id,
        action=f"admin.{action}",
        target=target,
        reason=reason,
        detail=detail or {},
    )


# ----------------------------------------------------------------------------- price lists


def default_prices(session: Session) -> list[PriceListEntry]:
    return list_prices(session, None)


def list_prices(session: Session, account: Account | None) -> list[PriceListEntry]:
    """The entries of the default list (account None) or of the account's own list."""
    price_list = pricing.default_list(session) if account is None else pricing.own_list(session, account)
    if price_list is None:
        return []
    return sorted(price_list.entries, key=lambda e: (e.country, e.prefix))


def price_account(session: Session, account_id: int) -> Account:
    """A customer account whose prices the console may set (LookupError otherwise)."""
    account = session.get(Account, account_id)
    if account is None or account.kind != "customer":
        raise LookupError(account_id)
    return account


def accounts_with_own_prices(session: Session) -> list[Account]:
    return list(
        session.scalars(
            select(Account)
            .join(PriceList, PriceList.account_id == Account.id)
            .order_by(func.lower(Account.name), Account.id)
        )
    )


def own_price_ids(session: Session, account_ids: list[int]) -> set[int]:
    """Which of these accounts have their own price list (the mark on the accounts page)."""
    if not account_ids:
        return set()
    return set(session.scalars(select(PriceList.account_id).where(PriceList.account_id.in_(account_ids))))


def _list_name(account: Account | None) -> str:
    return "default price list" if account is None else f"price list of {account.name}"


def give_own_prices(session: Session, actor: User, account_id: int) -> Account:
    """The account gets its own list, a copy of the default to edit; an existing one is kept as it is."""
    account = price_account(session, account_id)
    if pricing.own_list(session, account) is None:
        entries = [PriceEntry(country=e.country, price=e.price, prefix=e.prefix) for e in default_prices(session)]
        pricing.replace_entries(session, account, entries)
        _audit(session, actor, "prices.own", _list_name(account), account_id=account.id, detail={"rows": len(entries)})
    return account


def back_to_default(session: Session, actor: User, account_id: int) -> Account:
    """Remove the account's own list: the default prices it again."""
    account = price_account(session, account_id)
    rows = len(list_prices(session, account))
    if pricing.remove_own_list(session, account):
        _audit(
            session, actor, "prices.back_to_default", _list_name(account), account_id=account.id, detail={"rows": rows}
        )
    return account


class PriceFileRefused(ServiceError):
    def __init__(self, errors: list[PriceRowError]):
        super().__init__(N_("The file was refused: nothing was changed."), {"file": [str(e) for e in errors]})
        self.errors = errors


SHOWN_ERRORS = 50


def import_prices(session: Session, actor: User, text: str, account: Account | None = None) -> int:
    """Replace the default price list (or the account's own) with a CSV (the CLI's format);
    any bad row refuses the whole file."""
    if text.startswith(("PK\x03\x04", "\ufffd\ufffd\x11\ufffd")):  # .xlsx (a zip) or .xls, read as text
        raise PriceFileRefused(
            [
                PriceRowError(
                    1, "country", "this is an Excel workbook: save it as CSV (country, prefix, price) and upload that"
                )
            ]
        )
    try:
        entries, errors = parse_price_csv(text)
    except Exception:  # csv.Sniffer on something that is not a CSV at all
        entries, errors = [], [PriceRowError(1, "country", "this is not a CSV file of country,prefix,price")]
    if len(errors) > SHOWN_ERRORS:  # a page of a million refusals helps nobody; the first ones say what is wrong
        more = len(errors) - SHOWN_ERRORS
        errors = errors[:SHOWN_ERRORS] + [
            PriceRowError(errors[SHOWN_ERRORS].row, "…", f"and {more:,} more rows refused")
        ]
    if not errors and not entries:
        errors = [PriceRowError(2, "country", "the file has no price rows")]
    if errors:
        raise PriceFileRefused(errors)
    pricing.replace_entries(session, account, entries)
    _audit(
        session,
        actor,
        "prices.import",
        _list_name(account),
        account_id=account.id if account else None,
        detail={"rows": len(entries)},
    )
    return len(entries)


def set_price(
    session: Session, actor: User, country: str, price: str, prefix: str = "", account: Account | None = None
) -> PriceListEntry:
    """Change one price of the default list (or of the account's own), or add a country (or a prefix of one)."""
    country, prefix = (country or "").strip().upper(), (prefix or "").replace(" ", "")
    errors: dict[str, list[str]] = {}
    if country not in SUPPORTED_REGIONS:
        errors["country"] = [N_("Give a two-letter country code (ISO 3166), e.g. RO.")]
    if prefix and not (prefix.startswith("+") and prefix[1:].isdigit()):
        errors["prefix"] = [N_("A prefix looks like +40722.")]
    try:
        amount = parse_amount(price or "")
        if amount <= 0:
            raise InvalidAmount(price)
    except InvalidAmount:
        errors["price"] = [N_("Give a price per part greater than 0, with at most 4 decimals (e.g. 0.0350).")]
    if errors:
        raise ServiceError(N_("Please correct the marked fields."), errors)
    current = [PriceEntry(country=e.country, price=e.price, prefix=e.prefix) for e in list_prices(session, account)]
    old = next((e.price for e in current if (e.country, e.prefix) == (country, prefix)), None)
    kept = [e for e in current if (e.country, e.prefix) != (country, prefix)]
    pricing.replace_entries(session, account, [*kept, PriceEntry(country=country, price=amount, prefix=prefix)])
    detail = {"old": str(old) if old is not None else None, "new": str(amount)}
    if account is not None:
        detail["list"] = _list_name(account)
    _audit(
        session,
        actor,
        "prices.set",
        f"{country}{' ' + prefix if prefix else ''}",
        account_id=account.id if account else None,
        detail=detail,
    )
    return next(e for e in list_prices(session, account) if (e.country, e.prefix) == (country, prefix))


# ----------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class RouteRow:
    id: int
    name: str
    url: str  # redacted: the password is never shown
    countries: str
    active: bool


def list_routes(session: Session) -> list[RouteRow]:
    return [
        RouteRow(r.id, r.name, redacted(r.url), r.countries, r.active)
        for r in session.scalars(select(Route).order_by(Route.id))
    ]


def add_route(session: Session, actor: User, name: str, url: str, countries: str = "") -> Route:
    name, url = (name or "").strip(), (url or "").strip()
    if not name:
        raise ServiceError(N_("Please correct the marked fields."), {"name": [N_("Give the route a name.")]})
    bad = [c for c in (countries or "").replace(" ", "").upper().split(",") if c and c not in SUPPORTED_REGIONS]
    if bad:
        raise ServiceError(
            N_("Please correct the marked fields."),
            {"countries": [N_("Use two-letter country codes separated by commas, e.g. RO,MD.")]},
        )
    if session.scalar(select(Route.id).where(Route.name == name)) is not None:
        raise ServiceError(
            N_("Please correct the marked fields."), {"name": [N_("A route with this name exists already.")]}
        )
    try:
        route = routes.add_route(session, name, url, countries or "")
    except InvalidRouteUrl as exc:
        raise ServiceError(N_("Please correct the marked fields."), {"url": [str(exc)]}) from None
    _audit(session, actor, "route.add", name, detail={"url": redacted(url), "countries": route.countries})
    return route


def set_route_active(session: Session, actor: User, route_id: int, active: bool) -> Route:
    route = session.get(Route, route_id)
    if route is None:
        raise LookupError(route_id)
    route.active = active
    session.flush()
    _audit(session, actor, "route.enable" if active else "route.disable", route.name)
    return route


@dataclass(frozen=True)
class RouteTest:
    ok: bool
    message: str
    seconds: float


def _capped(url: str) -> str:
    """An SMPP URL whose per-step timeout is at most SMPP_TEST_TIMEOUT_SECONDS."""
    parts = urlsplit(url.strip())
    if parts.scheme != "smpp":
        return url
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    try:
        current = parse_duration(params.get("timeout", "10s"))
    except ValueError:
        current = SMPP_TEST_TIMEOUT_SECONDS
    params["timeout"] = f"{min(current, SMPP_TEST_TIMEOUT_SECONDS):g}s"
    return parts._replace(query=urlencode(params)).geturl()


def check_route(
    session: Session, route_id: int, redis: Redis | None, *, deadline: float = TEST_DEADLINE_SECONDS
) -> RouteTest:
    """What `routes test NAME` runs (bind, enquire_link, unbind for SMPP), within ``deadline`` seconds."""
    from webapp.connectors import RouteDown, connector_for

    route = session.get(Route, route_id)
    if route is None:
        raise LookupError(route_id)
    route_id, url, password = route.id, _capped(route.url), urlsplit(route.url).password or ""
    outcome: dict[str, object] = {}

    def run() -> None:
        connector = None
        try:
            connector = connector_for(route_id, url, redis)
            outcome["ok"] = connector.check()
        except RouteDown as exc:
            outcome["error"] = str(exc)
        except Exception as exc:  # a broken route must show its error, not break the page
            outcome["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            if connector is not None:
                connector.close()

    started = time.monotonic()
    worker = threading.Thread(target=run, name=f"route-test-{route_id}", daemon=True)
    worker.start()
    worker.join(deadline)
    took = time.monotonic() - started
    if "ok" in outcome:
        return RouteTest(True, str(outcome["ok"]), took)
    message = str(outcome.get("error") or f"no answer within {deadline:g} s")
    if password:
        message = message.replace(password, "***")
    return RouteTest(False, message, took)


# ----------------------------------------------------------------------------- customer accounts


def search_accounts(session: Session, query: str = "", page: int = 1) -> tuple[list[Account], int]:
    """Customer accounts (not subusers' or staff's), newest first, matching a name or a username."""
    stmt = select(Account).where(Account.kind == "customer", Account.parent_id.is_(None))
    query = (query or "").strip().lower()
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        usernames = select(User.account_id).where(func.lower(User.username).like(pattern, escape="\\"))
        stmt = stmt.where(or_(func.lower(Account.name).like(pattern, escape="\\"), Account.id.in_(usernames)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Account.id.desc()).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE))
    return list(rows), total


def owner_of(session: Session, account: Account) -> User | None:
    return session.scalar(
        select(User).where(User.account_id == account.id, User.role == Role.OWNER.value).order_by(User.id).limit(1)
    )


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
    _audit(
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
    _audit(session, actor, "account.enable" if active else "account.disable", account.name, account_id=account.id)
    return account


# ----------------------------------------------------------------------------- staff users


def staff_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role.in_([r.value for r in STAFF_ROLES])).order_by(User.id)))


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
    _audit(session, actor, "staff.create", user.username, detail={"role": role})
    return user


def set_staff_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    user = session.get(User, user_id)
    if user is None or user.role_enum not in STAFF_ROLES:
        raise LookupError(user_id)
    if user.id == actor.id and not active:
        raise ServiceError(N_("You cannot disable yourself."))
    user.active = active
    session.flush()
    if not active:
        login_sessions.end_all(session, user.id, login_sessions.DISABLED)
    _audit(session, actor, "staff.enable" if active else "staff.disable", user.username)
    return user
