"""The operator console's price lists: the default list every customer is priced by, and the
own lists some accounts get (a copy of the default to edit, or one imported from a CSV).

Thin use cases over services/pricing.py; they take the session and the acting admin, record each
change in the audit log, flush, and leave the commit to the request.
"""

from __future__ import annotations

from phonenumbers import SUPPORTED_REGIONS
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain.money import InvalidAmount, parse_amount
from webapp.domain.pricing import PriceEntry, PriceRowError, parse_price_csv
from webapp.models import Account, PriceList, PriceListEntry, User
from webapp.services import audit, pricing
from webapp.services.errors import ServiceError


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
        audit.record_admin(
            session, actor, "prices.own", _list_name(account), account_id=account.id, detail={"rows": len(entries)}
        )
    return account


def back_to_default(session: Session, actor: User, account_id: int) -> Account:
    """Remove the account's own list: the default prices it again."""
    account = price_account(session, account_id)
    rows = len(list_prices(session, account))
    if pricing.remove_own_list(session, account):
        audit.record_admin(
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
    audit.record_admin(
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
    audit.record_admin(
        session,
        actor,
        "prices.set",
        f"{country}{' ' + prefix if prefix else ''}",
        account_id=account.id if account else None,
        detail=detail,
    )
    return next(e for e in list_prices(session, account) if (e.country, e.prefix) == (country, prefix))
