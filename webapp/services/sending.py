"""Accepting messages: validate, price, reserve credit, store, and hand to the workers.

Accepting does no network I/O. Each recipient ends in a visible state: queued, or
refused with a reason (invalid number, unroutable, insufficient credit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.domain import N_, lifecycle, phone, pricing
from webapp.domain import short_links as link_rules
from webapp.domain.delivery_windows import Window
from webapp.domain.networks import NETWORK_LENGTH, network_of
from webapp.domain.sms_text import analyze
from webapp.domain.texts import Text
from webapp.models import Account, Message, MessageEvent, MessagePart, User
from webapp.models.types import utcnow
from webapp.services import blocklist, delivery_windows, ledger, sender_ids, short_links, subusers
from webapp.services.bulk_rows import RowValues, insert_rows, insert_rows_returning_ids
from webapp.services.errors import ServiceError
from webapp.services.pricing import price_list_for
from webapp.services.routes import RouteTable

ZERO = Decimal("0.0000")
NO_TEXT = N_("The message has no text.")
NO_NUMBER = N_("Give at least one number.")
TOO_LONG = N_("The text is %(parts)s parts long; at most %(max_parts)s parts are accepted. Shorten it.")
DEFAULT_MAX_PARTS = 10
DEFAULT_SHARED_SENDER = "1899"  # the SHARED_SENDER_ID setting's default
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
    max_parts: int = DEFAULT_MAX_PARTS  # the MAX_PARTS_PER_MESSAGE setting
    shared_sender: str = DEFAULT_SHARED_SENDER  # the SHARED_SENDER_ID setting: everyone may use it
    callback_endpoint_id: int | None = None  # told of each message's status changes (API callback_url)
    link_base: str = ""  # PUBLIC_URL: where the #link/#stop short links live (domain/short_links.py)
    # #link(…)/#stop become short links (Send SMS, the API); elsewhere (SMPP, inbox replies,
    # keyword answers) the text goes as written
    links: bool = False
    flash: bool = False  # flash SMS (message class 0: shown on the screen, not stored); priced as normal
    window: Window | None = None  # deliver only inside it, in the recipient's time (services/delivery_windows.py)


class TextTooLong(ServiceError):
    """A text over the platform's maximum of parts: refused before anything is reserved."""

    def __init__(self, parts: int, max_parts: int):
        params = {"parts": parts, "max_parts": max_parts}
        super().__init__(Text(TOO_LONG, params), {"text": [(TOO_LONG, params)]})
        self.parts, self.max_parts = parts, max_parts


def check_length(parts: int, max_parts: int) -> None:
    """At most ``max_parts`` parts, and never over 255 (the concatenation header counts parts in
    one byte: such a text could never be sent)."""
    max_parts = min(max_parts, 255)
    if parts > max_parts:
        raise TextTooLong(parts, max_parts)


def accept(session: Session, actor: User, submission: Submission) -> list[Message]:
    """One message per recipient, in the order given; flushes, never commits.

    Numbers, routes and prices are worked out in memory; then the messages, their credit
    reservation (one conditional UPDATE for the lot), parts and timeline are written in bulk.
    Enqueue the queued ones after the commit.
    """
    if not submission.text.strip():
        raise ServiceError(NO_TEXT, {"text": [NO_TEXT]})
    if not submission.to:
        raise ServiceError(NO_NUMBER, {"to": [NO_NUMBER]})
    found = (  # a bad #link(…) is refused, named
        short_links.checked(submission.text)
        if submission.links
        else link_rules.Found(link_rules.without_marks(submission.text), ())
    )
    analysis = analyze(link_rules.counted(found.masked, submission.link_base))  # as long as it is sent
    check_length(analysis.parts, submission.max_parts)
    check_sender(session, actor, submission.sender, submission.shared_sender)
    account = actor.account
    prices = price_list_for(session, account)
    route_table = RouteTable(session)
    now = utcnow()
    rows, details = _message_rows(actor, submission, analysis.parts, analysis.encoding, prices, route_table, now)
    _refuse_blocklisted(session, account.id, rows, details)
    links = short_links.Pending(submission.link_base, [])
    if found.has_links:  # each recipient its own codes, stored with the messages
        for row in rows:
            row["text"] = found.masked
        links.fill(short_links.Codes(session), rows, [found.slots] * len(rows), now)
    ids = insert_rows_returning_ids(session, Message.__table__, rows)
    links.store(session, ids)
    for row, message_id in zip(rows, ids):
        row["id"] = message_id
    _reserve(session, actor, rows, details)
    insert_rows(session, MessagePart.__table__, _part_rows(rows))
    insert_rows(session, MessageEvent.__table__, _timeline(rows, details, analysis.parts, analysis.encoding, now))
    session.flush()
    by_id = {m.id: m for m in session.scalars(select(Message).where(Message.id.in_(ids)))}
    return [by_id[i] for i in ids]


def _message_rows(
    actor: User,
    submission: Submission,
    parts: int,
    encoding: str,
    prices: pricing.PriceList,
    route_table: RouteTable,
    now: datetime,
) -> tuple[list[RowValues], list[str]]:
    """The message rows to insert, one per recipient in the order given (queued or refused), and
    a detail for each one's timeline."""
    account = actor.account
    validity = min(max(submission.validity, timedelta(minutes=5)), MAX_VALIDITY)
    starts = max(now, submission.send_at) if submission.send_at else now
    rows, details = [], []
    planner = delivery_windows.Planner(submission.window, starts, account.timezone) if submission.window else None
    for i, raw in enumerate(submission.to):
        row, detail = _plan(str(raw), account.default_region, parts, prices, route_table)
        row.update(
            account_id=account.id,
            user_id=actor.id,
            sender=submission.sender,
            text=submission.text,
            encoding=encoding,
            parts=parts,
            validity_until=starts + validity,
            # queued_at: when it is due to go out (a scheduled one: its send_at)
            created_at=now,
            queued_at=starts if row["status"] == lifecycle.QUEUED else None,
            final_at=None if row["status"] == lifecycle.QUEUED else now,
            # on the first message: a second click finds it (and the unique key stops a racing one)
            idempotency_key=submission.idempotency_key if i == 0 else None,
            callback_endpoint_id=submission.callback_endpoint_id,
            flash=submission.flash,
            not_before=None,
        )
        if planner is not None and row["status"] == lifecycle.QUEUED:
            waits = planner.not_before(row["to"])  # outside its window: due, and valid, from then
            if waits is not None:
                row.update(not_before=waits, queued_at=waits, validity_until=waits + validity)
        rows.append(row)
        details.append(detail)
    return rows, details


def _part_rows(rows: list[RowValues]) -> list[RowValues]:
    """A pending part row per part of each queued message, for the senders to claim."""
    return [
        {
            "message_id": row["id"],
            "seq": seq,
            "submission_key": f"{row['id']}:{seq}",
            "route_id": row["route_id"],
            "state": "pending",
        }
        for row in rows
        if row["status"] == lifecycle.QUEUED
        for seq in range(1, row["parts"] + 1)
    ]


def _timeline(rows: list[RowValues], details: list[str], parts: int, encoding: str, now: datetime) -> list[RowValues]:
    """Each message's first events: accepted, then queued (its route and cost) or refused (why)."""
    events = []
    for row, detail in zip(rows, details):
        events.append(
            {
                "message_id": row["id"],
                "kind": "accepted",
                "at": now,
                "detail": {"parts": parts, "encoding": encoding},
            }
        )
        if row["status"] == lifecycle.QUEUED:
            events.append(
                {
                    "message_id": row["id"],
                    "kind": "queued",
                    "at": now,
                    "detail": {"route": detail, "cost": str(row["cost"])},
                }
            )
        else:
            events.append(
                {
                    "message_id": row["id"],
                    "kind": "refused",
                    "at": now,
                    "detail": {"reason": row["reason_code"], "detail": detail},
                }
            )
    return events


def check_sender(session: Session, actor: User, sender: str, shared: str) -> None:
    """Only the shared sender and the account's approved ones (see services/sender_ids.py): the
    one check Send SMS, the API and campaigns all pass."""
    sender_ids.check_usable(session, actor, sender, shared)


def _plan(
    raw: str, region: str, parts: int, prices: pricing.PriceList, route_table: RouteTable
) -> tuple[RowValues, str]:
    """The message row for one recipient (queued or refused) and a detail for its timeline."""
    row: RowValues = {
        "to": raw[:32],
        "country": None,
        "route_id": None,
        "price_per_part": ZERO,
        "cost": ZERO,
        "status": lifecycle.REFUSED,
        "reason_code": None,
        "network": None,
    }
    try:
        row["to"], row["country"] = phone.normalize_with_region(raw, region)
    except phone.InvalidNumber as exc:
        return {**row, "reason_code": "invalid_number"}, str(exc)
    row["network"] = network_of(row["to"])[:NETWORK_LENGTH]  # the number range's operator, for the reports
    route = route_table.route_for(row["country"])
    if route is None:
        return {**row, "reason_code": "unroutable"}, "no active route"
    try:
        quote = pricing.quote(parts, row["to"], row["country"], prices)
    except pricing.Unroutable as exc:
        return {**row, "reason_code": "unroutable"}, str(exc)
    row.update(route_id=route.id, price_per_part=quote.price_per_part, cost=quote.cost, status=lifecycle.QUEUED)
    return row, route.name


def _refuse_blocklisted(session: Session, account_id: int, rows: list[RowValues], details: list[str]) -> None:
    """Numbers on the account's blocklist or the global one are refused, whichever list it is;
    a phone that answered STOP to the account is refused as opted out."""
    refused = blocklist.refusals_among(session, account_id, [r["to"] for r in rows if r["status"] == lifecycle.QUEUED])
    for i, row in enumerate(rows):
        if row["status"] == lifecycle.QUEUED and row["to"] in refused:
            row.update(
                status=lifecycle.REFUSED,
                reason_code=refused[row["to"]],
                route_id=None,
                cost=ZERO,
                price_per_part=ZERO,
                queued_at=None,
                final_at=row["created_at"],
            )
            details[i] = refused[row["to"]]


def _reserve(session: Session, actor: User, rows: list[RowValues], details: list[str]) -> None:
    """Reserve the queued messages' cost in one conditional UPDATE. When the balance cannot
    cover them all, the longest run that fits is kept (in the order given) and the rest are
    refused for insufficient credit: never below zero, also under concurrent senders."""
    queued = [row for row in rows if row["status"] == lifecycle.QUEUED]
    # A subuser's daily/monthly spend cap refuses the whole submission (the caller rolls back).
    subusers.check_caps(session, actor.account, sum((row["cost"] for row in queued), ZERO), field="to")
    keep = len(queued)
    while True:
        entries = [(-row["cost"], "reservation", f"SMS to {row['to']}", f"msg:{row['id']}") for row in queued[:keep]]
        if ledger.post_many(session, actor.account, entries, actor=actor):
            break
        room, total, fits = ledger.available(session, actor.account), Decimal(0), 0
        for row in queued[:keep]:
            if total + row["cost"] > room:
                break
            total, fits = total + row["cost"], fits + 1
        keep = min(fits, keep - 1)  # always progress, whatever concurrent spenders do
    refused = queued[keep:]
    for row in refused:
        index = rows.index(row)
        row.update(
            status=lifecycle.REFUSED, reason_code="insufficient_credit", cost=ZERO, route_id=None, queued_at=None
        )
        details[index] = ""
    if refused:
        session.execute(
            update(Message)
            .where(Message.id.in_([r["id"] for r in refused]))
            .values(
                status=lifecycle.REFUSED,
                reason_code="insufficient_credit",
                cost=ZERO,
                route_id=None,
                queued_at=None,
                final_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )


def find_by_idempotency_key(session: Session, actor: User, key: str | None) -> Message | None:
    if not key:
        return None
    return session.scalar(select(Message).where(Message.account_id == actor.account_id, Message.idempotency_key == key))


def _event(session: Session, message: Message, kind: str, **detail: str) -> None:
    session.add(MessageEvent(message_id=message.id, kind=kind, detail=detail))


def release(session: Session, message: Message, reason: str) -> None:
    """Give back a queued message's reservation in full (refused at submission, expired, cancelled)."""
    if message.cost and message.cost > Decimal(0):
        ledger.post(
            session,
            session.get_one(Account, message.account_id),
            message.cost,
            kind="release",
            reason=reason,
            reference=f"msg:{message.id}",
            actor=None,
        )
        _event(session, message, "released", amount=str(message.cost), reason=reason)
