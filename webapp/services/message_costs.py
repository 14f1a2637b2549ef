"""domain/message_cost.py as SQL, for totals over many messages: the same definition, computed by
the database (sums of these equal the sum of message_cost() over the rows, and the ledger's).

Money is stored as BIGINT ten-thousandths (models/types.py): the arithmetic runs on those units
and the result is read back as Money."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, case, func, literal, type_coerce
from sqlalchemy.orm import QueryableAttribute

from webapp.domain.message_cost import NEVER_SENT, RESERVED, MessageCost, message_cost
from webapp.models import Message
from webapp.models.types import Money

Column = ColumnElement[Any] | QueryableAttribute[Any]  # a message's column, or a tally's


def _net_units(cost: Column, refunded: Column) -> ColumnElement[int]:
    return type_coerce(cost, BigInteger) - type_coerce(refunded, BigInteger)


def charged_units(status: Column, cost: Column, refunded: Column) -> ColumnElement[int]:
    """Units taken for good, over any (status, cost, refunded) columns: a message's, or a report
    tally's sums (services/report_tallies.py)."""
    return case((status.in_(sorted(NEVER_SENT | RESERVED)), literal(0)), else_=_net_units(cost, refunded))


def reserved_units(status: Column, cost: Column, refunded: Column) -> ColumnElement[int]:
    return case((status.in_(sorted(RESERVED)), _net_units(cost, refunded)), else_=literal(0))


def charged() -> ColumnElement[Decimal]:
    """Taken for good: the cost of messages that went upstream, less what was given back."""
    return type_coerce(charged_units(Message.status, Message.cost, Message.refunded), Money)


def reserved() -> ColumnElement[Decimal]:
    """Held while waiting to go (accepted, queued)."""
    return type_coerce(reserved_units(Message.status, Message.cost, Message.refunded), Money)


def as_money_sum(units: ColumnElement[int]) -> ColumnElement[Decimal]:
    return type_coerce(func.coalesce(func.sum(units), literal(0)), Money)


def total_charged() -> ColumnElement[Decimal]:
    return as_money_sum(charged_units(Message.status, Message.cost, Message.refunded))


def total_reserved() -> ColumnElement[Decimal]:
    return as_money_sum(reserved_units(Message.status, Message.cost, Message.refunded))


def of(message: Message) -> MessageCost:
    """One loaded message's cost (pages, the API)."""
    return message_cost(message.status, message.cost, message.refunded)
