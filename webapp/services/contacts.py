"""Contact groups of an account (the import wizard and editing come with the address-book issue)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.domain.phone import normalize
from webapp.models import Contact, ContactGroup, User


@dataclass(frozen=True)
class GroupSummary:
    id: int
    name: str
    contacts: int


def group_summaries(session: Session, actor: User) -> list[GroupSummary]:
    rows = session.execute(
        select(ContactGroup.id, ContactGroup.name, func.count(Contact.id))
        .outerjoin(Contact, Contact.group_id == ContactGroup.id)
        .where(ContactGroup.account_id == actor.account_id)
        .group_by(ContactGroup.id, ContactGroup.name)
        .order_by(ContactGroup.name)
    ).all()
    return [GroupSummary(*row) for row in rows]


def create_group(session: Session, actor: User, name: str, rows: list[dict]) -> ContactGroup:
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
        group.contacts.append(Contact(
            phone=phone, first_name=extra.pop("first_name", ""), last_name=extra.pop("last_name", ""), fields=extra,
        ))
    session.flush()
    return group
