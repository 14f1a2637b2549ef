"""Campaigns until they are confirmed: finding the ones an actor may see or change, and the wizard
that makes one from lists or a file, picks its first row and columns, keeps its options, hands it
to the preparation job and steps back. The conditional change of state both this and the run use
(:func:`move`) is here; confirming, pausing, resuming, cancelling and finishing are
services/campaign_runs.py. Flushes, never commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from webapp.domain import N_, phone
from webapp.domain import campaigns as rules
from webapp.domain import delivery_windows as windows
from webapp.domain import short_links as link_rules
from webapp.domain.placeholders import compile_text
from webapp.models import Campaign, User
from webapp.models.types import utcnow
from webapp.services import delivery_windows, subusers
from webapp.services.campaign_expansion import contact_columns, discard_drafts
from webapp.services.dml import rowcount
from webapp.services.errors import FieldMessage, ServiceError
from webapp.services.uploads import keep_spreadsheet

if TYPE_CHECKING:
    from webapp.services.imports import Columns, Preview
    from webapp.services.uploads import Upload


def get(session: Session, actor: User, campaign_id: int) -> Campaign:
    """The actor's account's campaign; LookupError for another account's (or none)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.account_id != actor.account_id:
        raise LookupError(campaign_id)
    return campaign


def _seen_by(session: Session, actor: User) -> ColumnElement[bool]:
    """The actor's own campaigns, and (for a parent) its subusers' once confirmed: a subuser's
    drafts are its own business."""
    others = subusers.visible_account_ids(session, actor)[1:]
    own = Campaign.account_id == actor.account_id
    if not others:
        return own
    return or_(own, and_(Campaign.account_id.in_(others), Campaign.status.not_in(rules.EDITABLE | {rules.PREPARING})))


def list_for(session: Session, actor: User, limit: int = 100) -> list[Campaign]:
    return list(
        session.scalars(select(Campaign).where(_seen_by(session, actor)).order_by(Campaign.id.desc()).limit(limit))
    )


def get_visible(session: Session, actor: User, campaign_id: int) -> Campaign:
    """A campaign the actor may look at (its own, or a subuser's it may see); LookupError otherwise.
    Only :func:`get` gives a campaign to change."""
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id, _seen_by(session, actor)))
    if campaign is None:
        raise LookupError(campaign_id)
    return campaign


def _default_name(kind: str) -> str:
    return f"{kind.capitalize()} {utcnow():%Y-%m-%d %H:%M}"


def new_for_lists(
    session: Session, actor: User, group_ids: list[int], text: str, sender: str, flash: bool = False
) -> Campaign:
    from webapp.services.contacts import usable_group

    if not group_ids:
        raise ServiceError(N_("Pick at least one contact list."), {"groups": [N_("Pick at least one contact list.")]})
    names = []
    for group_id in group_ids:
        try:
            names.append(usable_group(session, actor, int(group_id)).name)
        except LookupError:
            raise ServiceError(
                N_("That contact list does not exist."), {"groups": [N_("That contact list does not exist.")]}
            ) from None
    campaign = Campaign(
        account_id=actor.account_id,
        user_id=actor.id,
        kind=rules.LISTS,
        text=text,
        sender=sender,
        group_ids=[int(g) for g in group_ids],
        name=", ".join(names)[:120],
        flash=flash,
        delivery_window=delivery_windows.quiet_hours(actor.account),  # the account's default
    )
    session.add(campaign)
    session.flush()
    return campaign


def new_from_file(
    session: Session, actor: User, kind: str, upload_dir: str, filename: str, stream: Upload | None, sender: str
) -> Campaign:
    """Keep the uploaded file (batch upload or personalised) once it is known to be readable."""
    if kind not in (rules.BATCH, rules.PERSONALISED):
        raise LookupError(kind)
    path = keep_spreadsheet(upload_dir, actor.account_id, filename, stream, prefix="campaign-")
    campaign = Campaign(
        account_id=actor.account_id,
        user_id=actor.id,
        kind=kind,
        sender=sender,
        filename=Path(filename).name[:255],
        stored_path=str(path),
        name=Path(filename).stem[:120],
        delivery_window=delivery_windows.quiet_hours(actor.account),  # the account's default
    )
    session.add(campaign)
    session.flush()
    return campaign


# The file steps reuse the import wizard's reading of sheets and columns.
def preview(campaign: Campaign, sheet: int | None = None, limit: int = 15) -> Preview:
    from webapp.services.imports import preview as sheet_preview

    return sheet_preview(campaign, sheet, limit)


def columns(campaign: Campaign, samples: int = 10) -> Columns:
    from webapp.services.imports import columns as sheet_columns

    return sheet_columns(campaign, samples)


def _editable(campaign: Campaign) -> None:
    if campaign.status not in rules.EDITABLE:
        raise ServiceError(N_("This campaign can no longer be changed."))


def choose_first_row(session: Session, campaign: Campaign, sheet: int, first_row: int) -> None:
    _editable(campaign)
    shown = preview(campaign, sheet)
    if first_row not in {number for number, _ in shown.rows}:
        raise ServiceError(N_("Pick the first row that holds a number, from the rows shown."))
    campaign.sheet, campaign.first_row = shown.sheet, first_row
    campaign.phone_column = campaign.message_column = None
    campaign.titles = columns(campaign, samples=0).titles
    _back_to_draft(session, campaign)


def set_columns(session: Session, campaign: Campaign, phone_column: int | None, message_column: int | None) -> None:
    _editable(campaign)
    width = len(campaign.titles)
    if phone_column is None or not 0 <= phone_column < width:
        raise ServiceError(N_("Choose the column that holds the phone numbers."))
    if campaign.kind == rules.BATCH:
        if message_column is None or not 0 <= message_column < width:
            raise ServiceError(N_("Choose the column that holds the messages."))
        if message_column == phone_column:
            raise ServiceError(N_("The phone and the message must be different columns."))
    campaign.phone_column, campaign.message_column = phone_column, message_column
    _back_to_draft(session, campaign)


def move(session: Session, campaign: Campaign, allowed: Iterable[str], **values: Any) -> bool:
    """A change of state as one conditional UPDATE: False when another request (a second tab,
    a double click, a job) moved the campaign first. Pending attribute changes are flushed
    before, so they go with it or are rolled back with it."""
    session.flush()
    moved = rowcount(
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id, Campaign.status.in_(list(allowed)))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(campaign)
    return bool(moved)


def _back_to_draft(session: Session, campaign: Campaign, allowed: Iterable[str] = rules.EDITABLE) -> None:
    if not move(session, campaign, allowed, status=rules.DRAFT, summary={}):
        raise ServiceError(N_("This campaign can no longer be changed."))
    discard_drafts(session, campaign)
    session.flush()


def columns_of(session: Session, campaign: Campaign) -> list[str]:
    """Every column a placeholder can name, in the order the rows carry them."""
    return contact_columns(session, campaign) if campaign.kind == rules.LISTS else list(campaign.titles)


def placeholders(session: Session, campaign: Campaign) -> list[str]:
    """The tags shown above the text; the phone (and a batch's message) column is not offered."""
    if campaign.kind == rules.BATCH:
        return [t for i, t in enumerate(campaign.titles) if i not in (campaign.phone_column, campaign.message_column)]
    if campaign.kind == rules.LISTS:
        return [c for c in contact_columns(session, campaign) if c != "Phone"]
    return [t for i, t in enumerate(campaign.titles) if i != campaign.phone_column]


@dataclass
class Options:
    name: str
    sender: str
    text: str
    send_at: datetime | None
    speed: int
    filter_duplicates: bool
    check_blocklists: bool
    validity_minutes: int
    monitor_every: int
    monitor_number: str
    gsm_safe: bool = False  # send the rendered messages with non-GSM characters replaced (gsm_savings.py)
    flash: bool = False  # flash SMS (message class 0), copied to each message; priced as normal
    delivery_window: str = ""  # "09:00-20:00": only then in each recipient's time ("": any time)


def set_options(session: Session, actor: User, campaign: Campaign, options: Options) -> None:
    """Check and keep the options; every problem is reported against its field."""
    _editable(campaign)
    errors: dict[str, list[FieldMessage]] = {}
    if campaign.kind != rules.BATCH and not options.text.strip():
        errors["text"] = [N_("The message has no text.")]
    elif options.text.strip():
        found = link_rules.find(options.text)  # #link(…) and #stop are no columns; a bad link is named
        unknown = compile_text(found.masked, columns_of(session, campaign)).unknown
        if unknown:
            errors["text"] = [
                (
                    N_("Unknown placeholder: %(names)s. Use one of the tags above the text."),
                    {"names": ", ".join(unknown)},
                )
            ]
        if found.errors:
            errors.setdefault("text", []).extend(e.reason for e in found.errors)
    if not 0 <= options.speed <= rules.MAX_SPEED:
        errors["speed"] = [
            (
                N_("The speed must be between 0 (as fast as possible) and %(max)d messages per second."),
                {"max": rules.MAX_SPEED},
            )
        ]
    if not 5 <= options.validity_minutes <= 7 * 24 * 60:
        errors["validity_minutes"] = [N_("The validity must be between 5 minutes and 7 days.")]
    if options.monitor_every not in rules.MONITOR_EVERY:
        errors["monitor_every"] = [N_("Choose how often a monitoring copy is sent.")]
    monitor_number = ""
    if options.monitor_every:
        try:
            monitor_number = phone.normalize(options.monitor_number, actor.account.default_region)
        except phone.InvalidNumber as exc:
            errors["monitor_number"] = [
                exc.text
                if options.monitor_number.strip()
                else N_("Give the phone number that receives the monitoring copies.")
            ]
    window = None
    try:
        window = windows.parse(options.delivery_window)
    except windows.InvalidWindow as exc:
        errors["delivery_window"] = [exc.message]
    if errors:
        raise ServiceError(N_("Please correct the marked fields."), errors)
    campaign.delivery_window = str(window) if window is not None else ""
    campaign.name = options.name.strip()[:120] or campaign.name or _default_name(campaign.kind)
    campaign.sender, campaign.send_at, campaign.speed = options.sender, options.send_at, options.speed
    campaign.text, campaign.gsm_safe = options.text, bool(options.gsm_safe)
    campaign.flash = bool(options.flash)
    campaign.filter_duplicates, campaign.check_blocklists = options.filter_duplicates, options.check_blocklists
    campaign.validity_minutes, campaign.monitor_every = options.validity_minutes, options.monitor_every
    campaign.monitor_number = monitor_number or options.monitor_number.strip()[:20]
    _back_to_draft(session, campaign)


def ready_to_prepare(campaign: Campaign) -> bool:
    if campaign.kind == rules.LISTS:
        return bool(campaign.group_ids and campaign.text.strip())
    columns_chosen = campaign.phone_column is not None and (
        campaign.kind != rules.BATCH or campaign.message_column is not None
    )
    return columns_chosen and (campaign.kind == rules.BATCH or bool(campaign.text.strip()))


def start_preparing(session: Session, campaign: Campaign) -> None:
    """The expansion job takes it from here (enqueue after the commit)."""
    _editable(campaign)
    if not ready_to_prepare(campaign):
        raise ServiceError(N_("Finish the earlier steps first."))
    # Conditional, so that a double click prepares (and enqueues) once. The token names this
    # preparation: a job for an earlier one (the customer went back and changed something)
    # cannot finish in its place.
    if not move(
        session,
        campaign,
        rules.EDITABLE,
        status=rules.PREPARING,
        summary={},
        error="",
        expansion_token=uuid.uuid4().hex,
    ):
        raise ServiceError(N_("This campaign is being prepared already."))


def back(session: Session, campaign: Campaign) -> None:
    """Cancel on the summary (or while preparing): back to the options, nothing charged."""
    _back_to_draft(session, campaign, rules.EDITABLE | {rules.PREPARING})


def back_a_step(session: Session, campaign: Campaign, step: str) -> None:
    """The wizard's Back from ``step``: from the summary (or while preparing) to the options; from
    composing a file's message to its columns; from the columns to the first row."""
    if step in ("summary", "preparing"):
        back(session, campaign)
    elif step == "compose" and campaign.kind != rules.LISTS:
        campaign.phone_column = campaign.message_column = None
    elif step == "columns":
        campaign.first_row = None
    session.flush()
