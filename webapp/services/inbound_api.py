"""GET /api/v1/inbound: the account's replies, newest first, each with the message it answers.
Read only; the number filter is read as sending reads numbers (services/reports.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import InboundMessage, Message, User
from webapp.services.reports import api_number


@dataclass(frozen=True)
class ApiInboundQuery:
    """from_number (as typed), received in [since, until), at most ``limit``, below ``before_id``."""

    from_number: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    before_id: int | None = None


def api_inbound(session: Session, actor: User, q: ApiInboundQuery) -> list[tuple[InboundMessage, Message | None]]:
    """The replies given to the key's account, each with the message it answers (None: unknown)."""
    query = select(InboundMessage).where(InboundMessage.account_id == actor.account_id)
    if q.from_number:
        query = query.where(InboundMessage.from_number == api_number(q.from_number, actor.account.default_region))
    if q.since:
        query = query.where(InboundMessage.received_at >= q.since)
    if q.until:
        query = query.where(InboundMessage.received_at < q.until)
    if q.before_id:
        query = query.where(InboundMessage.id < q.before_id)
    rows = list(session.scalars(query.order_by(InboundMessage.id.desc()).limit(q.limit)))
    wanted = {r.answers_message_id for r in rows if r.answers_message_id is not None}
    originals = {m.id: m for m in session.scalars(select(Message).where(Message.id.in_(wanted)))} if wanted else {}
    return [(r, originals.get(r.answers_message_id) if r.answers_message_id else None) for r in rows]
