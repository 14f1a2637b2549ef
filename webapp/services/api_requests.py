"""Idempotent API requests: the first answer to a key is stored with the messages it created,
in the same transaction, and returned again for every retry of the same request."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.models import ApiIdempotency, User


class KeyReused(Exception):
    """The Idempotency-Key was used before for a different request."""


def request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def previous_answer(session: Session, actor: User, key: str, digest: str) -> ApiIdempotency | None:
    row = session.scalar(
        select(ApiIdempotency).where(ApiIdempotency.account_id == actor.account_id, ApiIdempotency.key == key)
    )
    if row is not None and row.request_hash != digest:
        raise KeyReused(key)
    return row


def claim(session: Session, actor: User, key: str, digest: str) -> ApiIdempotency | None:
    """Reserve the key as the transaction's first write. None when another request got it first
    (the transaction is then rolled back: call previous_answer() to replay its answer)."""
    row = ApiIdempotency(account_id=actor.account_id, key=key, request_hash=digest)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    return row


def previous_or_claim(
    session: Session, actor: User, key: str, digest: str
) -> tuple[ApiIdempotency | None, ApiIdempotency | None]:
    """The answer to replay for a retry of the same request, else the key claimed for this one:
    (previous, None) or (None, claimed). Both None when another request claimed the key but its
    answer is not there to replay. KeyReused when the key went with a different request."""
    previous = previous_answer(session, actor, key, digest)
    if previous is not None:
        return previous, None
    row = claim(session, actor, key, digest)
    if row is not None:
        return None, row
    return previous_answer(session, actor, key, digest), None
