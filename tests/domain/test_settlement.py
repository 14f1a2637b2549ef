"""What a message's parts make of it (webapp/domain/settlement.py): table-driven."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from webapp.domain import lifecycle
from webapp.domain.message_cost import message_cost
from webapp.domain.settlement import MessageRow, PartRow, conclude

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
COST = Decimal("0.0700")


def msg(status, cost=COST, parts=2):
    return MessageRow(id=7, status=status, cost=cost, to="+40722000001", parts=parts)


def part(seq, state, status=None, error=None):
    return PartRow(seq, state, status, f"up{seq}" if state == "submitted" else None, error)


CASES = [
    # (name, message, parts, charge failed deliveries, status after, ledger kinds, events)
    ("a part still pending", msg("queued"), [part(1, "submitted"), part(2, "pending")], True, None, [], []),
    ("a part still claimed", msg("queued"), [part(1, "claimed"), part(2, "submitted")], True, None, [], []),
    ("no parts at all", msg("queued"), [], True, None, [], []),
    (
        "all parts went up",
        msg("queued"),
        [part(1, "submitted"), part(2, "submitted")],
        True,
        "submitted",
        ["release", "charge"],
        ["submitted"],
    ),
    (
        "one went up, one refused",
        msg("queued"),
        [part(1, "submitted"), part(2, "failed", "REJECTD", "0x0B")],
        True,
        "submitted",
        ["release", "charge"],
        ["submitted"],
    ),
    (
        "every part refused",
        msg("queued"),
        [part(1, "failed", "REJECTD"), part(2, "failed", "REJECTD")],
        True,
        "REJECTD",
        ["release"],
        [],
    ),
    (
        "every part refused, free message",
        msg("queued", cost=Decimal("0")),
        [part(1, "failed", "REJECTD")],
        True,
        "REJECTD",
        [],
        [],
    ),
    (
        "unknown outcome is charged",
        msg("queued"),
        [part(1, "unknown"), part(2, "submitted")],
        True,
        "submitted",
        ["release", "charge"],
        ["submitted"],
    ),
    (
        "went up with both receipts",
        msg("queued"),
        [part(1, "submitted", "DELIVRD"), part(2, "submitted", "DELIVRD")],
        True,
        "DELIVRD",
        ["release", "charge"],
        ["submitted"],
    ),
    (
        "went up, one refused, one delivered",
        msg("queued"),
        [part(1, "failed", "REJECTD", "0x0B"), part(2, "submitted", "DELIVRD")],
        True,
        "REJECTD",
        ["release", "charge", "refund"],
        ["submitted", "refund"],
    ),
    (
        "submitted, receipts missing",
        msg("submitted"),
        [part(1, "submitted", "DELIVRD"), part(2, "submitted")],
        True,
        None,
        [],
        [],
    ),
    (
        "submitted, delivered",
        msg("submitted"),
        [part(1, "submitted", "DELIVRD"), part(2, "submitted", "DELIVRD")],
        True,
        "DELIVRD",
        [],
        [],
    ),
    (
        "submitted, undelivered, billed",
        msg("submitted"),
        [part(1, "submitted", "UNDELIV", "001")],
        True,
        "UNDELIV",
        [],
        [],
    ),
    (
        "submitted, undelivered, policy waives",
        msg("submitted"),
        [part(1, "submitted", "UNDELIV", "001")],
        False,
        "UNDELIV",
        ["refund"],
        ["refund"],
    ),
    (
        "submitted, expired, policy waives",
        msg("submitted"),
        [part(1, "submitted", "EXPIRED")],
        False,
        "EXPIRED",
        ["refund"],
        ["refund"],
    ),
    (
        "submitted, failed: always refunded",
        msg("submitted"),
        [part(1, "submitted", "FAILED")],
        True,
        "FAILED",
        ["refund"],
        ["refund"],
    ),
    ("NOREPORT then a late DELIVRD", msg("NOREPORT"), [part(1, "submitted", "DELIVRD")], True, "DELIVRD", [], []),
    ("NOREPORT stays NOREPORT", msg("NOREPORT"), [part(1, "submitted", "NOREPORT")], True, None, [], []),
    ("already final: nothing", msg("DELIVRD"), [part(1, "submitted", "UNDELIV")], False, None, [], []),
    ("refused: nothing", msg("refused"), [part(1, "expired", "EXPIRED")], False, None, [], []),
]


@pytest.mark.parametrize("name,message,parts,charge_failed,after,kinds,events", CASES, ids=[c[0] for c in CASES])
def test_conclusion(name, message, parts, charge_failed, after, kinds, events):
    out = conclude(message, parts, charge_failed, NOW)
    assert out.changes.get("status") == after
    assert [kind for _, kind, _, _ in out.entries] == kinds
    assert [kind for kind, _ in out.events] == events
    assert all(reference == "msg:7" for *_, reference in out.entries)
    # Money: a charge takes exactly the reservation it releases; a refund gives back the cost.
    assert sum(amount for amount, *_ in out.entries) == (
        message.cost if kinds and kinds[-1] in ("refund",) or kinds == ["release"] else 0
    )
    # What the message costs the customer moves exactly as the ledger does (domain/message_cost.py).
    refunded = out.changes.get("refunded", message.refunded)
    before = message_cost(message.status, message.cost, message.refunded).total
    after = message_cost(out.changes.get("status", message.status), message.cost, refunded).total
    assert before - after == sum(amount for amount, *_ in out.entries)


def test_final_state_carries_the_failing_parts_error_code():
    out = conclude(
        msg("submitted"), [part(1, "submitted", "DELIVRD"), part(2, "submitted", "UNDELIV", "0x0000000B")], True, NOW
    )
    assert out.changes == {"status": "UNDELIV", "final_at": NOW, "error_code": "0x0000000B"}


def test_rejected_at_submission_says_why():
    out = conclude(msg("queued"), [part(1, "failed", "REJECTD", "0x0B")], True, NOW)
    assert out.changes == {
        "status": lifecycle.REJECTD,
        "reason_code": "rejected_at_submission",
        "final_at": NOW,
        "refunded": COST,
    }
    assert out.entries == [(COST, "release", "rejected_at_submission", "msg:7")]


def test_charge_names_the_number_and_the_parts():
    out = conclude(msg("queued", parts=1), [part(1, "submitted")], True, NOW)
    assert out.entries[1] == (-COST, "charge", "SMS to +40722000001, 1 part", "msg:7")
    assert out.changes == {"status": "submitted", "submitted_at": NOW}
    assert out.events == [("submitted", {"parts": [{"seq": 1, "upstream_id": "up1", "state": "submitted"}]})]
