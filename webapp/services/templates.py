"""Message templates: saved texts of an account, never visible to another account."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.models import MessageTemplate, User
from webapp.services.errors import ServiceError

NAME_REQUIRED = N_("Give the template a name.")
TEXT_REQUIRED = N_("The template has no text.")


def list_templates(session: Session, actor: User) -> list[MessageTemplate]:
    return list(session.scalars(
        select(MessageTemplate).where(MessageTemplate.account_id == actor.account_id).order_by(MessageTemplate.name)
    ))


def get_template(session: Session, actor: User, template_id: int) -> MessageTemplate | None:
    """The template if it belongs to the actor's account (None otherwise: a 404 for the view)."""
    template = session.get(MessageTemplate, template_id)
    return template if template is not None and template.account_id == actor.account_id else None


def create_template(session: Session, actor: User, name: str, text: str) -> MessageTemplate:
    name, errors = (name or "").strip(), {}
    if not name:
        errors["name"] = [NAME_REQUIRED]
    if not (text or "").strip():
        errors["text"] = [TEXT_REQUIRED]
    if errors:
        raise ServiceError(" ".join(m for ms in errors.values() for m in ms), errors)
    template = MessageTemplate(account_id=actor.account_id, created_by_user_id=actor.id, name=name[:120], text=text)
    session.add(template)
    session.flush()
    return template


def delete_template(session: Session, actor: User, template_id: int) -> bool:
    template = get_template(session, actor, template_id)
    if template is None:
        return False
    session.delete(template)
    session.flush()
    return True
