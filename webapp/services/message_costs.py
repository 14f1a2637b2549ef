"""domain/message_cost.py as SQL, for totals over many messages: the same definition, computed by
the database (sums of these equal the sum of message_cost() over the rows, and the ledger's).

Money is stored as BIGINT ten-thousandths (models/types.py): the arithmetic runs on those units
and the result is read back as Money."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, case, func, literal, type_coerce

from webapp.domain.message_cost import NEVER_SENT, RESERVED, MessageCost, message_cost
from webapp.models import Message
from webapp.models.types import Money


def _net_units() -> ColumnElement[int]:
    return type_coerce(Message.cost, BigInteger) - type_coerce(Message.refunded, BigInteger)


def _charged_units() -> ColumnElement[int]:
    return case((Message.status.in_(sorted(NEVER_SENT | RESERVED)), literal(0)), else_=_net_units())


def _reserved_units() -> ColumnElement[int]:
    return case((Message.status.in_(sorted(RESERVED)), _net_units()), else_=literal(0))


def charged() -> ColumnElement[Decimal]:
    """Taken for good: the cost of messages that went upstream, less what was given back."""
    return type_coerce(_charged_units(), Money)


def reserved() -> ColumnElement[Decimal]:
    """Held while waiting to go (accepted, queued)."""
    return type_coerce(_reserved_units(), Money)


def total_charged() -> ColumnElement[Decimal]:
    return type_coerce(func.coalesce(func.sum(_charged_units()), literal(0)), Money)


def total_reserved() -> ColumnElement[Decimal]:
    return type_coerce(func.coalesce(func.sum(_reserved_units()), literal(0)), Money)


def of(message: Message) -> MessageCost:
    """One loaded message's cost (pages, the API)."""
    return message_cost(message.status, message.cost, message.refunded)
