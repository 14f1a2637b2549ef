"""What a message costs the customer: one definition for every page, export, API answer and
report total, equal to what the ledger holds for it.

A message's ``cost`` is its price when it was accepted (parts × price per part); ``refunded`` is
what was given back after its reservation was taken (released when every part was refused at
submission, refunded when it failed and the account does not pay for such failures).

- never sent (a draft of an unconfirmed campaign, refused: invalid, blocklisted, no credit,
  cancelled, expired before sending): 0, with the reason beside it;
- waiting to go (accepted, queued): 0 charged, its cost *reserved*;
- gone upstream (submitted, then its final state): charged ``cost - refunded`` (the charge is
  taken at submission; a failure the account does not pay for is refunded later).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from webapp.domain import lifecycle

ZERO = Decimal("0")
NEVER_SENT = frozenset({lifecycle.DRAFT, lifecycle.REFUSED})
RESERVED = frozenset({lifecycle.ACCEPTED, lifecycle.QUEUED})  # held, not taken yet


@dataclass(frozen=True)
class MessageCost:
    charged: Decimal  # taken by the ledger, for good
    reserved: Decimal  # held while the message is on its way

    @property
    def total(self) -> Decimal:
        """What the ledger holds for the message now (taken + held)."""
        return self.charged + self.reserved


def message_cost(status: str, cost: Decimal | None, refunded: Decimal | None) -> MessageCost:
    cost, refunded = cost or ZERO, refunded or ZERO
    if status in NEVER_SENT:
        return MessageCost(ZERO, ZERO)
    if status in RESERVED:
        return MessageCost(ZERO, cost - refunded)
    return MessageCost(cost - refunded, ZERO)
