"""Delivery windows applied to messages (issue 22; the rules: webapp/domain/delivery_windows.py).

A message outside its window when it would go gets ``not_before`` (UTC): the instant it is
inside the window in every zone its number may be in. It is also when it is due (``queued_at``,
so the sweeper never takes it for stranded before then) and its validity counts from then
(``validity_until = not_before + validity``): a message waiting for the morning does not expire
in the night. The sending job skips a message whose ``not_before`` is still ahead (a campaign's
pacer hands it out at its time; a single message is queued again for that time).

Flushes, never commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.domain import delivery_windows as windows
from webapp.models import Account, Campaign, Message

_CHUNK = 1000


def quiet_hours(account: Account) -> str:
    """The account's default delivery window ("09:00-20:00", "" none): its own, or a subuser's
    account has its parent's while it set none."""
    if account.quiet_hours is not None:
        return account.quiet_hours
    if account.parent is not None and account.parent.quiet_hours:
        return account.parent.quiet_hours
    return ""


def set_quiet_hours(session: Session, account: Account, text: str) -> None:
    """Raises domain InvalidWindow for what is no window; empty clears it (a subuser's account
    then has its parent's again)."""
    window = windows.parse(text)
    account.quiet_hours = str(window) if window is not None else None
    session.flush()


class Planner:
    """``not_before`` for many numbers: numbers of the same zones wait for the same instant."""

    def __init__(self, window: windows.Window, starts: datetime, fallback_zone: str):
        self.window, self.starts, self.fallback_zone = window, starts, fallback_zone
        self._by_zones: dict[tuple[str, ...], datetime | None] = {}

    def not_before(self, e164: str) -> datetime | None:
        zones = tuple(windows.zones_for_number(e164, self.fallback_zone))
        if zones not in self._by_zones:
            at = windows.next_allowed(self.starts, list(zones), self.window)
            self._by_zones[zones] = at if at > self.starts else None
        return self._by_zones[zones]


@dataclass(frozen=True)
class Waiting:
    """How many messages wait for their window, and until when the last of them waits."""

    count: int = 0
    until: datetime | None = None


def stamp_campaign(
    session: Session, campaign: Campaign, status: str, starts: datetime, validity: timedelta | None = None
) -> Waiting:
    """Set ``not_before`` on the campaign's messages in ``status`` (with no reason to refuse
    them) from its window, as they would go at ``starts``. With ``validity`` (at confirmation)
    the waiting ones are also due then and valid from then. No window: nothing waits."""
    window = windows.parse(campaign.delivery_window)
    if window is None:
        return Waiting()
    account = session.get_one(Account, campaign.account_id)
    planner = Planner(window, starts, account.timezone)
    rows = session.execute(
        select(Message.id, Message.to).where(
            Message.campaign_id == campaign.id, Message.status == status, Message.reason_code.is_(None)
        )
    ).all()
    groups: dict[datetime | None, list[int]] = defaultdict(list)
    for message_id, number in rows:
        groups[planner.not_before(number)].append(message_id)
    for at, ids in groups.items():
        values: dict[str, object] = {"not_before": at}
        if at is not None and validity is not None:
            values.update(queued_at=at, validity_until=at + validity)
        for start in range(0, len(ids), _CHUNK):
            session.execute(
                update(Message)
                .where(Message.id.in_(ids[start : start + _CHUNK]))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    waiting = {at: len(ids) for at, ids in groups.items() if at is not None}
    return Waiting(sum(waiting.values()), max(waiting) if waiting else None)


def summary_values(waiting: Waiting) -> dict[str, object]:
    """What the campaign summary keeps of it (JSON)."""
    return {"waiting": waiting.count, "waiting_until": waiting.until.isoformat() if waiting.until else None}
