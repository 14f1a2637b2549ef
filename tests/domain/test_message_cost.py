"""What a message costs the customer (webapp/domain/message_cost.py): table-driven."""

from decimal import Decimal

import pytest

from webapp.domain import lifecycle
from webapp.domain.message_cost import message_cost

C, R = Decimal("0.0700"), Decimal("0.0700")
Z = Decimal("0")

CASES = [
    # (name, status, cost, refunded, charged, reserved)
    ("a draft of an unconfirmed campaign", lifecycle.DRAFT, C, Z, Z, Z),
    ("refused before sending (its quote is kept)", lifecycle.REFUSED, C, Z, Z, Z),
    ("refused, nothing quoted", lifecycle.REFUSED, Z, Z, Z, Z),
    ("accepted: reserved", lifecycle.ACCEPTED, C, Z, Z, C),
    ("queued: reserved", lifecycle.QUEUED, C, Z, Z, C),
    ("submitted: charged when it went upstream", lifecycle.SUBMITTED, C, Z, C, Z),
    ("delivered: charged", lifecycle.DELIVRD, C, Z, C, Z),
    ("undelivered, the account pays for it", lifecycle.UNDELIV, C, Z, C, Z),
    ("undelivered, refunded by the account's policy", lifecycle.UNDELIV, C, R, Z, Z),
    ("expired, refunded", lifecycle.EXPIRED, C, R, Z, Z),
    ("rejected by the operator: refunded", lifecycle.REJECTD, C, R, Z, Z),
    ("rejected at submission: released", lifecycle.REJECTD, C, R, Z, Z),
    ("no report: charged", lifecycle.NOREPORT, C, Z, C, Z),
    ("a free message", lifecycle.DELIVRD, Z, Z, Z, Z),
    ("no cost written yet", lifecycle.DELIVRD, None, None, Z, Z),
]


@pytest.mark.parametrize("name,status,cost,refunded,charged,reserved", CASES, ids=[c[0] for c in CASES])
def test_message_cost(name, status, cost, refunded, charged, reserved):
    got = message_cost(status, cost, refunded)
    assert (got.charged, got.reserved) == (charged, reserved)
    assert got.total == charged + reserved
