"""Message templates: saved texts of an account; a parent account's owner may share some with
its subusers (who use them, read only). Never visible to any other account."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain.roles import Role
from webapp.models import Account, MessageTemplate, User
from webapp.services.errors import ServiceError

NAME_REQUIRED = N_("Give the template a name.")
TEXT_REQUIRED = N_("The template has no text.")
NAME_TAKEN = N_("You have a template with this name already: choose another name.")


def usable_condition(account: Account) -> ColumnElement[bool]:
    """THE rule of which templates an account may read and use: its own, and its parent
    account's shared ones (the Templates page, the pickers, the use endpoint)."""
    own = MessageTemplate.account_id == account.id
    if account.parent_id is None:
        return own
    return or_(own, and_(MessageTemplate.account_id == account.parent_id, MessageTemplate.shared.is_(True)))


def usable_templates(session: Session, actor: User) -> list[MessageTemplate]:
    """Own templates first, then the parent's shared ones; see :func:`shared_by`."""
    account = actor.account
    return list(
        session.scalars(
            select(MessageTemplate)
            .where(usable_condition(account))
            .order_by(MessageTemplate.account_id != account.id, MessageTemplate.name)
        )
    )


def usable_template(session: Session, actor: User, template_id: int) -> MessageTemplate | None:
    """A template the actor may use (None otherwise: a 404 for the view)."""
    return session.scalar(
        select(MessageTemplate).where(MessageTemplate.id == template_id, usable_condition(actor.account))
    )


def shared_by(actor: User, template: MessageTemplate) -> str | None:
    """The parent account's name for a template shared with the actor; None for its own."""
    if template.account_id == actor.account_id:
        return None
    parent = actor.account.parent if actor.account.parent_id is not None else None
    return parent.name if parent is not None else None


def get_template(session: Session, actor: User, template_id: int) -> MessageTemplate | None:
    """The template if it belongs to the actor's account (None otherwise: a 404 for the view).
    The lookup for changing a template; :func:`usable_template` is the one for using it."""
    template = session.get(MessageTemplate, template_id)
    return template if template is not None and template.account_id == actor.account_id else None


def set_shared(session: Session, actor: User, template_id: int, shared: bool) -> MessageTemplate | None:
    """The owner shares (or stops sharing) one of its account's templates with its subusers."""
    template = get_template(session, actor, template_id) if actor.role == Role.OWNER.value else None
    if template is not None:
        template.shared = bool(shared)
        session.flush()
    return template


def create_template(session: Session, actor: User, name: str, text: str) -> MessageTemplate:
    """A new template of the actor's account, named as none of the account's others is (case
    and surrounding spaces aside); the refusals name their field (name, text)."""
    name, errors = (name or "").strip()[:120], {}
    if not name:
        errors["name"] = [NAME_REQUIRED]
    elif name.casefold() in _names(session, actor.account_id):
        errors["name"] = [NAME_TAKEN]
    if not (text or "").strip():
        errors["text"] = [TEXT_REQUIRED]
    if errors:
        raise ServiceError(" ".join(m for ms in errors.values() for m in ms), errors)
    template = MessageTemplate(account_id=actor.account_id, created_by_user_id=actor.id, name=name, text=text)
    session.add(template)
    session.flush()
    return template


def _names(session: Session, account_id: int) -> set[str]:
    """The account's own template names, casefolded (a parent's shared ones may be named alike)."""
    names = session.scalars(select(MessageTemplate.name).where(MessageTemplate.account_id == account_id))
    return {n.strip().casefold() for n in names}


def delete_template(session: Session, actor: User, template_id: int) -> bool:
    template = get_template(session, actor, template_id)
    if template is None:
        return False
    session.delete(template)
    session.flush()
    return True
