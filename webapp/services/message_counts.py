"""Where counted message figures come from: the report tallies on PostgreSQL (messages already
counted per account, quarter hour, status, country, network, sender ID and campaign;
services/report_tallies.py), the messages themselves elsewhere. All reports, the dashboard and
the message search's totals (when no number is searched) read through ``counted``, so a month
of a million messages is a few thousand rows on PostgreSQL and the same figures on SQLite."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal
from sqlalchemy.orm import Session

from webapp.domain.message_cost import NEVER_SENT
from webapp.models import Message
from webapp.services import message_costs, report_tallies


@dataclass(frozen=True)
class Counted:
    """Columns of the relation counted: ``messages`` is how many messages a row stands for (a
    tally's count, 1 for a message); ``parts``, ``cost`` and ``refunded`` are its sums."""

    created: Any  # when (a message's creation time, a tally's quarter hour), UTC
    naive_bounds: bool  # the tallies' quarter is a plain (naive UTC) timestamp
    account_id: Any
    status: Any
    country: Any
    network: Any
    sender: Any
    campaign_id: Any
    messages: Any
    parts: Any
    cost: Any
    refunded: Any

    def between(self, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
        """Created in [start, end), aware instants (for the tallies: on quarter hours, as every
        local midnight is)."""
        if self.naive_bounds:
            start, end = (instant.astimezone(UTC).replace(tzinfo=None) for instant in (start, end))
        return [self.created >= start, self.created < end]

    @property
    def count(self) -> ColumnElement[Any]:
        return func.coalesce(func.sum(self.messages), 0)

    def count_of(self, statuses: Iterable[str]) -> ColumnElement[Any]:
        """How many messages are in one of ``statuses``."""
        return func.coalesce(func.sum(case((self.status.in_(sorted(statuses)), self.messages), else_=0)), 0)

    @property
    def billed_parts(self) -> ColumnElement[Any]:
        """Parts of the messages that went out or wait to (the never sent are not billed)."""
        return func.coalesce(func.sum(case((self.status.in_(sorted(NEVER_SENT)), literal(0)), else_=self.parts)), 0)

    @property
    def charged(self) -> ColumnElement[Decimal]:
        return message_costs.as_money_sum(message_costs.charged_units(self.status, self.cost, self.refunded))

    @property
    def reserved(self) -> ColumnElement[Decimal]:
        return message_costs.as_money_sum(message_costs.reserved_units(self.status, self.cost, self.refunded))

    def figures(self) -> tuple[ColumnElement[Any], ...]:
        """Messages, billed parts, charged, reserved."""
        return (self.count, self.billed_parts, self.charged, self.reserved)


def counted(session: Session) -> Counted:
    """The tallies where the database keeps them (PostgreSQL), else the messages."""
    if report_tallies.tallied(session):
        c = report_tallies.source().c
        return Counted(
            c.quarter, True, c.account_id, c.status, c.country, c.network, c.sender, c.campaign_id,
            c.messages, c.parts, c.cost, c.refunded,
        )  # fmt: skip
    return of_messages()


def of_messages() -> Counted:
    """The messages themselves, one row each."""
    return Counted(
        Message.created_at, False, Message.account_id, Message.status, Message.country,
        func.coalesce(Message.network, ""), Message.sender, Message.campaign_id,
        literal(1), Message.parts, Message.cost, Message.refunded,
    )  # fmt: skip
