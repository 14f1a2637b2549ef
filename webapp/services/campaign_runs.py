"""A confirmed campaign's run: the confirmation (the whole cost reserved in one ledger row, the
drafts queued or refused with their reasons), the scheduled start, pause and resume, the cancel
(unsent messages refused and their cost released, also for those a sender hands back later, by
the cron's sweep), completion once nothing waits, and removing the uploaded file at the end. The
wizard that makes and configures the campaign before it is confirmed is services/campaigns.py.
Flushes, never commits."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.domain import N_, lifecycle
from webapp.domain import campaigns as rules
from webapp.models import Account, Campaign, Message, MessagePart, User
from webapp.models.types import utcnow
from webapp.services import delivery_windows, ledger, status_events, subusers
from webapp.services.campaign_expansion import DRAFT, discard_drafts
from webapp.services.campaigns import move
from webapp.services.dml import rowcount
from webapp.services.errors import ServiceError


def summary_cost(campaign: Campaign) -> Decimal:
    return Decimal(campaign.summary.get("cost", "0"))


def confirm(session: Session, actor: User, campaign: Campaign) -> bool:
    """ "Yes, this is correct": the whole cost reserved in one conditional ledger row, the drafts
    queued (or refused with their reasons). False when the credit does not cover it: nothing
    starts; ServiceError (roll back) when it would pass a subuser's spend cap. A second confirmation of the same campaign does nothing."""
    if campaign.status != rules.READY:
        return False
    # Conditional, so that two clicks racing each other reserve once: the second finds it taken.
    taken = rowcount(
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id, Campaign.status == rules.READY)
            .values(status=rules.SENDING)
            .execution_options(synchronize_session=False)
        )
    )
    if not taken:
        return False
    cost = summary_cost(campaign)
    account = session.get_one(Account, campaign.account_id)
    subusers.check_caps(session, account, cost, field="cap")  # a subuser's spend cap: ServiceError, caller rolls back
    if cost > 0 and not ledger.post_many(
        session,
        account,
        [(-cost, "reservation", f"Campaign “{campaign.name}”", f"campaign:{campaign.id}")],
        actor=actor,
    ):
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(status=rules.READY)
            .execution_options(synchronize_session=False)
        )
        return False
    now = utcnow()
    starts = max(now, campaign.send_at) if campaign.send_at else now
    validity_until = starts + timedelta(minutes=campaign.validity_minutes)
    session.execute(
        update(Message)
        .where(Message.campaign_id == campaign.id, Message.status == DRAFT, Message.reason_code.is_not(None))
        .values(status=lifecycle.REFUSED, final_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Message)
        .where(Message.campaign_id == campaign.id, Message.status == DRAFT)
        .values(status=lifecycle.QUEUED, queued_at=now, validity_until=validity_until, created_at=now)
        .execution_options(synchronize_session=False)
    )
    # Outside the delivery window at the start: due at its opening, and valid from then.
    delivery_windows.stamp_campaign(
        session, campaign, lifecycle.QUEUED, starts, timedelta(minutes=campaign.validity_minutes)
    )
    campaign.reserved, campaign.confirmed_at = cost, now
    if campaign.send_at and campaign.send_at > now:
        campaign.status = rules.SCHEDULED
    else:
        for name, value in _pacing_values(campaign).items():
            setattr(campaign, name, value)
    session.flush()
    return True


def _pacing_values(campaign: Campaign) -> dict[str, Any]:
    """Sending (again) from now: the pace counts from here, the cursor from the start."""
    return {
        "status": rules.SENDING,
        "started_at": campaign.started_at or utcnow(),
        "paced_from": time.time(),
        "dispatched": 0,
        "cursor_id": 0,
        "generation": campaign.generation + 1,
        "paused_at": None,
    }


def start_scheduled(session: Session, campaign: Campaign) -> bool:
    """The scheduled time came (RQ's scheduler, or the cron safety net): start sending, unless it
    was paused or cancelled at that very moment."""
    return move(session, campaign, {rules.SCHEDULED}, **_pacing_values(campaign))


def pause(session: Session, campaign: Campaign) -> None:
    if not move(session, campaign, {rules.SENDING, rules.SCHEDULED}, status=rules.PAUSED, paused_at=utcnow()):
        raise ServiceError(N_("Only a sending or scheduled campaign can be paused."))


def resume(session: Session, campaign: Campaign) -> None:
    if campaign.send_at and campaign.send_at > utcnow() and campaign.started_at is None:
        values = {"status": rules.SCHEDULED, "paused_at": None}
    else:
        values = _pacing_values(campaign)
    if not move(session, campaign, {rules.PAUSED}, **values):
        raise ServiceError(N_("Only a paused campaign can be resumed."))


def cancel(session: Session, actor: User, campaign: Campaign) -> Decimal:
    """Stop for good: the messages not yet handed upstream are refused as cancelled and their
    reserved cost goes back in one ledger row. A message a sender already claimed goes on."""
    now = utcnow()
    if move(session, campaign, rules.EDITABLE | {rules.PREPARING}, status=rules.CANCELLED, finished_at=now):
        discard_drafts(session, campaign)  # never confirmed: nothing was reserved
        session.flush()
        return Decimal("0")
    # Senders stop at their next batch.
    if not move(session, campaign, rules.RUNNING, status=rules.CANCELLED, finished_at=now):
        raise ServiceError(N_("This campaign has already ended."))
    return _take_unsent(session, campaign, actor)


def _take_unsent(session: Session, campaign: Campaign, actor: User | None) -> Decimal:
    """Take the cancelled campaign's still-pending parts away from the senders (the same
    conditional UPDATE their claim is: each part goes to exactly one of them), refuse the
    messages whose parts were all taken, and release their cost in one ledger row."""
    queued = select(Message.id).where(Message.campaign_id == campaign.id, Message.status == lifecycle.QUEUED)
    taken = sorted(
        set(
            session.scalars(
                update(MessagePart)
                .where(MessagePart.message_id.in_(queued), MessagePart.state == "pending")
                .values(state="cancelled")
                .returning(MessagePart.message_id)
                .execution_options(synchronize_session=False)
            )
        )
    )
    refund, now = Decimal("0"), utcnow()
    for start in range(0, len(taken), 1000):
        chunk = taken[start : start + 1000]
        whole = session.execute(
            update(Message)
            .where(
                Message.id.in_(chunk),
                Message.status == lifecycle.QUEUED,
                ~Message.part_rows.any(MessagePart.state != "cancelled"),
            )
            .values(status=lifecycle.REFUSED, reason_code="cancelled", final_at=now)
            .returning(Message.id, Message.cost)
            .execution_options(synchronize_session=False)
        ).all()
        refund += sum((cost for _, cost in whole), Decimal("0"))
        status_events.emit_changes(session, [status_events.Changed(m, campaign.account_id) for m, _ in whole])
        # A message split between a sender and the cancel (rare) ends as not delivered, refunded.
        released = {message_id for message_id, _ in whole}
        split = [m for m in chunk if m not in released]
        if split:
            session.execute(
                update(MessagePart)
                .where(MessagePart.message_id.in_(split), MessagePart.state == "cancelled")
                .values(state="failed", status=lifecycle.REJECTD)
                .execution_options(synchronize_session=False)
            )
    if refund > 0:
        ledger.post(
            session,
            session.get_one(Account, campaign.account_id),
            refund,
            kind="release",
            reason=f"Campaign “{campaign.name}” cancelled: unsent messages",
            reference=f"campaign:{campaign.id}",
            actor=actor,
        )
    session.flush()
    return refund


def sweep_cancelled(session: Session) -> Decimal:
    """Cron: messages of cancelled campaigns that came back to the queue after the cancel (a
    sender whose route went down hands its unsent parts back) are released too."""
    found = session.scalars(
        select(Campaign).where(
            Campaign.status == rules.CANCELLED,
            Campaign.id.in_(
                select(Message.campaign_id).where(Message.status == lifecycle.QUEUED, Message.campaign_id.is_not(None))
            ),
        )
    ).all()
    return sum((_take_unsent(session, campaign, None) for campaign in found), Decimal("0"))


def finish_if_done(session: Session, campaign: Campaign) -> bool:
    """Completed once nothing of it waits to be sent."""
    if campaign.status != rules.SENDING:
        return False
    waiting = session.scalar(
        select(func.count(Message.id)).where(Message.campaign_id == campaign.id, Message.status == lifecycle.QUEUED)
    )
    if waiting:
        return False
    return move(session, campaign, {rules.SENDING}, status=rules.COMPLETED, finished_at=utcnow())


def delete_file(campaign: Campaign) -> None:
    """The uploaded file holds personal data: gone once the campaign is discarded, cancelled or
    completed (its messages keep what was sent). Call after the commit."""
    if campaign.stored_path and os.path.exists(campaign.stored_path):
        os.unlink(campaign.stored_path)
