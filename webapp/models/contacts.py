"""Address book: contact groups and their contacts (the import wizard comes with its own issue)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.domain.search_text import contact_search_text
from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class ContactGroup(db.Model):
    __tablename__ = "contact_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A parent account's group its subusers may send to (read only); their own groups are theirs.
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contacts: Mapped[list[Contact]] = relationship(back_populates="group", cascade="all, delete-orphan")


class Contact(db.Model):
    __tablename__ = "contacts"
    # The same number (in E.164) is kept once per group, however it was written.
    __table_args__ = (UniqueConstraint("group_id", "phone", name="uq_contacts_group_phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("contact_groups.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))  # E.164 with +
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    # Extra columns from the imported file, usable later as #placeholders.
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the search finds it by, case and diacritics folded (domain/search_text.py): set on every
    # ORM insert and update below, and by the imports' bulk insert (services/import_rows.py). 0024.
    # No index of its own: a search reads its group's rows (ix_contacts_group_id), as PostgreSQL
    # chose even with a trigram index, which made an import's save twice as slow.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    group: Mapped[ContactGroup] = relationship(back_populates="contacts")


@event.listens_for(Contact, "before_insert")
@event.listens_for(Contact, "before_update")
def _fold_search_text(_mapper: Any, _connection: Any, contact: Contact) -> None:
    contact.search_text = contact_search_text(contact.first_name, contact.last_name, contact.phone, contact.fields)
