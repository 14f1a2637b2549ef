"""Saved cards: the processor's token of a card a customer asked to keep, charged by automatic
top-ups (never the card number). A card is kept once per account, processor and fingerprint,
and forgotten by the customer (Notifications) or when support rejects the payment it came
with. Operations flush, never commit."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.models import SavedCard, User
from webapp.models.types import utcnow
from webapp.services.dml import rowcount
from webapp.services.processors import CardInfo


def save_card(session: Session, account_id: int, processor: str, card: CardInfo) -> SavedCard:
    """Keep (once) a card for automatic top-ups: the processor's token, never the number."""
    saved = session.scalar(
        select(SavedCard).where(
            SavedCard.account_id == account_id,
            SavedCard.processor == processor,
            SavedCard.fingerprint == card.fingerprint,
            SavedCard.removed_at.is_(None),
        )
    )
    if saved is None:
        saved = SavedCard(
            account_id=account_id,
            processor=processor,
            token=card.token,
            fingerprint=card.fingerprint,
            label=card.label,
            customer_ref=card.customer_ref,
        )
        session.add(saved)
        session.flush()
    return saved


def forget_card(session: Session, actor: User, card_id: int) -> bool:
    """A card of the actor's account is no longer charged (the processor keeps its own copy)."""
    return bool(
        rowcount(
            session.execute(
                update(SavedCard)
                .where(
                    SavedCard.id == card_id, SavedCard.account_id == actor.account_id, SavedCard.removed_at.is_(None)
                )
                .values(removed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
    )


def saved_card_of(session: Session, account_id: int) -> SavedCard | None:
    """The card automatic top-ups charge: the latest one kept."""
    return session.scalar(
        select(SavedCard)
        .where(SavedCard.account_id == account_id, SavedCard.removed_at.is_(None))
        .order_by(SavedCard.id.desc())
        .limit(1)
    )
