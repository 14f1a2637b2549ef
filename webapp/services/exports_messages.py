"""The message search (Reports → Messages) as an export: the same filter as the page, every column
a customer needs, read in id order in batches (a server-side cursor on PostgreSQL), never all at
once. Written by webapp/services/exports.py; large ones by a job (webapp/services/exports_jobs.py).

The rows are the messages of the filter up to the newest one when the export was asked for
(``up_to_id``), so an export made later by a job holds exactly what the customer asked for, and
making it twice gives the same rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from webapp.domain import delivery_reasons
from webapp.domain.export_cells import Column, Kind, Value
from webapp.models import Campaign, Message, Route, User
from webapp.services import message_costs
from webapp.services.exports import Table
from webapp.services.reports import MessageFilter, filter_conditions
from webapp.services.subusers import subuser_choices, visible_account_ids

BATCH = 2000  # rows fetched at a time


def filter_json(f: MessageFilter) -> dict[str, Any]:
    """The search's filter in a form a job can carry (JSON)."""
    values = asdict(f)
    values["day_from"] = f.day_from.isoformat() if f.day_from else None
    values["day_to"] = f.day_to.isoformat() if f.day_to else None
    return values


def filter_from_json(values: Mapping[str, Any]) -> MessageFilter:
    def day(value: Any) -> date | None:
        return date.fromisoformat(value) if value else None

    return MessageFilter(
        day_from=day(values.get("day_from")),
        day_to=day(values.get("day_to")),
        number=values.get("number") or "",
        status=values.get("status") or "",
        sender=values.get("sender") or "",
        campaign_id=values.get("campaign_id"),
        account_id=values.get("account_id"),
    )


@dataclass(frozen=True)
class Size:
    rows: int
    up_to_id: int  # the newest message of the filter now (0: none)


def size(session: Session, actor: User, f: MessageFilter) -> Size:
    """How many messages the export would hold, and the newest one's id (the export stops there)."""
    count, last = session.execute(
        select(func.count(Message.id), func.max(Message.id)).where(*filter_conditions(session, actor, f))
    ).one()
    return Size(int(count), int(last or 0))


def columns(with_subusers: bool) -> list[Column]:
    """The columns, headers in the current language."""
    return [
        Column(gettext("Time"), Kind.DATETIME, 17),
        *([Column(gettext("Subuser"), Kind.TEXT, 14)] if with_subusers else []),
        Column(gettext("To"), Kind.TEXT, 19),
        Column(gettext("Country"), Kind.TEXT, 9),
        Column(gettext("Sender"), Kind.TEXT, 12),
        Column(gettext("Text"), Kind.TEXT, 50),
        Column(gettext("Parts"), Kind.INT, 6),
        Column(gettext("Price per part"), Kind.PRICE, 10, in_pdf=False),
        Column(gettext("Cost"), Kind.MONEY, 10),
        Column(gettext("Reserved"), Kind.MONEY, 12),
        Column(gettext("Status"), Kind.TEXT, 12),
        Column(gettext("Status in words"), Kind.TEXT, 40),
        Column(gettext("Status code"), Kind.TEXT, 18, in_pdf=False),
        Column(gettext("Status time"), Kind.DATETIME, 19, in_pdf=False),
        Column(gettext("Campaign"), Kind.TEXT, 20),
        Column(gettext("Message ID"), Kind.INT, 11, summed=False, in_pdf=False),
    ]


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """A stored moment as the account's wall-clock time, without a zone (XLSX has none)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).replace(tzinfo=None)


def status_words(
    status: str,
    reason_code: str | None,
    error_code: str | None,
    overrides: Mapping[str, Mapping[str, str]] | None,
    language: str,
) -> tuple[str, str, str]:
    """(label, sentence, raw code) in the current language: delivery_reasons' explanation."""
    why = delivery_reasons.explain(status, reason_code, error_code, overrides, language)
    sentence = why.sentence if why.literal else gettext(why.sentence, **why.values)
    return gettext(why.label), sentence, why.raw


def rows(
    session: Session, actor: User, f: MessageFilter, up_to_id: int, language: str, subusers: Mapping[int, str]
) -> Iterator[Sequence[Value]]:
    """The messages of the filter, oldest first, up to ``up_to_id``, as rows of ``columns()``;
    fetched BATCH at a time (yield_per: a server-side cursor on PostgreSQL)."""
    tz = ZoneInfo(actor.account.timezone)
    overrides = {r.id: r.error_texts for r in session.scalars(select(Route)) if r.error_texts}
    for record in session.execute(_query(session, actor, f, up_to_id)):
        yield _row(record, tz, overrides, language, subusers)


def _query(session: Session, actor: User, f: MessageFilter, up_to_id: int) -> Select[Any]:
    """The export's query: the filter's messages up to ``up_to_id`` in id order, with their
    campaign's name, read BATCH at a time."""
    return (
        select(
            Message.id,
            Message.created_at,
            Message.account_id,
            Message.to,
            Message.country,
            Message.sender,
            Message.text,
            Message.parts,
            Message.price_per_part,
            message_costs.charged(),
            message_costs.reserved(),
            Message.status,
            Message.reason_code,
            Message.error_code,
            Message.route_id,
            Message.final_at,
            Message.submitted_at,
            Message.queued_at,
            Campaign.name,
        )
        .outerjoin(Campaign, Campaign.id == Message.campaign_id)
        .where(*filter_conditions(session, actor, f), Message.id <= up_to_id)
        .order_by(Message.id)
        .execution_options(yield_per=BATCH)
    )


def _row(
    record: Row[Any],
    tz: ZoneInfo,
    overrides: Mapping[int, Mapping[str, Mapping[str, str]]],
    language: str,
    subusers: Mapping[int, str],
) -> list[Value]:
    """One message of ``_query()`` as a row of ``columns()``: local times, the status in words."""
    (
        message_id,
        created_at,
        account_id,
        to,
        country,
        sender,
        text,
        parts,
        price,
        charged,
        reserved,
        status,
        reason_code,
        error_code,
        route_id,
        final_at,
        submitted_at,
        queued_at,
        campaign,
    ) = record
    label, sentence, raw = status_words(
        status, reason_code, error_code, overrides.get(route_id) if route_id else None, language
    )
    return [
        _local(created_at, tz),
        *([subusers.get(account_id, "")] if subusers else []),
        to,
        country or "",
        sender,
        text,
        parts,
        Decimal(price),
        Decimal(charged),
        Decimal(reserved),
        label,
        sentence,
        raw,
        _local(final_at or submitted_at or queued_at or created_at, tz),
        campaign or "",
        message_id,
    ]


def describe(session: Session, actor: User, f: MessageFilter, subusers: Mapping[int, str]) -> list[tuple[str, str]]:
    """What the export holds, in words: its head (PDF) and its "About" sheet (XLSX)."""
    tz = actor.account.timezone
    about = [(gettext("Account"), actor.account.name)]
    period = (
        f"{f.day_from.isoformat() if f.day_from else '…'} – {f.day_to.isoformat() if f.day_to else '…'}"
        if f.day_from or f.day_to
        else gettext("any time")
    )
    about.append((gettext("Period"), period))
    if f.number:
        about.append((gettext("Number"), f.number))
    if f.status:
        about.append((gettext("Status"), status_words(f.status, None, None, None, "")[0]))
    if f.sender:
        about.append((gettext("Sender"), f.sender))
    if f.campaign_id:
        name = session.scalar(
            select(Campaign.name).where(  # only a campaign the asker may see is named
                Campaign.id == f.campaign_id, Campaign.account_id.in_(visible_account_ids(session, actor))
            )
        )
        about.append((gettext("Campaign"), name or f"#{f.campaign_id}"))
    if f.account_id is not None:
        about.append((gettext("Subuser"), subusers.get(f.account_id) or gettext("Mine only")))
    about.append((gettext("Time zone"), tz))
    made = datetime.now(UTC).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    about.append((gettext("Made on"), made))
    return about


def table(session: Session, actor: User, f: MessageFilter, up_to_id: int, language: str) -> Table:
    """The export of the filter for ``actor`` (in the current language: the caller forces it)."""
    subusers = dict(subuser_choices(session, actor))
    return Table(
        title=gettext("Messages"),
        columns=columns(bool(subusers)),
        rows=rows(session, actor, f, up_to_id, language, subusers),
        total_label=gettext("Total"),
        about=describe(session, actor, f, subusers),
        currency=actor.account.currency,
    )


def file_name(f: MessageFilter, fmt: str, today: date) -> str:
    """messages-2026-03-01-2026-03-31.csv, or messages-2026-03-18.xlsx (the day it was made)."""
    span = "-".join(d.isoformat() for d in (f.day_from, f.day_to) if d) or today.isoformat()
    return f"messages-{span}.{fmt}"
