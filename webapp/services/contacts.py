"""Contact groups of an account and their contacts: list, search, edit, export, clean up."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain.phone import InvalidNumber, normalize
from webapp.domain.roles import Role
from webapp.domain.search_text import fold
from webapp.models import Account, Contact, ContactGroup, User
from webapp.services.errors import ServiceError


@dataclass(frozen=True)
class GroupSummary:
    id: int
    name: str
    contacts: int
    shared: bool = False  # (own group) its owner shares it with the subusers
    shared_by: str | None = None  # (a parent's group) the parent account's name: use only


def usable_condition(account: Account) -> ColumnElement[bool]:
    """THE rule of which groups an account may read and send to: its own, and its parent
    account's shared ones. Used by the listing, the send page, campaigns and their expansion."""
    own = ContactGroup.account_id == account.id
    if account.parent_id is None:
        return own
    return or_(own, and_(ContactGroup.account_id == account.parent_id, ContactGroup.shared.is_(True)))


def usable_groups(session: Session, actor: User) -> list[GroupSummary]:
    """The groups the actor may use (own first, then the parent's shared ones), with counts."""
    account = actor.account
    rows = session.execute(
        select(ContactGroup.id, ContactGroup.name, func.count(Contact.id), ContactGroup.shared, ContactGroup.account_id)
        .outerjoin(Contact, Contact.group_id == ContactGroup.id)
        .where(usable_condition(account))
        .group_by(ContactGroup.id, ContactGroup.name, ContactGroup.shared, ContactGroup.account_id)
        .order_by(ContactGroup.account_id != account.id, ContactGroup.name)
    ).all()
    parent = account.parent if account.parent_id is not None else None
    parent_name = parent.name if parent is not None else None
    return [
        GroupSummary(id_, name, count, shared, None if owner == account.id else parent_name)
        for id_, name, count, shared, owner in rows
    ]


def usable_group(session: Session, actor: User, group_id: int) -> ContactGroup:
    """A group the actor may send to (see :func:`usable_condition`); LookupError otherwise.
    Only :func:`group_of` gives a group to change, export or clean."""
    group = session.scalar(select(ContactGroup).where(ContactGroup.id == group_id, usable_condition(actor.account)))
    if group is None:
        raise LookupError(group_id)
    return group


def set_shared(session: Session, actor: User, group_id: int, shared: bool) -> ContactGroup:
    """The owner shares (or stops sharing) one of its account's groups with its subusers."""
    if actor.role != Role.OWNER.value:
        raise LookupError(group_id)
    group = group_of(session, actor, group_id)
    group.shared = bool(shared)
    session.flush()
    return group


def create_group(session: Session, actor: User, name: str, rows: list[dict[str, Any]]) -> ContactGroup:
    """A group from already-checked rows: {'phone', 'first_name', 'last_name', **extra fields}."""
    group = ContactGroup(account_id=actor.account_id, owner_user_id=actor.id, name=name.strip())
    session.add(group)
    seen: set[str] = set()
    for row in rows:
        extra = dict(row)
        phone = normalize(extra.pop("phone"), actor.account.default_region)
        if phone in seen:
            continue
        seen.add(phone)
        group.contacts.append(
            Contact(
                phone=phone,
                first_name=extra.pop("first_name", ""),
                last_name=extra.pop("last_name", ""),
                fields=extra,
            )
        )
    session.flush()
    return group


PAGE_SIZE = 50
CLEANED_STATUSES = ("REJECTD", "UNDELIV")


def group_of(session: Session, actor: User, group_id: int) -> ContactGroup:
    """The actor's own account's group (to view, edit, import into, export, clean, delete)."""
    group = session.get(ContactGroup, group_id)
    if group is None or group.account_id != actor.account_id:
        raise LookupError(group_id)
    return group


def contacts_page(
    session: Session, group: ContactGroup, search: str = "", page: int = 1
) -> tuple[Sequence[Contact], int]:
    """(contacts, total) of a group, by name (either order), number or imported field, without
    regard to case or diacritics ("Taranu" finds "ȚĂRANU"), a page at a time: the folded search is
    a part of a contact's folded ``search_text`` (domain/search_text.py), or the search's digits
    are ("0722 123 456" finds +40722123456, whose digits it holds)."""
    query = select(Contact).where(Contact.group_id == group.id)
    words = fold(search)
    if words:
        digits = "".join(ch for ch in words if ch.isdigit())
        conditions = [Contact.search_text.contains(words, autoescape=True)]
        if digits and digits != words:
            conditions.append(Contact.search_text.contains(digits, autoescape=True))
        query = query.where(or_(*conditions))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.scalars(
        query.order_by(Contact.last_name, Contact.first_name, Contact.id)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return rows, total


def _checked_phone(session: Session, actor: User, group: ContactGroup, text: str, contact_id: int | None = None) -> str:
    try:
        e164 = normalize(text, actor.account.default_region)
    except InvalidNumber as exc:
        raise ServiceError(exc.text, {"phone": [exc.text]}) from None
    clash = session.scalar(select(Contact.id).where(Contact.group_id == group.id, Contact.phone == e164))
    if clash is not None and clash != contact_id:
        message = N_("This number is already in the group.")
        raise ServiceError(message, {"phone": [message]})
    return e164


def add_contact(
    session: Session, actor: User, group: ContactGroup, phone: str, first_name: str = "", last_name: str = ""
) -> Contact:
    contact = Contact(
        group_id=group.id,
        phone=_checked_phone(session, actor, group, phone),
        first_name=first_name.strip()[:100],
        last_name=last_name.strip()[:100],
        fields={},
    )
    session.add(contact)
    session.flush()
    return contact


def delete_contact(session: Session, group: ContactGroup, contact_id: int) -> None:
    """LookupError when the group holds no such contact."""
    session.delete(contact_of(session, group, contact_id))
    session.flush()


def delete_group(session: Session, group: ContactGroup) -> str:
    """The group and its contacts; returns the name it had."""
    name = group.name
    session.execute(delete(Contact).where(Contact.group_id == group.id))
    session.delete(group)
    session.flush()
    return name


def contact_of(session: Session, group: ContactGroup, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.group_id != group.id:
        raise LookupError(contact_id)
    return contact


def update_contact(
    session: Session, actor: User, contact: Contact, phone: str, first_name: str, last_name: str
) -> Contact:
    contact.phone = _checked_phone(session, actor, contact.group, phone, contact.id)
    contact.first_name, contact.last_name = first_name.strip()[:100], last_name.strip()[:100]
    session.flush()
    return contact


def field_names(session: Session, group: ContactGroup, sample: int = 200) -> list[str]:
    """The extra columns the group's contacts carry (from their imports), in first-seen order:
    the first and the last ``sample`` contacts (a group filled by several imports)."""
    names: dict[str, None] = {}
    for order in (Contact.id.asc(), Contact.id.desc()):
        for fields in session.scalars(
            select(Contact.fields).where(Contact.group_id == group.id).order_by(order).limit(sample)
        ):
            names.update(dict.fromkeys(fields or {}))
    return list(names)


def export_rows(session: Session, group: ContactGroup) -> Iterator[list[str]]:
    """Header, then every contact: phone, first name, last name, extra fields (streamed)."""
    extra = field_names(session, group)
    yield ["Phone", "First name", "Last name", *extra]
    query = select(Contact).where(Contact.group_id == group.id).order_by(Contact.id).execution_options(yield_per=1000)
    for contact in session.scalars(query):
        yield [
            contact.phone,
            contact.first_name,
            contact.last_name,
            *[(contact.fields or {}).get(n, "") for n in extra],
        ]


def failed_numbers(session: Session, group: ContactGroup) -> list[str]:
    """Numbers of the group whose last messages from this account came back REJECTD or UNDELIV."""
    from webapp.models import Message

    return list(
        session.scalars(
            select(Contact.phone)
            .where(Contact.group_id == group.id)
            .where(
                Contact.phone.in_(
                    select(Message.to).where(
                        Message.account_id == group.account_id, Message.status.in_(CLEANED_STATUSES)
                    )
                )
            )
            .order_by(Contact.phone)
        )
    )


def remove_failed_numbers(session: Session, group: ContactGroup) -> int:
    numbers = failed_numbers(session, group)
    if numbers:
        session.execute(delete(Contact).where(Contact.group_id == group.id, Contact.phone.in_(numbers)))
    session.flush()
    return len(numbers)
