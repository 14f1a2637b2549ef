"""The Inbox: the replies (MO) given to the user's account, as conversations, one per phone
number (newest activity first, the last text, how many replies are unread, the contact's name
when the number is in the account's address book), and the thread of one number: our messages to
it and its replies in time order. Reading a thread marks its replies read; a reply from the
thread is an ordinary message (services/sending.py) from our number the phone wrote to.

Tenancy: only replies whose ``account_id`` is the user's account, only that account's messages
(and the ones those replies answer). Operations take the session and the acting user, flush,
never commit.

Search: the digits of a number, a contact's name, or words of the replies' text, case and
diacritics ignored (domain/search_text.fold). The replies have no folded column of their own:
the account's replies' texts are folded here, row by row (streamed), when the query has words.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from webapp.domain import lifecycle
from webapp.domain.report_periods import MAX_DAYS, Period, bounds
from webapp.domain.search_text import fold
from webapp.models import Account, BlockedNumber, Contact, ContactGroup, InboundMessage, Message, User
from webapp.models.types import utcnow
from webapp.services.blocklist import OPT_OUT
from webapp.services.contacts import usable_condition

PAGE_SIZE = 25
THREAD_LENGTH = 200  # the newest replies and messages of a thread shown (each)
MO = InboundMessage


@dataclass(frozen=True)
class Conversation:
    number: str
    last_at: datetime
    last_text: str
    last_is_reply: bool  # the last word is theirs (else ours)
    unread: int
    replies: int
    name: str | None  # the contact's name in the account's address book
    found_in: str | None = None  # a search by words: the newest reply that has them


@dataclass(frozen=True)
class ConversationPage:
    conversations: list[Conversation]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Entry:
    """One line of a thread: a reply (``reply``) or one of our messages (``message``)."""

    at: datetime
    text: str
    reply: InboundMessage | None = None
    message: Message | None = None

    @property
    def incoming(self) -> bool:
        return self.reply is not None


@dataclass(frozen=True)
class Thread:
    number: str
    name: str | None
    entries: list[Entry]
    sender: str | None  # our number the phone last wrote to: the reply goes from it
    unread: int
    opted_out: bool  # the phone said STOP to this account


def _own(actor: User) -> ColumnElement[bool]:
    return MO.account_id == actor.account_id


def _our_messages(actor: User, number: str | ColumnElement[str]) -> ColumnElement[bool]:
    return and_(Message.account_id == actor.account_id, Message.to == number, Message.status != lifecycle.DRAFT)


def conversations(session: Session, actor: User, query: str = "", page: int = 1) -> ConversationPage:
    """A page of the account's conversations, the newest activity first; ``query`` narrows them."""
    condition, found_in = _own(actor), dict[str, str]()
    if query.strip():
        matching, found_in = _matching(session, actor, query)
        condition = and_(condition, matching)
    grouped = (
        select(
            MO.from_number.label("number"),
            func.max(MO.received_at).label("last_reply"),
            func.sum(case((MO.read_at.is_(None), 1), else_=0)).label("unread"),
            func.count(MO.id).label("replies"),
        )
        .where(condition)
        .group_by(MO.from_number)
        .subquery()
    )
    last_sent = select(func.max(Message.created_at)).where(_our_messages(actor, grouped.c.number)).scalar_subquery()
    listed = select(grouped, last_sent.label("last_sent")).subquery()
    last_at = case((listed.c.last_sent > listed.c.last_reply, listed.c.last_sent), else_=listed.c.last_reply)
    total = session.scalar(select(func.count()).select_from(grouped)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.execute(
        select(listed.c.number, listed.c.unread, listed.c.replies)
        .order_by(last_at.desc(), listed.c.number)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    names = contact_names(session, actor, [row.number for row in rows])
    found = []
    for number, unread, replies in rows:
        at, text, is_reply = _last_word(session, actor, number)
        found.append(
            Conversation(
                number, at, text, is_reply, int(unread or 0), int(replies), names.get(number), found_in.get(number)
            )
        )
    return ConversationPage(found, total, page, pages)


def _matching(session: Session, actor: User, query: str) -> tuple[ColumnElement[bool], dict[str, str]]:
    """Numbers with these digits, contacts of that name, replies with those words (folded); and
    for the numbers found by words, the newest reply that has them."""
    digits = "".join(ch for ch in query if ch.isdigit())
    if digits and not any(ch.isalpha() for ch in query):
        return MO.from_number.contains(digits, autoescape=True), {}
    words = fold(query).split()
    named = session.scalars(
        select(Contact.phone)
        .join(ContactGroup, Contact.group_id == ContactGroup.id)
        .where(usable_condition(actor.account), Contact.search_text.contains(fold(query), autoescape=True))
    ).all()
    found_in: dict[str, str] = {}
    rows = session.execute(
        select(MO.from_number, MO.text)
        .where(_own(actor))
        .order_by(MO.received_at.desc(), MO.id.desc())
        .execution_options(yield_per=2000)
    )
    for number, text in rows:
        if number not in found_in and all(word in fold(text) for word in words):
            found_in[number] = text
    return MO.from_number.in_(sorted(set(named) | set(found_in))), found_in


def _last_word(session: Session, actor: User, number: str) -> tuple[datetime, str, bool]:
    """The newest reply of ``number`` or our newest message to it, whichever came last."""
    reply = session.execute(
        select(MO.received_at, MO.text)
        .where(_own(actor), MO.from_number == number)
        .order_by(MO.received_at.desc(), MO.id.desc())
        .limit(1)
    ).one()
    sent = session.execute(
        select(Message.created_at, Message.text)
        .where(_our_messages(actor, number))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).first()
    if sent is not None and sent.created_at > reply.received_at:
        return sent.created_at, sent.text, False
    return reply.received_at, reply.text, True


def contact_names(session: Session, actor: User, numbers: Iterable[str]) -> dict[str, str]:
    """The name of each number found in the address book the account may use (its first contact)."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    names: dict[str, str] = {}
    for phone, first, last in session.execute(
        select(Contact.phone, Contact.first_name, Contact.last_name)
        .join(ContactGroup, Contact.group_id == ContactGroup.id)
        .where(usable_condition(actor.account), Contact.phone.in_(wanted))
        .order_by(ContactGroup.account_id != actor.account_id, Contact.id)
    ):
        name = f"{first or ''} {last or ''}".strip()
        if name:
            names.setdefault(phone, name)
    return names


def thread(session: Session, actor: User, number: str) -> Thread:
    """Our messages to ``number`` and its replies to the account, oldest first (the newest
    THREAD_LENGTH of each); LookupError when there are neither."""
    replies = list(
        session.scalars(
            select(MO)
            .where(_own(actor), MO.from_number == number)
            .order_by(MO.received_at.desc(), MO.id.desc())
            .limit(THREAD_LENGTH)
        )
    )
    answered = {r.answers_message_id for r in replies if r.answers_message_id is not None}
    ours = or_(_our_messages(actor, number), Message.id.in_(sorted(answered)))
    messages = list(
        session.scalars(
            select(Message).where(ours).order_by(Message.created_at.desc(), Message.id.desc()).limit(THREAD_LENGTH)
        )
    )
    if not replies and not messages:
        raise LookupError(number)
    entries = [Entry(r.received_at, r.text, reply=r) for r in replies]
    entries += [Entry(m.created_at, m.text, message=m) for m in messages]
    entries.sort(key=lambda e: (e.at, 0 if e.message is not None else 1))
    return Thread(
        number=number,
        name=contact_names(session, actor, [number]).get(number),
        entries=entries,
        sender=reply_sender(session, actor, replies[0].to_address) if replies else None,
        unread=sum(1 for r in replies if r.read_at is None),
        opted_out=_opted_out(session, actor.account, number),
    )


def reply_sender(session: Session, actor: User, to_address: str) -> str:
    """Our number a reply was sent to, as the account's messages wrote it (with or without its +)."""
    address = to_address.strip()
    variants = [address, address.lstrip("+"), "+" + address.lstrip("+")]
    used = session.scalar(
        select(Message.sender)
        .where(Message.account_id == actor.account_id, Message.sender.in_(variants))
        .order_by(Message.id.desc())
        .limit(1)
    )
    return used or address


def _opted_out(session: Session, account: Account, number: str) -> bool:
    return (
        session.scalar(
            select(BlockedNumber.id).where(
                BlockedNumber.account_id == account.id, BlockedNumber.phone == number, BlockedNumber.source == OPT_OUT
            )
        )
        is not None
    )


def mark_read(session: Session, actor: User, number: str) -> int:
    """The thread's unread replies are read now; how many were unread."""
    result: Any = session.execute(
        update(MO).where(_own(actor), MO.from_number == number, MO.read_at.is_(None)).values(read_at=utcnow())
    )
    session.flush()
    return int(result.rowcount or 0)


def unread_count(session: Session, actor: User) -> int:
    """Unread replies of the account (the menu's badge)."""
    return session.scalar(select(func.count(MO.id)).where(_own(actor), MO.read_at.is_(None))) or 0


def export_period(first: date, last: date) -> Period:
    """Both days included, the right way round, at most MAX_DAYS long (its last days)."""
    first, last = min(first, last), max(first, last)
    return Period("custom", max(first, last - timedelta(days=MAX_DAYS - 1)), last)


def export_xlsx(session: Session, actor: User, first: date, last: date) -> bytes:
    """The account's replies received from ``first`` to ``last`` (the account's local days,
    both included) as a workbook: received (local time), from, to, text, keyword, answers
    message id; its headers in the user's language."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from webapp.services.spreadsheets import append, text_cell

    zone = ZoneInfo(actor.account.timezone)
    start, end = bounds(export_period(first, last), actor.account.timezone)
    book = Workbook(write_only=True)
    with force_locale(actor.language or "en"):
        headers = [_("Received"), _("From"), _("To"), _("Text"), _("Keyword"), _("Answers message ID")]
        sheet = book.create_sheet(_("Replies"))
    bold = Font(bold=True)
    sheet.append([_bold(text_cell(sheet, h), bold) for h in headers])
    rows = session.scalars(
        select(MO)
        .where(_own(actor), MO.received_at >= start, MO.received_at < end)
        .order_by(MO.received_at, MO.id)
        .execution_options(yield_per=2000)
    )
    for r in rows:
        local = r.received_at.astimezone(zone).replace(tzinfo=None)
        append(sheet, [local, r.from_number, r.to_address, r.text, r.keyword_action or "", r.answers_message_id])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bold(cell: Any, font: Any) -> Any:
    cell.font = font
    return cell


@dataclass(frozen=True)
class CampaignReply:
    reply: InboundMessage
    to_us: bool  # given to this user's account: its thread is in this user's inbox


def campaign_replies(
    session: Session, actor: User, campaign_id: int, limit: int = 50
) -> tuple[list[CampaignReply], int]:
    """Replies answering messages of the campaign (one the actor may see), newest first, and
    how many there are."""
    condition = MO.answers_message_id.in_(select(Message.id).where(Message.campaign_id == campaign_id))
    total = session.scalar(select(func.count(MO.id)).where(condition)) or 0
    rows = session.scalars(select(MO).where(condition).order_by(MO.received_at.desc(), MO.id.desc()).limit(limit))
    return [CampaignReply(r, r.account_id == actor.account_id) for r in rows], total
