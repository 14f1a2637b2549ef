"""Replies (MO) coming in: stored once, given to the account that last wrote to that phone from
that number, and read for the account's keywords (STOP blocks the phone for that account, with
the reply as proof; START lifts it).

Who gets a reply: the account whose message to the phone, from the number the reply was sent
to, was accepted last within ``reply_window_days`` (and not refused); a subuser that does not receive replies hands
them to its parent (and so on up). A reply nobody wrote to is kept without an account: the
operators' unmatched replies. The opt-out applies to the account that sent the message the
reply answers: that account's later messages to the phone are refused as "opted out".

Operations flush, never commit.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.connectors.base import Reply
from webapp.domain import lifecycle, opt_out, phone, webhook_events
from webapp.domain.mo_segments import NO_SAR, SarTlvs, Segment, body_of, joined_text, segment_of
from webapp.domain.roles import Role
from webapp.domain.smpp_pdu import decode_text
from webapp.models import Account, BlockedNumber, InboundMessage, InboundSegment, Message, User
from webapp.models.types import utcnow
from webapp.services import webhooks
from webapp.services.blocklist import OPT_OUT
from webapp.services.dml import rowcount
from webapp.services.errors import ServiceError

log = logging.getLogger(__name__)

REPLY_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class IncomingReply:
    """A reply as a route hands it over: the phone (as the SMSC wrote it), our number it was
    sent to, its text, and a key unique on the route when the route has one (a re-sent reply
    with the same key is stored once)."""

    from_number: str
    to_address: str
    text: str
    upstream_key: str | None = None
    received_at: datetime | None = None


def receive(
    session: Session, route_id: int | None, reply: IncomingReply, *, window: timedelta = REPLY_WINDOW
) -> InboundMessage | None:
    """Store one reply and act on its keyword; None when the route gave this reply before (its
    key; without one, the same words from the same phone to the same number within
    RESENT_WITHIN: an SMSC sending again a reply whose acknowledgement it did not get)."""
    received_at = reply.received_at or utcnow()
    number = phone.reply_sender(reply.from_number)
    keys = [reply.upstream_key] if reply.upstream_key is not None else _content_keys(number, reply, received_at)
    seen = session.scalar(
        select(InboundMessage.id).where(InboundMessage.route_id == route_id, InboundMessage.upstream_key.in_(keys))
    )
    if seen is not None:
        return None
    answers = _answered_message(session, number, reply.to_address, received_at, window)
    account_id = _receiving_account(session, answers.account_id) if answers is not None else None
    inbound = InboundMessage(
        route_id=route_id,
        from_number=number,
        to_address=reply.to_address.strip()[:32],
        text=reply.text,
        received_at=received_at,
        upstream_key=keys[0],
        account_id=account_id,
        answers_message_id=answers.id if answers is not None else None,
    )
    try:
        with session.begin_nested():  # a second worker storing the same reply at the same time
            session.add(inbound)
            session.flush()
    except IntegrityError:
        stored = session.scalar(
            select(InboundMessage.id).where(InboundMessage.route_id == route_id, InboundMessage.upstream_key == keys[0])
        )
        if stored is None:  # not the same reply stored by another worker: a real error
            raise
        return None
    if answers is not None:
        inbound.answer_ids = _act_on_keyword(session, inbound, answers)
    if account_id is not None:
        webhooks.emit(session, account_id, webhook_events.MESSAGE_REPLY, reply_event(inbound), f"reply_{inbound.id}")
    return inbound


RESENT_WITHIN = timedelta(minutes=10)


def _content_keys(number: str, reply: IncomingReply, at: datetime) -> list[str]:
    """Keys of a reply the route gave no key to: its words, phone and number, in this
    RESENT_WITHIN bucket and the one before (a re-send across the bucket's edge is the same)."""
    digest = hashlib.sha1(f"{number}|{reply.to_address.strip()}|{reply.text}".encode()).hexdigest()[:32]
    bucket = int(at.timestamp() // RESENT_WITHIN.total_seconds())
    return [f"h:{digest}:{bucket}", f"h:{digest}:{bucket - 1}"]


def reply_event(inbound: InboundMessage) -> dict[str, object]:
    """A reply as webhooks and the API show it."""
    return {
        "id": inbound.id,
        "from": inbound.from_number,
        "to": inbound.to_address,
        "text": inbound.text,
        "received_at": inbound.received_at.isoformat(),
        "answers_message_id": inbound.answers_message_id,
        "keyword": inbound.keyword_action,
    }


@dataclass
class Taken:
    """What :func:`take` did: replies stored whole, and automatic answers queued (HELP, the STOP
    confirmation) to hand to the workers once committed."""

    stored: int = 0
    to_send: list[int] = field(default_factory=list)


def take(session: Session, route_id: int, replies: list[Reply], *, window: timedelta = REPLY_WINDOW) -> Taken:
    """The replies a route handed over: each read (its text, or its bytes by their data_coding,
    a segment kept until its reply is whole) and received."""
    taken = Taken()
    for reply in replies:
        incoming = IncomingReply(reply.from_number, reply.to_address, "", reply.upstream_key, reply.received_at)
        if reply.text is not None:
            got = receive(session, route_id, replace(incoming, text=reply.text), window=window)
        else:
            sar = SarTlvs(*reply.sar) if reply.sar else NO_SAR
            segment = segment_of(reply.esm_class, reply.short_message, sar)
            if segment is not None:
                got = receive_segment(session, route_id, incoming, segment, reply.data_coding, window=window)
            else:
                text = decode_text(body_of(reply.esm_class, reply.short_message), reply.data_coding)
                got = receive(session, route_id, replace(incoming, text=text), window=window)
        if got is not None:
            taken.stored += 1
            taken.to_send += getattr(got, "answer_ids", [])
    return taken


SEGMENTS_KEPT = timedelta(minutes=15)


def receive_segment(
    session: Session,
    route_id: int,
    reply: IncomingReply,
    segment: Segment,
    data_coding: int,
    *,
    window: timedelta = REPLY_WINDOW,
) -> InboundMessage | None:
    """Keep one segment of a long reply; once all are in, the whole reply is received (and the
    segments deleted). A segment given twice is kept once; segments older than SEGMENTS_KEPT
    (a re-sent one of a reply joined long ago) never join a new reply. None while segments are
    missing. On PostgreSQL, one reply's segments are taken one worker at a time (an advisory
    lock to the end of the transaction): two workers each adding one half would each see only
    their own and neither join it."""
    number = phone.reply_sender(reply.from_number)
    identity = (
        InboundSegment.route_id == route_id,
        InboundSegment.from_number == number,
        InboundSegment.reference == segment.reference,
        InboundSegment.total == segment.total,
    )
    now = reply.received_at or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        lock = f"reply-segments|{route_id}|{number}|{segment.reference}|{segment.total}"
        session.execute(sql("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": lock})
    session.execute(delete(InboundSegment).where(*identity, InboundSegment.received_at < now - SEGMENTS_KEPT))
    try:
        with session.begin_nested():
            session.add(
                InboundSegment(
                    route_id=route_id,
                    from_number=number,
                    to_address=reply.to_address.strip()[:32],
                    reference=segment.reference,
                    total=segment.total,
                    number=segment.number,
                    body=segment.body,
                    data_coding=data_coding,
                    received_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        pass  # this segment is here already
    rows = session.scalars(select(InboundSegment).where(*identity).order_by(InboundSegment.number)).all()
    text = joined_text(segment.total, {row.number: (row.body, row.data_coding) for row in rows})
    if text is None:
        return None
    session.execute(delete(InboundSegment).where(*identity))
    # no key of its own: a re-sent long reply is the same words again (receive's content keys)
    whole = IncomingReply(number, rows[0].to_address, text, reply.upstream_key, rows[0].received_at)
    return receive(session, route_id, whole, window=window)


def forget_stale_segments(session: Session, now: datetime | None = None) -> int:
    """Cron: segments of replies never completed, kept a day, then deleted."""
    cutoff = (now or utcnow()) - timedelta(days=1)
    return rowcount(session.execute(delete(InboundSegment).where(InboundSegment.received_at < cutoff)))


def _answered_message(
    session: Session, number: str, to_address: str, received_at: datetime, window: timedelta
) -> Message | None:
    """The message the reply answers: the last one to the phone from that number that was not
    refused. Its acceptance time counts, not its submission's: a quick phone may answer before
    the worker has recorded the SMSC's answer to the submission."""
    address = to_address.strip()
    senders = {address, address.lstrip("+"), "+" + address.lstrip("+")}
    sent = (
        Message.to == number,
        Message.sender.in_(senders),
        Message.created_at >= received_at - window,
        Message.created_at <= received_at,
        Message.status.not_in((lifecycle.DRAFT, lifecycle.REFUSED)),
    )
    # The last writer, as the issue says, also on a shared sender several accounts use (each
    # phone's reply goes to whoever wrote to it last from that number).
    return session.scalar(select(Message).where(*sent).order_by(Message.created_at.desc(), Message.id.desc()).limit(1))


def _receiving_account(session: Session, account_id: int) -> int:
    """The account, or its parent (up the chain) when it does not receive replies."""
    seen: set[int] = set()
    account = session.get(Account, account_id)
    while account is not None and not account.receives_replies and account.parent_id and account.id not in seen:
        seen.add(account.id)
        account = session.get(Account, account.parent_id)
    return account.id if account is not None else account_id


def keywords_of(account: Account) -> dict[str, list[str]]:
    """The account's reply keywords by action (the defaults where it has set none)."""
    own = account.reply_keywords or {}
    return {action: list(own.get(action, opt_out.DEFAULT_KEYWORDS[action])) for action in opt_out.ACTIONS}


def _act_on_keyword(session: Session, inbound: InboundMessage, answered: Message) -> list[int]:
    """STOP, START or HELP for the account that sent the message the reply answers; returns the
    ids of the answers it queued (the HELP text, the STOP confirmation), to hand to the workers."""
    account = session.get(Account, answered.account_id)
    if account is None:
        return []
    match = opt_out.keyword_action(inbound.text, keywords_of(account))
    if match is None:
        return []
    inbound.keyword_action = match.action
    if not inbound.from_number.startswith("+"):  # not a phone number (reply_sender): nothing to block
        return []
    answers: list[int] = []
    if match.action == opt_out.HELP and (account.help_text or "").strip():
        answers += _answer(session, account, inbound, answered, account.help_text or "")
    opted_out = (
        BlockedNumber.account_id == account.id,
        BlockedNumber.phone == inbound.from_number,
        BlockedNumber.source == OPT_OUT,
    )
    changed = False
    if match.action == opt_out.STOP and session.scalar(select(BlockedNumber.id).where(*opted_out)) is None:
        changed = True
        if (account.opt_out_confirmation or "").strip():  # before the block, which would refuse it
            answers += _answer(session, account, inbound, answered, account.opt_out_confirmation or "")
        session.add(
            BlockedNumber(
                account_id=account.id,
                phone=inbound.from_number,
                reason=inbound.text.strip()[:200],  # the reply's words; the page names the source
                source=OPT_OUT,
                inbound_message_id=inbound.id,
            )
        )
    elif match.action == opt_out.START:
        changed = rowcount(session.execute(delete(BlockedNumber).where(*opted_out))) > 0
    session.flush()
    if changed:  # a STOP said again, or a START with nothing to lift, tells nobody
        data = {"number": inbound.from_number, "opted_out": match.action == opt_out.STOP, "reply_id": inbound.id}
        webhooks.emit(session, account.id, webhook_events.OPTED_OUT, data, f"optout_{inbound.id}")
    return answers


ANSWER_AGAIN_AFTER = timedelta(hours=24)


def _answer(session: Session, account: Account, inbound: InboundMessage, answered: Message, text: str) -> list[int]:
    """An automatic answer to the phone from the sender of the message it answered: an ordinary
    message of the account (priced, charged, refused as any would be), sent by its first owner or
    subuser; at most one of a kind a day to the same phone (a phone that is itself an answering
    machine must not start an endless, charged exchange)."""
    from webapp.services import sending

    recent = session.scalar(
        select(Message.id)
        .where(
            Message.account_id == account.id,
            Message.to == inbound.from_number,
            Message.idempotency_key.like(f"auto-answer-%-{inbound.keyword_action}"),
            Message.created_at >= inbound.received_at - ANSWER_AGAIN_AFTER,
        )
        .limit(1)
    )
    if recent is not None:
        return []

    user = session.scalar(
        select(User)
        .where(
            User.account_id == account.id, User.role.in_((Role.OWNER.value, Role.SUBUSER.value)), User.active.is_(True)
        )
        .order_by(User.id)
        .limit(1)
    )
    if user is None:
        return []
    submission = sending.Submission(
        to=[inbound.from_number],
        text=text,
        sender=answered.sender,  # as the account wrote it (the SMSC may spell our number otherwise)
        idempotency_key=f"auto-answer-{inbound.id}-{inbound.keyword_action}",
        shared_sender=answered.sender,  # allowed when the message it answers went out
    )
    try:
        with session.begin_nested():  # a refused answer (a sender not allowed, a spend cap) undoes only itself
            messages = sending.accept(session, user, submission)
    except ServiceError as exc:
        log.warning("automatic answer to reply %s not sent: %s", inbound.id, exc)
        return []
    return [m.id for m in messages if m.status == lifecycle.QUEUED]


def unmatched(session: Session, limit: int = 200) -> list[InboundMessage]:
    """Replies nobody wrote to (no account within the window): the operators' list, newest first."""
    return list(
        session.scalars(
            select(InboundMessage)
            .where(InboundMessage.account_id.is_(None))
            .order_by(InboundMessage.id.desc())
            .limit(limit)
        )
    )
