"""What a campaign's pages show: live progress, and the report by status and by country.
Aggregate queries over the campaign's messages (an index on campaign and status), no loops
over rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.domain import campaigns as rules
from webapp.domain import lifecycle
from webapp.models import Campaign, Message
from webapp.models.types import utcnow
from webapp.services import message_costs

FAILED = tuple(sorted(lifecycle.NOT_DELIVERED))
SENT = (lifecycle.SUBMITTED, lifecycle.DELIVRD, *FAILED)


@dataclass
class Progress:
    total: int = 0  # recipients (monitoring copies not counted)
    by_status: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # reason → count
    monitoring_sent: int = 0
    monitoring_total: int = 0
    cost: Decimal = Decimal("0")  # charged so far (refunds deducted)
    time_left: timedelta | None = None

    @property
    def queued(self) -> int:
        return self.by_status[lifecycle.QUEUED]

    @property
    def sent(self) -> int:
        return sum(self.by_status[s] for s in SENT)

    @property
    def delivered(self) -> int:
        return self.by_status[lifecycle.DELIVRD]

    @property
    def failed(self) -> int:
        return sum(self.by_status[s] for s in FAILED)

    @property
    def pending(self) -> int:
        """Waiting to go out, or out and waiting for its delivery report."""
        return self.queued + self.by_status[lifecycle.SUBMITTED]

    @property
    def not_sent(self) -> int:
        return sum(self.refused.values())

    @property
    def success_rate(self) -> float | None:
        return lifecycle.delivery_rate(self.delivered, self.failed)

    @property
    def done_fraction(self) -> float:
        to_send = self.total - self.not_sent
        return 100.0 if to_send <= 0 else (to_send - self.queued) / to_send * 100


def progress(session: Session, campaign: Campaign) -> Progress:
    return summaries(session, [campaign], all_states=True)[campaign.id]


def summaries(session: Session, campaigns: list[Campaign], all_states: bool = False) -> dict[int, Progress]:
    """Progress of several campaigns of one account with one grouped query."""
    shown = [c for c in campaigns if all_states or c.status not in (rules.DRAFT, rules.PREPARING, rules.READY)]
    if not shown:
        return {}
    results = {c.id: Progress() for c in shown}
    rows = session.execute(
        select(
            Message.campaign_id,
            Message.monitor,
            Message.status,
            Message.reason_code,
            func.count(Message.id),
            message_costs.total_charged(),
        )
        .where(Message.campaign_id.in_(list(results)))
        .group_by(Message.campaign_id, Message.monitor, Message.status, Message.reason_code)
    ).all()
    for campaign_id, monitor, status, reason, count, cost in rows:
        result = results[campaign_id]
        result.cost += cost
        if monitor:
            result.monitoring_total += count
            result.monitoring_sent += count if status in SENT else 0
            continue
        result.total += count
        if status in (lifecycle.REFUSED, lifecycle.DRAFT) and reason:
            result.refused[reason] += count
        else:
            result.by_status[status] += count
    for campaign in shown:
        results[campaign.id].time_left = _time_left(campaign, results[campaign.id])
    return results


def _time_left(campaign: Campaign, found: Progress) -> timedelta | None:
    left = found.queued
    if campaign.status not in (rules.SENDING, rules.SCHEDULED, rules.PAUSED) or not left:
        return timedelta(0) if campaign.status == rules.COMPLETED else None
    if campaign.speed > 0:
        return rules.expected_duration(left, campaign.speed)
    if campaign.started_at is not None and found.sent:
        elapsed = (utcnow() - campaign.started_at).total_seconds()
        rate = found.sent / max(elapsed, 1)
        return timedelta(seconds=int(left / rate)) if rate > 0 else None
    return None


@dataclass(frozen=True)
class CountryLine:
    country: str
    messages: int
    delivered: int
    failed: int
    pending: int
    cost: Decimal


def by_country(session: Session, campaign: Campaign) -> list[CountryLine]:
    lines: dict[str, dict[str, Any]] = {}  # country → CountryLine's counts and cost
    for country, status, count, cost in session.execute(
        select(Message.country, Message.status, func.count(Message.id), message_costs.total_charged())
        .where(Message.campaign_id == campaign.id, Message.monitor.is_(False), Message.status != lifecycle.REFUSED)
        .group_by(Message.country, Message.status)
    ):
        line = lines.setdefault(
            country or "", {"messages": 0, "delivered": 0, "failed": 0, "pending": 0, "cost": Decimal("0")}
        )
        line["messages"] += count
        line["delivered"] += count if status == lifecycle.DELIVRD else 0
        line["failed"] += count if status in FAILED else 0
        line["pending"] += count if status in (lifecycle.QUEUED, lifecycle.SUBMITTED) else 0
        line["cost"] += cost
    return sorted((CountryLine(c, **v) for c, v in lines.items()), key=lambda l: -l.messages)


def failures(session: Session, campaign: Campaign, limit: int = 25) -> tuple[list[Message], int]:
    """Messages that were not delivered (refused, or failed upstream) with their reasons; those
    the customer cancelled are counted in the chart, not listed."""
    condition = (
        (Message.campaign_id == campaign.id)
        & Message.status.in_([lifecycle.REFUSED, *FAILED])
        & ((Message.reason_code.is_(None)) | (Message.reason_code != "cancelled"))
    )
    total = session.execute(select(func.count(Message.id)).where(condition)).scalar_one()
    rows = session.scalars(select(Message).where(condition).order_by(Message.id).limit(limit)).all()
    return list(rows), total
