"""What customers read about their messages: lists, one message's timeline, totals."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import LedgerEntry, Message, User


def get_message(session: Session, actor: User, message_id: int) -> Message | None:
    """The message if it belongs to the actor's account (None otherwise: a 404, never a 403)."""
    message = session.get(Message, message_id)
    return message if message is not None and message.account_id == actor.account_id else None


def recent_messages(session: Session, actor: User, limit: int = 50) -> list[Message]:
    return list(session.scalars(select(Message).where(Message.account_id == actor.account_id)
                                .order_by(Message.id.desc()).limit(limit)))


def money_movements(session: Session, message: Message) -> list[LedgerEntry]:
    return list(session.scalars(select(LedgerEntry).where(
        LedgerEntry.account_id == message.account_id, LedgerEntry.reference == f"msg:{message.id}").order_by(LedgerEntry.id)))
