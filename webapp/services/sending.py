"""Accepting messages: validate, price, reserve credit, store, and hand to the workers.

Accepting does no network I/O. Each recipient ends in a visible state: queued, or
refused with a reason (invalid number, unroutable, insufficient credit).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain import N_, lifecycle, phone, pricing
from webapp.domain.sms_text import analyze
from webapp.models import Message, MessageEvent, MessagePart, User
from webapp.models.types import utcnow
from webapp.services import ledger
from webapp.services.errors import ServiceError
from webapp.services.pricing import price_list_for
from webapp.services.routes import route_for

NO_TEXT = N_("The message has no text.")
NO_NUMBER = N_("Give at least one number.")
DEFAULT_VALIDITY = timedelta(hours=48)
MAX_VALIDITY = timedelta(days=7)


@dataclass(frozen=True)
class Submission:
    to: list[str]
    text: str
    sender: str
    validity: timedelta = DEFAULT_VALIDITY
    idempotency_key: str | None = None
    send_at: datetime | None = None  # scheduled: the validity counts from then


def accept(session: Session, actor: User, submission: Submission) -> list[Message]:
    """One message per recipient; flushes, never commits. Enqueue the queued ones after commit."""
    if not submission.text.strip():
        raise ServiceError(NO_TEXT, {"text": [NO_TEXT]})
    if not submission.to:
        raise ServiceError(NO_NUMBER, {"to": [NO_NUMBER]})
    account = actor.account
    analysis = analyze(submission.text)
    prices = price_list_for(session, account)
    now = utcnow()
    validity = min(max(submission.validity, timedelta(minutes=5)), MAX_VALIDITY)
    starts = max(now, submission.send_at) if submission.send_at else now
    messages = []
    for raw in submission.to:
        message = Message(
            account_id=account.id, user_id=actor.id, sender=submission.sender, to=str(raw)[:32],
            text=submission.text, encoding=analysis.encoding, parts=analysis.parts,
            status=lifecycle.ACCEPTED, validity_until=starts + validity, created_at=now,
            idempotency_key=submission.idempotency_key if len(submission.to) == 1 else None,
        )
        session.add(message)
        session.flush()
        _event(session, message, "accepted", parts=analysis.parts, encoding=analysis.encoding)
        _price_and_reserve(session, actor, message, prices)
        messages.append(message)
    session.flush()
    return messages


def find_by_idempotency_key(session: Session, actor: User, key: str | None) -> Message | None:
    if not key:
        return None
    return session.scalar(select(Message).where(Message.account_id == actor.account_id, Message.idempotency_key == key))


def _refuse(session: Session, message: Message, code: str, detail: str = "") -> None:
    message.status = lifecycle.REFUSED
    message.reason_code = code
    message.final_at = utcnow()
    _event(session, message, "refused", reason=code, detail=detail)


def _price_and_reserve(session: Session, actor: User, message: Message, prices: pricing.PriceList) -> None:
    try:
        message.to = phone.normalize(message.to, actor.account.default_region)
        message.country = phone.region_of(message.to)
    except phone.InvalidNumber as exc:
        return _refuse(session, message, "invalid_number", str(exc))
    route = route_for(session, message.country)
    if route is None:
        return _refuse(session, message, "unroutable", "no active route")
    try:
        quote = pricing.quote(message.parts, message.to, message.country, prices)
    except pricing.Unroutable as exc:
        return _refuse(session, message, "unroutable", str(exc))
    message.price_per_part, message.cost, message.route_id = quote.price_per_part, quote.cost, route.id
    try:  # one conditional UPDATE: refused whole when the balance cannot cover it
        ledger.post(session, actor.account, -quote.cost, kind="reservation",
                    reason=f"SMS to {message.to}", reference=f"msg:{message.id}", actor=actor)
    except ledger.InsufficientCredit:
        return _refuse(session, message, "insufficient_credit")
    for seq in range(1, message.parts + 1):
        session.add(MessagePart(message_id=message.id, seq=seq, submission_key=f"{message.id}:{seq}", route_id=route.id))
    message.status, message.queued_at = lifecycle.QUEUED, utcnow()
    _event(session, message, "queued", route=route.name, cost=str(quote.cost))


def _event(session: Session, message: Message, kind: str, **detail) -> None:
    session.add(MessageEvent(message_id=message.id, kind=kind, detail=detail))


def release(session: Session, message: Message, reason: str) -> None:
    """Give back a queued message's reservation in full (refused at submission, expired, cancelled)."""
    if message.cost and message.cost > Decimal(0):
        ledger.post(session, message_account(session, message), message.cost, kind="release",
                    reason=reason, reference=f"msg:{message.id}", actor=None)
        _event(session, message, "released", amount=str(message.cost), reason=reason)


def message_account(session: Session, message: Message):
    from webapp.models import Account

    return session.get(Account, message.account_id)
