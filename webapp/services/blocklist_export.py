"""A blocklist as an export (CSV or XLSX, written by services/exports.py): every entry of one
account's list (or of the global list), newest first, with an opt-out's proof: the reply that
asked (its text, when it came, the number of ours it was sent to, its route, its id).

One query for the lot (the entries joined to their replies and routes), read in batches. Times
are the account's local time, as the other exports write them. A data file a customer can read
back into a black list: the Number column first, a header row, no totals row."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain.export_cells import Column, Kind, Value
from webapp.models import Account, BlockedNumber, InboundMessage, Route
from webapp.services.blocklist import OPT_OUT
from webapp.services.exports import Table

BATCH = 2000  # rows fetched at a time


def columns() -> list[Column]:
    """The columns, headers in the current language."""
    return [
        Column(gettext("Number"), Kind.TEXT, 17),
        Column(gettext("Added"), Kind.DATETIME, 19),
        Column(gettext("Source"), Kind.TEXT, 24),
        Column(gettext("Reason"), Kind.TEXT, 30),
        Column(gettext("Reply text"), Kind.TEXT, 40),
        Column(gettext("Reply received at"), Kind.DATETIME, 19),
        Column(gettext("Our number"), Kind.TEXT, 14),
        Column(gettext("Route"), Kind.TEXT, 14),
        Column(gettext("Reply id"), Kind.INT, 10, summed=False),
    ]


def source_label(source: str) -> str:
    """How an entry got on the list, in words (BlockedNumber.source)."""
    if source == OPT_OUT:
        return str(gettext("Opted out by SMS"))
    return str(gettext("Added by hand or from a file"))


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """A stored time as the account's local wall-clock time to the second (XLSX has no time zones)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0)


def rows(session: Session, account_id: int | None, timezone: str) -> Iterator[Sequence[Value]]:
    """Every entry of the list as a row of ``columns()``: one query, read BATCH rows at a time."""
    tz = ZoneInfo(timezone)
    query = (
        select(
            BlockedNumber.phone,
            BlockedNumber.created_at,
            BlockedNumber.source,
            BlockedNumber.reason,
            InboundMessage.text,
            InboundMessage.received_at,
            InboundMessage.to_address,
            Route.name,
            InboundMessage.id,
        )
        .outerjoin(InboundMessage, InboundMessage.id == BlockedNumber.inbound_message_id)
        .outerjoin(Route, Route.id == InboundMessage.route_id)
        .where(BlockedNumber.account_id.is_(None) if account_id is None else BlockedNumber.account_id == account_id)
        .order_by(BlockedNumber.id.desc())
        .execution_options(yield_per=BATCH)
    )
    for number, added, source, reason, text, received_at, to_address, route, reply_id in session.execute(query):
        proof = source == OPT_OUT and reply_id is not None
        yield [
            number,
            _local(added, tz),
            source_label(source),
            reason or "",
            text if proof else None,
            _local(received_at, tz) if proof else None,
            to_address if proof else None,
            (route or "") if proof else None,
            reply_id if proof else None,
        ]


def table(session: Session, account_id: int | None, timezone: str) -> Table:
    """The export of an account's black list (``account_id`` None: the global blocklist), in the
    current language."""
    if account_id is None:
        title, about = gettext("Global blocklist"), []
    else:
        title = gettext("Black list")
        about = [(gettext("Account"), session.scalar(select(Account.name).where(Account.id == account_id)) or "")]
    made = datetime.now(UTC).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    about += [(gettext("Time zone"), timezone), (gettext("Made on"), made)]
    return Table(
        title=str(title),
        columns=columns(),
        rows=rows(session, account_id, timezone),
        about=[(str(label), str(value)) for label, value in about],
        totals=False,
    )


def file_name(account_id: int | None, kind: str, today: date) -> str:
    """blocklist-2026-12-06.xlsx, or global-blocklist-2026-12-06.csv."""
    return f"{'global-' if account_id is None else ''}blocklist-{today.isoformat()}.{kind}"
