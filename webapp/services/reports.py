"""What customers read about their messages: lists, one message's timeline, totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from webapp.domain import lifecycle, phone
from webapp.models import LedgerEntry, Message, User
from webapp.services.message_counts import Counted, counted, of_messages
from webapp.services.subusers import visible_account_ids

_FAR = datetime(9999, 1, 1, tzinfo=UTC)  # the open end of a period


def get_message(session: Session, actor: User, message_id: int) -> Message | None:
    """The message if the actor may see its account's messages (its own, a parent its
    subusers'); None otherwise: a 404, never a 403."""
    message = session.get(Message, message_id)
    visible = (
        message is not None
        and message.status != lifecycle.DRAFT
        and message.account_id in visible_account_ids(session, actor)
    )
    return message if visible else None


#: The statuses GET /api/v1/messages filters by, as the API shows them (ENROUTE is a submitted
#: message), each with the stored status it reads; matched without regard to case.
API_STATUSES = {
    lifecycle.ACCEPTED: lifecycle.ACCEPTED,
    lifecycle.QUEUED: lifecycle.QUEUED,
    "ENROUTE": lifecycle.SUBMITTED,
    lifecycle.DELIVRD: lifecycle.DELIVRD,
    lifecycle.UNDELIV: lifecycle.UNDELIV,
    lifecycle.EXPIRED: lifecycle.EXPIRED,
    lifecycle.REJECTD: lifecycle.REJECTD,
    lifecycle.FAILED: lifecycle.FAILED,
    lifecycle.NOREPORT: lifecycle.NOREPORT,
    lifecycle.REFUSED: lifecycle.REFUSED,
}
_API_STATUS_BY_KEY = {name.casefold(): stored for name, stored in API_STATUSES.items()}
_API_NAME_BY_STATUS = {stored: name for name, stored in API_STATUSES.items()}


def api_status_name(stored: str) -> str:
    """The name the API gives a stored status (ENROUTE for submitted)."""
    return _API_NAME_BY_STATUS.get(stored, stored)


def api_status(value: str) -> str | None:
    """The stored status an API ``status=`` names (any case), or None when it names none."""
    return _API_STATUS_BY_KEY.get(value.strip().casefold())


@dataclass(frozen=True)
class ApiMessageQuery:
    """GET /api/v1/messages, read: status (a key of API_STATUSES), number, created in
    [since, until), at most `limit`, below `before_id`."""

    status: str | None = None
    to: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    before_id: int | None = None


def _read_number(typed: str, region: str | None) -> str | None:
    """A typed number read as sending reads it (0722 123 456 with the account's country,
    +40..., 0040...): its E.164 form, or None when it is no number sending would take."""
    try:
        return phone.normalize(typed, region or None)
    except (phone.InvalidNumber, ValueError):
        return None


def api_number(typed: str, region: str | None) -> str:
    """The recipient an API ``to=`` filter names; what cannot be read is looked for as typed,
    since a refused invalid number is stored as it was given."""
    return _read_number(typed, region) or typed[:32]  # as sending stores it (services/sending.py _plan)


def api_messages(session: Session, actor: User, q: ApiMessageQuery) -> list[Message]:
    """The account's own messages, newest first (the API sees its key's account only)."""
    query = select(Message).where(Message.account_id == actor.account_id, Message.status != lifecycle.DRAFT)
    if q.status:
        query = query.where(Message.status == (api_status(q.status) or q.status))
    if q.to:
        query = query.where(Message.to == api_number(q.to, actor.account.default_region))
    if q.since:
        query = query.where(Message.created_at >= q.since)
    if q.until:
        query = query.where(Message.created_at < q.until)
    if q.before_id:
        query = query.where(Message.id < q.before_id)
    return list(session.scalars(query.order_by(Message.id.desc()).limit(q.limit)))


def recent_ledger(session: Session, actor: User, limit: int = 10) -> list[LedgerEntry]:
    """The account's latest credit movements (the dashboard)."""
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.account_id == actor.account_id)
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
            .limit(limit)
        )
    )


def recent_messages(session: Session, actor: User, limit: int = 50) -> list[Message]:
    """The latest messages that actually went out (not the refused, cancelled or still queued)."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.account_id == actor.account_id, Message.submitted_at.is_not(None))
            .order_by(Message.id.desc())
            .limit(limit)
        )
    )


def money_movements(session: Session, message: Message) -> list[LedgerEntry]:
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.account_id == message.account_id, LedgerEntry.reference == f"msg:{message.id}")
            .order_by(LedgerEntry.id)
        )
    )


@dataclass(frozen=True)
class Totals:
    """Messages that went out (or wait to), their parts, and their cost as the ledger has it:
    charged (refunds deducted) and reserved (still waiting to go)."""

    messages: int
    parts: int
    cost: Decimal  # charged
    reserved: Decimal = Decimal("0")
    delivered: int = 0
    failed: int = 0

    @property
    def delivery_rate(self) -> float | None:
        return lifecycle.delivery_rate(self.delivered, self.failed)


def _totals(session: Session, account_id: int, since: datetime) -> Totals:
    rows = counted(session)
    count, parts, charged, reserved, delivered, failed = session.execute(
        select(
            rows.count,
            func.coalesce(func.sum(rows.parts), 0),
            rows.charged,
            rows.reserved,
            rows.count_of({lifecycle.DELIVRD}),
            rows.count_of(lifecycle.NOT_DELIVERED),
        ).where(
            rows.account_id == account_id,
            *rows.between(since, _FAR),
            rows.status.not_in([lifecycle.REFUSED, lifecycle.DRAFT]),
        )
    ).one()
    return Totals(int(count), int(parts), charged, reserved, int(delivered), int(failed))


def period_totals(session: Session, actor: User, now: datetime | None = None) -> dict[str, Totals]:
    """Messages, parts and cost of today and of this month, in the account's time zone."""
    tz = ZoneInfo(actor.account.timezone)
    local = (now or datetime.now(UTC)).astimezone(tz)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    return {"today": _totals(session, actor.account_id, day), "month": _totals(session, actor.account_id, month)}


@dataclass(frozen=True)
class MessageFilter:
    day_from: date | None = None  # in the account's time zone, inclusive
    day_to: date | None = None  # inclusive
    number: str = ""  # digits anywhere in the number
    status: str = ""
    sender: str = ""
    campaign_id: int | None = None
    account_id: int | None = None  # one of the accounts the actor sees (a parent: itself or a subuser); None = all


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]
    page: int
    pages: int
    count: int
    parts: int
    cost: Decimal  # charged (refunds deducted): domain/message_cost.py
    reserved: Decimal  # held for messages still waiting to go


STATUS_FILTERS = (
    lifecycle.QUEUED,
    lifecycle.SUBMITTED,
    lifecycle.DELIVRD,
    lifecycle.UNDELIV,
    lifecycle.EXPIRED,
    lifecycle.REJECTD,
    lifecycle.FAILED,
    lifecycle.NOREPORT,
    lifecycle.REFUSED,
)


def filter_conditions(session: Session, actor: User, f: MessageFilter) -> list[ColumnElement[bool]]:
    """The WHERE of a message search: the accounts the actor sees (a parent: with its subusers',
    unless the filter names one account) and the filter. The page and its exports
    (services/exports_messages.py) share it."""
    conditions = _conditions(session, actor, f, of_messages())
    digits = "".join(c for c in f.number if c.isdigit())
    if digits:
        conditions.append(_number_condition(f.number, digits, actor.account.default_region))
    return conditions


def _number_condition(typed: str, digits: str, region: str | None) -> ColumnElement[bool]:
    """A whole number (as the account would send to it: 0722 123 456, +40 722..., 0040...) is
    that recipient, found by the index on ``messages.to``, plus the refused messages whose number
    as typed holds its digits; a few digits are looked for anywhere in the number (the trigram
    index on PostgreSQL, migration 0023)."""
    e164 = _read_number(typed, region)
    if e164 is None:
        return Message.to.contains(digits)
    # and a refused message whose number, stored as it was typed, holds these digits: the
    # mistyped one a customer looks for when "it did not arrive" (one digit too many)
    return or_(Message.to == e164, and_(Message.status == lifecycle.REFUSED, Message.to.contains(digits)))


def _conditions(session: Session, actor: User, f: MessageFilter, rows: Counted) -> list[ColumnElement[bool]]:
    """The filter but the number, over the messages or their tallies (services/message_counts.py)."""
    tz = ZoneInfo(actor.account.timezone)
    accounts = visible_account_ids(session, actor)
    if f.account_id is not None:
        accounts = [a for a in accounts if a == f.account_id]
    conditions = [rows.account_id.in_(accounts), rows.status != lifecycle.DRAFT]
    if f.campaign_id:
        conditions.append(rows.campaign_id == f.campaign_id)
    if f.day_from or f.day_to:
        start = datetime.combine(f.day_from or date(1970, 1, 1), time.min, tz)
        end = datetime.combine(f.day_to + timedelta(days=1), time.min, tz) if f.day_to else _FAR
        conditions.extend(rows.between(start, end))
    if f.status in STATUS_FILTERS:
        queued = [lifecycle.ACCEPTED, lifecycle.QUEUED]
        conditions.append(rows.status.in_(queued if f.status == lifecycle.QUEUED else [f.status]))
    if f.sender:
        conditions.append(rows.sender == f.sender)
    return conditions


def _filter_totals(session: Session, actor: User, f: MessageFilter) -> tuple[int, int, Decimal, Decimal]:
    """Count, parts (of the messages that went out or wait to, as All reports counts them: the
    never sent are not sent, nor billed), charged and reserved of the whole filter: from the tallies when no number is
    searched (a month of a million messages is a few thousand tally rows), else the messages."""
    searched = any(c.isdigit() for c in f.number)
    rows = of_messages() if searched else counted(session)
    conditions = filter_conditions(session, actor, f) if searched else _conditions(session, actor, f, rows)
    count, parts, cost, reserved = session.execute(
        select(rows.count, rows.billed_parts, rows.charged, rows.reserved).where(*conditions)
    ).one()
    return int(count), int(parts), cost, reserved


def search_messages(session: Session, actor: User, f: MessageFilter, page: int = 1, per_page: int = 50) -> MessagePage:
    """The messages of the accounts the actor sees (a parent: with its subusers', unless the filter
    names one account) matching the filter, newest first, with totals for the whole filter."""
    conditions = filter_conditions(session, actor, f)
    count, parts, cost, reserved = _filter_totals(session, actor, f)
    pages = max(1, -(-count // per_page))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        select(Message).where(*conditions).order_by(Message.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return MessagePage(list(rows), page, pages, count, int(parts), cost, reserved)
