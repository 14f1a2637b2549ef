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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Row, delete, select, tuple_
from sqlalchemy import text as sql
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from webapp.connectors.base import Reply
from webapp.domain import lifecycle, opt_out, phone, webhook_events
from webapp.domain.mo_segments import NO_SAR, SarTlvs, Segment, body_of, joined_text, segment_of
from webapp.domain.roles import Role
from webapp.domain.smpp_pdu import decode_text
from webapp.models import Account, BlockedNumber, InboundMessage, InboundSegment, Message, User, WebhookEndpoint
from webapp.models.types import utcnow
from webapp.services import webhooks
from webapp.services.blocklist import OPT_OUT
from webapp.services.dml import rowcount
from webapp.services.errors import ServiceError

log = logging.getLogger(__name__)

REPLY_WINDOW = timedelta(days=7)
T = TypeVar("T")


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
    return _receive_all(session, route_id, [reply], window)[0]


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
    a segment kept until its reply is whole) and received, as :func:`receive` and
    :func:`receive_segment` would one after the other, in a few statements per batch (about
    ten, against eight per reply one at a time: benchmarks/bench_replies.py on PostgreSQL,
    167 -> 4,100 replies stored/s). The replies of a batch share its time of arrival when the
    route gave none; an automatic answer queued for one of them is not the message a later
    reply of the same batch answers (it still answers the account's own message before it)."""
    items: list[IncomingReply | _Part] = []
    for reply in replies:
        incoming = IncomingReply(reply.from_number, reply.to_address, "", reply.upstream_key, reply.received_at)
        if reply.text is not None:
            items.append(replace(incoming, text=reply.text))
            continue
        sar = SarTlvs(*reply.sar) if reply.sar else NO_SAR
        segment = segment_of(reply.esm_class, reply.short_message, sar)
        if segment is not None:
            items.append(_Part(incoming, segment, reply.data_coding))
        else:
            text = decode_text(body_of(reply.esm_class, reply.short_message), reply.data_coding)
            items.append(replace(incoming, text=text))
    # a long reply is received where its last segment came, among the others in their order
    joined = iter(_gather_segments(session, route_id, [i for i in items if isinstance(i, _Part)]))
    whole = [got for got in (next(joined) if isinstance(i, _Part) else i for i in items) if got is not None]
    taken = Taken()
    for got in _receive_all(session, route_id, whole, window):
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
    [whole] = _gather_segments(session, route_id, [_Part(reply, segment, data_coding)])
    return receive(session, route_id, whole, window=window) if whole is not None else None


def forget_stale_segments(session: Session, now: datetime | None = None) -> int:
    """Cron: segments of replies never completed, kept a day, then deleted."""
    cutoff = (now or utcnow()) - timedelta(days=1)
    return rowcount(session.execute(delete(InboundSegment).where(InboundSegment.received_at < cutoff)))


# --- a batch of segments: read once, worked out in memory, written in two statements ---------

CHUNK = 500  # values per IN list or multi-row INSERT


@dataclass(frozen=True)
class _Part:
    """A segment of a long reply as a route handed it over."""

    reply: IncomingReply
    segment: Segment
    data_coding: int


@dataclass
class _Kept:
    """A segment kept (``id`` set: already stored; None: of this batch, to insert)."""

    id: int | None
    to_address: str
    body: bytes
    data_coding: int
    received_at: datetime


def _gather_segments(session: Session, route_id: int, parts: list[_Part]) -> list[IncomingReply | None]:
    """Keep each segment; for each, the whole reply it completes (None while others are
    missing), exactly as taking them one at a time would: the stored segments of the replies
    named are read once (on PostgreSQL under one advisory lock per reply, taken in a fixed
    order; on SQLite after a first write), then worked through in memory; the segments joined
    or stale are deleted and the new ones left waiting inserted in one statement each."""
    if not parts:
        return []
    now = utcnow()
    numbers = _phones([p.reply.from_number for p in parts])
    idents = [(numbers[p.reply.from_number], p.segment.reference, p.segment.total) for p in parts]
    named = sorted(set(idents))
    if session.get_bind().dialect.name == "postgresql":
        locks = sorted(f"reply-segments|{route_id}|{n}|{ref}|{total}" for n, ref, total in named)
        session.execute(
            sql(
                "SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM "
                "(SELECT k FROM unnest(CAST(:locks AS text[])) WITH ORDINALITY AS t(k, n) ORDER BY n) AS s"
            ),
            {"locks": locks},
        )
    kept: dict[tuple[str, int, int], dict[int, _Kept]] = {ident: {} for ident in named}
    stale = min(p.reply.received_at or now for p in parts) - SEGMENTS_KEPT  # too old for every segment here
    for chunk in _chunks(named):
        named_here = (
            InboundSegment.route_id == route_id,
            tuple_(InboundSegment.from_number, InboundSegment.reference, InboundSegment.total).in_(chunk),
        )
        # written before anything is read: on SQLite this takes the database's write lock, so
        # that a second worker's segments of the same reply wait for this transaction
        session.execute(delete(InboundSegment).where(*named_here, InboundSegment.received_at < stale))
        for row in session.execute(
            select(
                InboundSegment.id,
                InboundSegment.from_number,
                InboundSegment.reference,
                InboundSegment.total,
                InboundSegment.number,
                InboundSegment.to_address,
                InboundSegment.body,
                InboundSegment.data_coding,
                InboundSegment.received_at,
            ).where(*named_here)
        ):
            ident = (row.from_number, row.reference, row.total)
            kept[ident][row.number] = _Kept(row.id, row.to_address, row.body, row.data_coding, row.received_at)
    gone: list[int] = []
    wholes: list[IncomingReply | None] = []
    for part, ident in zip(parts, idents, strict=True):
        segments, at = kept[ident], part.reply.received_at or now
        for number in [n for n, s in segments.items() if s.received_at < at - SEGMENTS_KEPT]:
            gone += _stored_id(segments.pop(number))
        segments.setdefault(  # a segment given twice is kept once (the first)
            part.segment.number,
            _Kept(None, part.reply.to_address.strip()[:32], part.segment.body, part.data_coding, at),
        )
        ordered = sorted(segments.items())
        text = joined_text(part.segment.total, {n: (s.body, s.data_coding) for n, s in ordered})
        if text is None:
            wholes.append(None)
            continue
        first = ordered[0][1]
        for _, joined in ordered:
            gone += _stored_id(joined)
        segments.clear()
        # no key of its own: a re-sent long reply is the same words again (receive's content keys)
        wholes.append(IncomingReply(ident[0], first.to_address, text, part.reply.upstream_key, first.received_at))
    for ids in _chunks(gone):
        session.execute(delete(InboundSegment).where(InboundSegment.id.in_(ids)))
    waiting = [
        {
            "route_id": route_id,
            "from_number": ident[0],
            "to_address": s.to_address,
            "reference": ident[1],
            "total": ident[2],
            "number": number,
            "body": s.body,
            "data_coding": s.data_coding,
            "received_at": s.received_at,
        }
        for ident, segments in kept.items()
        for number, s in segments.items()
        if s.id is None
    ]
    identity = ["route_id", "from_number", "reference", "total", "number"]
    for values in _chunks(waiting):
        session.execute(_insert(session, InboundSegment).values(values).on_conflict_do_nothing(index_elements=identity))
    return wholes


def _stored_id(segment: _Kept) -> list[int]:
    return [segment.id] if segment.id is not None else []


# --- a batch of whole replies ------------------------------------------------------------------


@dataclass
class _Incoming:
    """A whole reply of a batch, read: its phone, its keys, the message it answers, who gets it
    and the keyword it says (to that message's account)."""

    reply: IncomingReply
    number: str
    received_at: datetime
    keys: list[str]
    answers: Row[Any] | None = None  # Message: id, to, sender, created_at, account_id
    account_id: int | None = None
    keyword: opt_out.KeywordMatch | None = None


def _receive_all(
    session: Session, route_id: int | None, replies: list[IncomingReply], window: timedelta
) -> list[InboundMessage | None]:
    """Receive these replies as one after the other (for each, what :func:`receive` returns), in
    a few statements whatever their number: the keys stored already, the messages they answer
    and their accounts read once; the replies inserted in one statement (a reply another worker
    stored meanwhile left out by the unique key, not by an error); the keywords acted on in
    order; the webhook events written in one statement."""
    now = utcnow()
    numbers = _phones([r.from_number for r in replies])
    batch = []
    for reply in replies:
        number, received_at = numbers[reply.from_number], reply.received_at or now
        keys = [reply.upstream_key] if reply.upstream_key is not None else _content_keys(number, reply, received_at)
        batch.append(_Incoming(reply, number, received_at, keys))
    seen = _stored_keys(session, route_id, {key for got in batch for key in got.keys})
    fresh: dict[int, _Incoming] = {}
    for i, got in enumerate(batch):
        if seen.isdisjoint(got.keys):  # else given before, or twice in this batch
            seen.add(got.keys[0])
            fresh[i] = got
    if not fresh:
        return [None] * len(batch)
    _find_answered(session, list(fresh.values()), window)
    accounts = _load_accounts(session, {got.answers.account_id for got in fresh.values() if got.answers is not None})
    keywords: dict[int, dict[str, list[str]]] = {}
    for got in fresh.values():
        if got.answers is None:
            continue
        got.account_id = _receiving_account(accounts, got.answers.account_id)
        account = accounts.get(got.answers.account_id)
        if account is not None:
            words = keywords.setdefault(account.id, keywords_of(account))
            got.keyword = opt_out.keyword_action(got.reply.text, words)
    stored = _insert_replies(session, route_id, list(fresh.values()))
    opted_out = _opted_out(session, [g for g in fresh.values() if g.keyword is not None])
    listening = _listening(session, {got.account_id for got in fresh.values()} | set(accounts))
    events: list[tuple[int, str, dict[str, Any], str]] = []
    for got in fresh.values():
        inbound = stored.get(got.keys[0])
        if inbound is None:
            continue
        inbound.answer_ids = []
        if got.answers is not None and got.keyword is not None and inbound.from_number.startswith("+"):
            account = accounts[got.answers.account_id]
            inbound.answer_ids = _act_on_keyword(session, inbound, account, got.answers, got.keyword, opted_out, events)
        if got.account_id in listening:
            events.append((got.account_id, webhook_events.MESSAGE_REPLY, reply_event(inbound), f"reply_{inbound.id}"))
    _emit(session, listening, events)
    session.flush()  # the opt-outs
    return [stored.get(fresh[i].keys[0]) if i in fresh else None for i in range(len(batch))]


def _phones(raw: list[str]) -> dict[str, str]:
    """Each phone as replies name it (phone.reply_sender), read once per batch."""
    return {number: phone.reply_sender(number) for number in set(raw)}


def _chunks(values: Iterable[T]) -> Iterator[list[T]]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _insert(session: Session, model: Any) -> Any:
    """An INSERT that can leave out rows a unique key has already (ON CONFLICT DO NOTHING)."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model)


def _stored_keys(session: Session, route_id: int | None, keys: set[str]) -> set[str]:
    """Which of these keys the route's stored replies have."""
    found: set[str] = set()
    for chunk in _chunks(sorted(keys)):
        found.update(
            session.scalars(
                select(InboundMessage.upstream_key).where(
                    InboundMessage.route_id == route_id, InboundMessage.upstream_key.in_(chunk)
                )
            )
        )
    return found


def _senders(to_address: str) -> set[str]:
    """Our number as a message's sender may spell it (with or without the +)."""
    address = to_address.strip()
    return {address, address.lstrip("+"), "+" + address.lstrip("+")}


def _find_answered(session: Session, batch: list[_Incoming], window: timedelta) -> None:
    """The message each reply answers: the last one to the phone from that number that was not
    refused, within the window before the reply. Its acceptance time counts, not its
    submission's: a quick phone may answer before the worker has recorded the SMSC's answer to
    the submission. The last writer, as the issue says, also on a shared sender several accounts
    use (each phone's reply goes to whoever wrote to it last from that number). One query for
    the batch."""
    asked = {(got.number, got.reply.to_address.strip(), got.received_at) for got in batch}
    if session.get_bind().dialect.name == "postgresql":
        found = _answered_on_postgresql(session, sorted(asked), window)
    else:
        found = _answered_in_memory(session, asked, window)
    for got in batch:
        got.answers = found.get((got.number, got.reply.to_address.strip(), got.received_at))


_ANSWERED = sql(
    """
    SELECT r.i, m.id, m."to", m.sender, m.created_at, m.account_id
    FROM unnest(CAST(:numbers AS text[]), CAST(:addresses AS text[]), CAST(:ats AS timestamp[]))
        WITH ORDINALITY AS r(number, address, at, i)
    CROSS JOIN LATERAL (
        SELECT id, "to", sender, created_at, account_id FROM messages
        WHERE "to" = r.number AND sender IN (r.address, ltrim(r.address, '+'), '+' || ltrim(r.address, '+'))
            AND created_at >= r.at - CAST(:window AS interval) AND created_at <= r.at
            AND status NOT IN (:draft, :refused)
        ORDER BY created_at DESC, id DESC
        LIMIT 1
    ) AS m
    """
)


def _answered_on_postgresql(
    session: Session, asked: list[tuple[str, str, datetime]], window: timedelta
) -> dict[tuple[str, str, datetime], Row[Any]]:
    """Each phone's last message, looked up by ix_messages_to as one reply's query would (a
    list of numbers in an IN makes the planner take the trigram index, ix_messages_to_digits,
    and read far more: 1.6 s for 500 numbers of 10,000 messages)."""
    found: dict[tuple[str, str, datetime], Row[Any]] = {}
    for chunk in _chunks(asked):
        params = {
            "numbers": [number for number, _, _ in chunk],
            "addresses": [address for _, address, _ in chunk],
            "ats": [at.astimezone(UTC).replace(tzinfo=None) for _, _, at in chunk],  # as UTCDateTime keeps them
            "window": window,
            "draft": lifecycle.DRAFT,
            "refused": lifecycle.REFUSED,
        }
        for row in session.execute(_ANSWERED, params):
            found[chunk[row.i - 1]] = row
    return found


def _answered_in_memory(
    session: Session, asked: set[tuple[str, str, datetime]], window: timedelta
) -> dict[tuple[str, str, datetime], Row[Any]]:
    """The same on SQLite: the batch's phones' messages from those numbers read at once, the
    last of each picked here."""
    numbers = sorted({number for number, _, _ in asked})
    senders = set().union(*(_senders(address) for _, address, _ in asked))
    earliest = min(at for _, _, at in asked) - window
    latest = max(at for _, _, at in asked)
    sent: dict[tuple[str, str], list[Row[Any]]] = {}
    for chunk in _chunks(numbers):
        for row in session.execute(
            select(Message.id, Message.to, Message.sender, Message.created_at, Message.account_id).where(
                Message.to.in_(chunk),
                Message.sender.in_(senders),
                Message.created_at >= earliest,
                Message.created_at <= latest,
                Message.status.not_in((lifecycle.DRAFT, lifecycle.REFUSED)),
            )
        ):
            sent.setdefault((row.to, row.sender), []).append(row)
    found: dict[tuple[str, str, datetime], Row[Any]] = {}
    for number, address, at in asked:
        candidates = [
            row
            for sender in _senders(address)
            for row in sent.get((number, sender), ())
            if at - window <= row.created_at <= at
        ]
        if candidates:
            found[(number, address, at)] = max(candidates, key=lambda row: (row.created_at, row.id))
    return found


def _load_accounts(session: Session, ids: set[int]) -> dict[int, Account]:
    """The accounts replies go to by id, with the parents of those that hand them on (held
    here: the session keeps no object nobody holds)."""
    loaded: dict[int, Account] = {}
    while ids:
        for account in session.scalars(select(Account).where(Account.id.in_(ids))):
            loaded[account.id] = account
        ids = {a.parent_id for a in loaded.values() if not a.receives_replies and a.parent_id} - set(loaded)
    return loaded


def _insert_replies(session: Session, route_id: int | None, batch: list[_Incoming]) -> dict[str, InboundMessage]:
    """Insert the replies in one statement (per thousand); a reply a second worker stored at the
    same time (its route and key) is left out. Returns the replies inserted by their key, as
    persistent objects of the session (made from what was inserted: read no more)."""
    rows = [
        {
            "route_id": route_id,
            "from_number": got.number,
            "to_address": got.reply.to_address.strip()[:32],
            "text": got.reply.text,
            "received_at": got.received_at,
            "upstream_key": got.keys[0],
            "account_id": got.account_id,
            "answers_message_id": got.answers.id if got.answers is not None else None,
            "keyword_action": got.keyword.action if got.keyword is not None else None,
            "read_at": None,
        }
        for got in batch
    ]
    table = InboundMessage.__table__
    statement = (
        _insert(session, table)
        .on_conflict_do_nothing(index_elements=["route_id", "upstream_key"])
        .returning(table.c.upstream_key, table.c.id)
    )
    session.flush()
    # Core, not an ORM bulk INSERT: that one starts a new statement wherever the columns left
    # NULL change from one row to the next (a keyword among plain replies: 20 statements a batch)
    ids = dict(session.execute(statement, rows).tuples().all())
    stored: dict[str, InboundMessage] = {}
    for row in rows:
        key = str(row["upstream_key"])
        if key in ids:
            inbound = InboundMessage(id=ids.pop(key), **row)
            make_transient_to_detached(inbound)  # as if loaded: nothing to flush
            session.add(inbound)
            stored[key] = inbound
    return stored


def _opted_out(session: Session, batch: list[_Incoming]) -> set[tuple[int, str]]:
    """The (account, phone) opt-outs stored already among those the batch's keywords name."""
    pairs = {(got.answers.account_id, got.number) for got in batch if got.answers is not None}
    found: set[tuple[int, str]] = set()
    for chunk in _chunks(sorted(pairs)):
        found.update(
            (row.account_id, row.phone)
            for row in session.execute(
                select(BlockedNumber.account_id, BlockedNumber.phone).where(
                    tuple_(BlockedNumber.account_id, BlockedNumber.phone).in_(chunk), BlockedNumber.source == OPT_OUT
                )
            )
        )
    return found


def _listening(session: Session, account_ids: set[int | None]) -> dict[int, list[tuple[int, list[str]]]]:
    """The switched-on endpoints (id, events wanted) of these accounts, for webhooks.emit's
    events: read once for the batch."""
    listening: dict[int, list[tuple[int, list[str]]]] = {}
    ids = {account_id for account_id in account_ids if account_id is not None}
    if not ids:
        return listening
    for endpoint_id, account_id, wanted in session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.account_id, WebhookEndpoint.events).where(
            WebhookEndpoint.account_id.in_(ids),
            WebhookEndpoint.kind.in_(("endpoint", "smpp")),  # replies go back over SMPP binds too
            WebhookEndpoint.enabled.is_(True),
        )
    ):
        listening.setdefault(account_id, []).append((endpoint_id, list(wanted or [])))
    return listening


def _emit(
    session: Session,
    listening: dict[int, list[tuple[int, list[str]]]],
    events: list[tuple[int, str, dict[str, Any], str]],
) -> int:
    """webhooks.emit for each event (account, type, data, id) to the endpoints listening, in
    one statement (an event id given before adds nothing)."""
    at, rows = utcnow(), []
    for account_id, event_type, data, event_id in events:
        wanting = [endpoint_id for endpoint_id, wanted in listening.get(account_id, ()) if event_type in wanted]
        if wanting:
            body = webhook_events.body(event_type, at, data)
            rows += [webhooks.delivery_row(endpoint_id, event_id, event_type, body, at) for endpoint_id in wanting]
    return webhooks.insert_deliveries(session, rows)


def _receiving_account(accounts: dict[int, Account], account_id: int) -> int:
    """The account, or its parent (up the chain) when it does not receive replies."""
    seen: set[int] = set()
    account = accounts.get(account_id)
    while account is not None and not account.receives_replies and account.parent_id and account.id not in seen:
        seen.add(account.id)
        account = accounts.get(account.parent_id)
    return account.id if account is not None else account_id


def keywords_of(account: Account) -> dict[str, list[str]]:
    """The account's reply keywords by action (the defaults where it has set none)."""
    own = account.reply_keywords or {}
    return {action: list(own.get(action, opt_out.DEFAULT_KEYWORDS[action])) for action in opt_out.ACTIONS}


def _act_on_keyword(
    session: Session,
    inbound: InboundMessage,
    account: Account,
    answered: Row[Any],
    match: opt_out.KeywordMatch,
    opted_out: set[tuple[int, str]],
    events: list[tuple[int, str, dict[str, Any], str]],
) -> list[int]:
    """STOP, START or HELP for the account that sent the message the reply answers; returns the
    ids of the answers it queued (the HELP text, the STOP confirmation), to hand to the workers.
    ``opted_out`` holds the batch's (account, phone) opt-outs, kept up to date here; the
    ``contact.opted_out`` event is added to ``events``."""
    answers: list[int] = []
    if match.action == opt_out.HELP and (account.help_text or "").strip():
        answers += _answer(session, account, inbound, answered, account.help_text or "")
    pair = (account.id, inbound.from_number)
    changed = False
    if match.action == opt_out.STOP and pair not in opted_out:
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
        opted_out.add(pair)
    elif match.action == opt_out.START:
        opted_out.discard(pair)
        lifted = delete(BlockedNumber).where(
            BlockedNumber.account_id == account.id,
            BlockedNumber.phone == inbound.from_number,
            BlockedNumber.source == OPT_OUT,
        )
        changed = rowcount(session.execute(lifted)) > 0
    if changed:  # a STOP said again, or a START with nothing to lift, tells nobody
        data = {"number": inbound.from_number, "opted_out": match.action == opt_out.STOP, "reply_id": inbound.id}
        events.append((account.id, webhook_events.OPTED_OUT, data, f"optout_{inbound.id}"))
    return answers


ANSWER_AGAIN_AFTER = timedelta(hours=24)


def _answer(session: Session, account: Account, inbound: InboundMessage, answered: Row[Any], text: str) -> list[int]:
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
