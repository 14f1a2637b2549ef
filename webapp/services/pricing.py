"""Loading price lists and resolving the one that applies to an account."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain import pricing
from webapp.models import Account, PriceList, PriceListEntry

DEFAULT_LIST_NAME = "Default"


def _entries(price_list: PriceList | None) -> list[pricing.PriceEntry]:
    if price_list is None:
        return []
    return [pricing.PriceEntry(country=e.country, price=e.price, prefix=e.prefix) for e in price_list.entries]


def default_list(session: Session) -> PriceList | None:
    return session.scalar(select(PriceList).where(PriceList.is_default.is_(True)))


def price_list_for(session: Session, account: Account | None) -> pricing.PriceList:
    """The default list with the account's own entries on top (just the default for None). A
    subuser without a list of its own is priced by its parent's."""
    override = None
    if account is not None:
        override = session.scalar(select(PriceList).where(PriceList.account_id == account.id))
        if override is None and account.parent_id is not None:
            override = session.scalar(select(PriceList).where(PriceList.account_id == account.parent_id))
    return pricing.PriceList(_entries(default_list(session)), _entries(override))


def replace_entries(session: Session, account: Account | None, entries: list[pricing.PriceEntry]) -> PriceList:
    """Make ``entries`` the whole content of the default list (account None) or of an account's overrides."""
    if account is None:
        target = default_list(session) or PriceList(name=DEFAULT_LIST_NAME, is_default=True)
    else:
        target = session.scalar(select(PriceList).where(PriceList.account_id == account.id)) or PriceList(
            name=f"Account {account.id}: {account.name}", account_id=account.id
        )
    session.add(target)
    target.entries.clear()
    session.flush()
    target.entries.extend(PriceListEntry(country=e.country, prefix=e.prefix, price=e.price) for e in entries)
    session.flush()
    return target


def own_list(session: Session, account: Account) -> PriceList | None:
    """The account's own list (its overrides), or None when it is priced by the default alone."""
    return session.scalar(select(PriceList).where(PriceList.account_id == account.id))


def remove_own_list(session: Session, account: Account) -> bool:
    """Delete the account's own list, so the default prices it again; False when it had none."""
    target = own_list(session, account)
    if target is None:
        return False
    session.delete(target)
    session.flush()
    return True
