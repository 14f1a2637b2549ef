"""A campaign's expansion: every recipient read once (from contact groups or the file),
its text rendered, its number checked, priced and stored as a draft message.

Drafts are neither charged nor sent: confirmation reserves the total in one ledger row and
turns them into queued messages (or refusals, each with its reason). Rows are read and
written in batches, never all held: only the numbers already seen are kept, for the
duplicate filter. Flushes, never commits.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from webapp.domain import campaigns as rules
from webapp.domain import lifecycle, phone, pricing
from webapp.domain import short_links as link_rules
from webapp.domain.gsm_savings import gsm_replaced
from webapp.domain.networks import NETWORK_LENGTH, network_of
from webapp.domain.placeholders import compile_text
from webapp.domain.sheets import open_spreadsheet
from webapp.domain.sms_text import analyze
from webapp.i18n import translate
from webapp.models import Account, Campaign, Contact, ContactGroup, Message, MessagePart, Route, ShortLink
from webapp.models.types import utcnow
from webapp.services import blocklist, delivery_windows, short_links
from webapp.services.bulk import bulk_insert, insert_returning_ids
from webapp.services.contacts import usable_condition
from webapp.services.dml import rowcount
from webapp.services.pricing import price_list_for
from webapp.services.routes import RouteTable
from webapp.services.sending import DEFAULT_MAX_PARTS

DRAFT = lifecycle.DRAFT
BATCH = 2000
ZERO = Decimal("0.0000")
Progress = Callable[[int], None]
# The placeholders a contact group offers, besides the fields its import kept.
CONTACT_COLUMNS = ("FirstName", "LastName", "Phone")


@dataclass(frozen=True)
class SourceRow:
    row: int | str  # the row in the file, or the list and the contact's place in it
    raw_phone: str
    values: list[str] | dict[str, str]  # what the placeholders take
    text: str | None = None  # the row's own message (batch upload)


def contact_columns(session: Session, campaign: Campaign) -> list[str]:
    """The placeholders contact groups offer: names, phone, and the fields kept by their imports."""
    from webapp.services.contacts import field_names

    names = dict.fromkeys(CONTACT_COLUMNS)
    for group in _groups(session, campaign):
        names.update(dict.fromkeys(field_names(session, group, sample=2000)))
    return list(names)


def _groups(session: Session, campaign: Campaign) -> list[ContactGroup]:
    ids = [int(i) for i in campaign.group_ids or []]
    account = session.get_one(Account, campaign.account_id)  # its own groups and its parent's shared ones
    groups = session.scalars(select(ContactGroup).where(ContactGroup.id.in_(ids), usable_condition(account))).all()
    return sorted(groups, key=lambda g: ids.index(g.id))


def source_rows(session: Session, campaign: Campaign) -> Generator[SourceRow, None, None]:
    """The recipients in order: the groups' contacts (group by group), or the file's data rows.
    A generator: a reader that stops early closes it (the file is closed then)."""
    if campaign.kind == rules.LISTS:
        for group in _groups(session, campaign):
            last_id, position = 0, 0
            while True:
                contacts = session.execute(
                    select(Contact.id, Contact.phone, Contact.first_name, Contact.last_name, Contact.fields)
                    .where(Contact.group_id == group.id, Contact.id > last_id)
                    .order_by(Contact.id)
                    .limit(BATCH)
                ).all()
                if not contacts:
                    break
                for contact_id, number, first, last, fields in contacts:
                    position += 1
                    yield SourceRow(
                        f"{group.name} #{position}",
                        number,
                        {"FirstName": first, "LastName": last, "Phone": number, **(fields or {})},
                    )
                last_id = contacts[-1][0]
        return
    with open_spreadsheet(campaign.stored_path, campaign.filename) as book:
        for number, cells in book.rows(campaign.sheet, start=campaign.first_row or 1):
            if not any(c.strip() for c in cells):
                continue  # an empty line in the file is no recipient
            phone_column = campaign.phone_column
            assert phone_column is not None  # chosen before the text is composed (step_of, ready_to_prepare)
            raw = cells[phone_column] if phone_column < len(cells) else ""
            text = None
            if campaign.kind == rules.BATCH:
                col = campaign.message_column
                text = cells[col] if col is not None and col < len(cells) else ""
            yield SourceRow(number, raw, cells, text)


def discard_drafts(session: Session, campaign: Campaign) -> None:
    """Forget an earlier expansion (the customer went back to change something)."""
    drafts = select(Message.id).where(Message.campaign_id == campaign.id, Message.status == DRAFT)
    session.execute(
        delete(ShortLink).where(ShortLink.message_id.in_(drafts)).execution_options(synchronize_session=False)
    )
    session.execute(
        delete(MessagePart).where(MessagePart.message_id.in_(drafts)).execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Message)
        .where(Message.campaign_id == campaign.id, Message.status == DRAFT)
        .execution_options(synchronize_session=False)
    )


class _Writer:
    """Buffers draft messages and writes them, with their parts, a batch at a time."""

    def __init__(self, session: Session, campaign: Campaign, validity: timedelta, link_base: str = ""):
        self.session, self.campaign = session, campaign
        self.links = short_links.Pending(link_base, [])
        self.codes = short_links.Codes(session)
        self.now = utcnow()
        self.validity_until = self.now + validity
        self.rows: list[dict[str, Any]] = []  # column → value, as bulk inserts take them

    def add(self, **row: Any) -> None:
        self.rows.append(
            {
                "account_id": self.campaign.account_id,
                "user_id": self.campaign.user_id,
                "campaign_id": self.campaign.id,
                "sender": self.campaign.sender,
                "status": DRAFT,
                "validity_until": self.validity_until,
                "created_at": self.now,
                "monitor": False,
                "flash": self.campaign.flash,  # flash SMS: every message of the campaign
                "country": None,
                "route_id": None,
                "reason_code": None,
                "price_per_part": ZERO,
                "cost": ZERO,
                "encoding": "GSM-7",
                "parts": 1,
                **row,
            }
        )
        self.rows[-1]["network"] = network_of(self.rows[-1]["to"])[:NETWORK_LENGTH]  # the range's operator ("" none)

    def flush(self) -> None:
        if not self.rows:
            return
        # each message its own short links (#link/#stop), made with it
        slots = [row.pop("_slots", ()) for row in self.rows]
        self.links.fill(self.codes, self.rows, slots, self.now)
        ids = insert_returning_ids(self.session, Message, self.rows)
        self.links.store(self.session, ids)
        parts = [
            {
                "message_id": message_id,
                "seq": seq,
                "submission_key": f"{message_id}:{seq}",
                "route_id": row["route_id"],
                "state": "pending",
            }
            for row, message_id in zip(self.rows, ids)
            if row["reason_code"] is None
            for seq in range(1, row["parts"] + 1)
        ]
        if parts:
            bulk_insert(self.session, MessagePart, parts)
        self.rows = []


def expand(
    session: Session,
    campaign: Campaign,
    progress: Progress | None = None,
    token: str | None = None,
    max_parts: int = DEFAULT_MAX_PARTS,
    link_base: str = "",
) -> dict[str, object]:
    """Render, check, price and store every recipient as a draft; returns the summary. ``token``
    names the preparation this job is for (the campaign's current one by default); a rendered
    text over ``max_parts`` parts is refused as too long for that recipient. ``link_base``
    (PUBLIC_URL): where the texts' short links live."""
    token = campaign.expansion_token if token is None else token
    account = session.get_one(Account, campaign.account_id)
    discard_drafts(session, campaign)
    run = _Expansion(session, campaign, account, max_parts, link_base)
    for count, source in enumerate(source_rows(session, campaign), start=1):
        if not run.take(source):
            continue  # refused: stored with its reason, flushed with the next batch
        if len(run.pending) >= BATCH:
            run.settle_pending()
            if progress:
                progress(count)
        elif len(run.writer.rows) >= BATCH:
            run.writer.flush()
    run.settle_pending()
    run.writer.flush()
    summary = run.tally.as_dict()
    # outside the delivery window when it would start: they wait (the count and until when, shown)
    starts = max(run.writer.now, campaign.send_at) if campaign.send_at else run.writer.now
    summary.update(delivery_windows.summary_values(delivery_windows.stamp_campaign(session, campaign, DRAFT, starts)))
    _mark_ready(session, campaign, token, summary)
    return summary


def _mark_ready(session: Session, campaign: Campaign, token: str | None, summary: dict[str, object]) -> None:
    """Ready only if still this preparation: a customer who went back meanwhile keeps the draft,
    and one who went back and prepared again gets the newer preparation."""
    ready = rowcount(
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id, Campaign.status == rules.PREPARING, Campaign.expansion_token == token)
            .values(status=rules.READY, summary=summary, error="")
            .execution_options(synchronize_session=False)
        )
    )
    if not ready:
        raise Abandoned(campaign.id)
    session.refresh(campaign)


class _Expansion:
    """One expansion under way: the account's prices and routes, the numbers already seen, the
    texts already analysed, and the valid recipients waiting for the blocklist check."""

    def __init__(self, session: Session, campaign: Campaign, account: Account, max_parts: int, link_base: str = ""):
        self.session, self.campaign, self.account, self.max_parts = session, campaign, account, max_parts
        self.link_base = link_base
        self.prices, self.route_table = price_list_for(session, account), RouteTable(session)
        columns = campaign.titles if campaign.kind != rules.LISTS else contact_columns(session, campaign)
        # A batch row carries its own message; the campaign's text (if any) is for rows without one.
        # #link(…)/#stop become marks, filled per recipient with its own short links when stored
        self.links = link_rules.find(campaign.text)
        self.template = compile_text(self.links.masked, columns)
        self.writer = _Writer(session, campaign, timedelta(minutes=campaign.validity_minutes), link_base)
        self.tally = rules.Tally()
        self.seen: set[str] = set()
        self.analysed: dict[str, tuple[str, int, int]] = {}
        self.pending: list[tuple[SourceRow, dict[str, Any]]] = []  # valid rows waiting for the blocklist check

    def message_text(self, source: SourceRow) -> tuple[str, int, bool, tuple[link_rules.Slot, ...]]:
        """The recipient's text, its count of empty placeholders, whether non-GSM characters were
        replaced and its short links: the row's own message (as written), or the campaign's text
        rendered for the row, with the GSM-7 replacement (domain/gsm_savings.py) when the campaign
        asks for it. The text has a mark where each short link goes (domain/short_links.py)."""
        if source.text is not None and source.text.strip():
            own = link_rules.find(source.text.strip())
            return own.masked, 0, False, own.slots
        text, empty = self.template.render(_without_marks(source.values))
        if self.campaign.gsm_safe:
            replaced = gsm_replaced(text)
            return replaced, empty, replaced != text, self.links.slots
        return text, empty, False, self.links.slots

    def segments(self, text: str) -> tuple[str, int, int]:
        """The text's encoding, parts and characters; the first 20,000 distinct texts are analysed once."""
        found = self.analysed.get(text)
        if found is None:
            analysis = analyze(link_rules.counted(text, self.link_base))  # links as long as sent
            found = (analysis.encoding, analysis.parts, analysis.characters)
            if len(self.analysed) < 20000:
                self.analysed[text] = found
        return found

    def price(
        self, text: str, number: str, country: str | None
    ) -> tuple[tuple[Route, pricing.Quote] | None, str, str, int, int]:
        """The route and quote (or None and why not), with the text's encoding, parts and characters."""
        encoding, parts, characters = self.segments(text)
        route = self.route_table.route_for(country)
        if route is None:
            return None, "no active route", encoding, parts, characters
        try:
            quote = pricing.quote(parts, number, country, self.prices)
        except pricing.Unroutable as exc:
            return None, str(exc), encoding, parts, characters
        return (route, quote), "", encoding, parts, characters

    def refuse(self, source: SourceRow, base: dict[str, Any], reason: str, detail: str = "", **columns: Any) -> None:
        """A recipient not sent: counted in the summary's refusals and stored with its reason code."""
        self.tally.refuse(source.row, source.raw_phone, reason, detail)
        self.writer.add(**base, **columns, reason_code=reason)

    def take(self, source: SourceRow) -> bool:
        """Check one recipient: False if refused (number, text, duplicate, length, route), True if
        priced and waiting for the blocklist check."""
        text, empty, replaced, slots = self.message_text(source)
        base = {"to": str(source.raw_phone)[:32], "text": text, "_slots": slots}
        try:
            number, country = phone.normalize_with_region(source.raw_phone, self.account.default_region)
        except phone.InvalidNumber as exc:
            # in the language the job set (the campaign creator's)
            self.refuse(source, base, "invalid_number", translate(exc.text) if source.raw_phone.strip() else "")
            return False
        base["to"] = number
        if not text.strip():
            self.refuse(source, base, "empty_text")
            return False
        if self.campaign.filter_duplicates:
            if number in self.seen:
                self.refuse(source, base, "duplicate")
                return False
            self.seen.add(number)
        priced, detail, encoding, parts, characters = self.price(text, number, country)
        if parts > self.max_parts:
            self.refuse(
                source, base, "too_long", f"{parts} > {self.max_parts}", country=country, encoding=encoding, parts=parts
            )
            return False
        if priced is None:
            self.refuse(source, base, "unroutable", detail, country=country, encoding=encoding, parts=parts)
            return False
        route, quote = priced
        self.pending.append(
            (
                source,
                {
                    **base,
                    "country": country,
                    "encoding": encoding,
                    "parts": parts,
                    "route_id": route.id,
                    "price_per_part": quote.price_per_part,
                    "cost": quote.cost,
                    "_characters": characters,
                    "_empty": empty,
                    "_replaced": replaced,
                },
            )
        )
        return True

    def settle_pending(self) -> None:
        """The blocklist check of the waiting recipients: each is refused or counted and stored (with a
        monitoring copy at every monitoring point); then the batch is written."""
        numbers = [row["to"] for _, row in self.pending]
        blocked = blocklist.refusals_among(
            self.session, self.account.id, numbers, account_list=self.campaign.check_blocklists
        )
        for source, row in self.pending:
            characters, empty, replaced = row.pop("_characters"), row.pop("_empty"), row.pop("_replaced")  # the tally's
            if row["to"] in blocked:
                reason = blocked[row["to"]]  # blocklisted | opted_out
                self.tally.refuse(source.row, source.raw_phone, reason)
                self.writer.add(
                    **{**row, "reason_code": reason, "route_id": None, "price_per_part": ZERO, "cost": ZERO}
                )
                continue
            self.tally.add(
                row["to"],
                link_rules.counted(row["text"], self.link_base),
                row["parts"],
                characters,
                row["cost"],
                row["country"],
                empty,
                price_per_part=row["price_per_part"],
                replaced=replaced,
            )
            self.writer.add(**row)
            if rules.is_monitoring_point(self.tally.recipients, self.campaign.monitor_every):
                self.monitoring_copy(row["text"], row["_slots"])
        self.pending.clear()
        self.writer.flush()

    def monitoring_copy(self, text: str, slots: tuple[link_rules.Slot, ...] = ()) -> None:
        """A copy of the text to the campaign's monitoring number, priced and counted apart."""
        number = self.campaign.monitor_number
        country = phone.region_of(number)
        priced, _detail, encoding, parts, _chars = self.price(text, number, country)
        if priced is None:
            return  # checked when the options were saved; a route gone since is no reason to stop
        route, quote = priced
        self.tally.add_monitoring(parts, quote.cost, quote.price_per_part)
        self.writer.add(
            to=number,
            country=country,
            text=text,
            encoding=encoding,
            parts=parts,
            route_id=route.id,
            price_per_part=quote.price_per_part,
            cost=quote.cost,
            monitor=True,
            _slots=slots,
        )


class Abandoned(Exception):
    """The campaign left the preparing state while it was being expanded: drop the work."""


def _without_marks(values: dict[str, str] | list[str]) -> dict[str, str] | list[str]:
    """A row's values with no short-link mark in them (a cell must not add or shift links)."""
    if isinstance(values, dict):
        return {k: link_rules.without_marks(v) if isinstance(v, str) else v for k, v in values.items()}
    return [link_rules.without_marks(v) if isinstance(v, str) else v for v in values]
