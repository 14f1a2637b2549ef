"""What a message's parts make of it once they have outcomes: charged when they went upstream,
released when every one was refused at submission, then settled to a final state (and
refunded per the account's policy) when every part has its receipt. Pure Python: the
service (services/settlement.py) reads the rows under the message's lock and writes back
what this decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from webapp.domain import lifecycle

IN_FLIGHT = ("pending", "claimed")
# The message columns a conclusion may set; the service writes them all back.
COLUMNS = ("status", "reason_code", "error_code", "submitted_at", "final_at", "refunded")


@dataclass(frozen=True)
class MessageRow:
    id: int
    status: str
    cost: Decimal
    to: str
    parts: int
    reason_code: str | None = None
    error_code: str | None = None
    submitted_at: datetime | None = None
    final_at: datetime | None = None
    refunded: Decimal = Decimal("0")  # given back so far (see domain/message_cost.py)


@dataclass(frozen=True)
class PartRow:
    seq: int
    state: str  # pending | claimed | submitted | failed | unknown | expired
    status: str | None = None  # the part's final receipt state
    upstream_id: str | None = None
    error_code: str | None = None


@dataclass
class Conclusion:
    changes: dict[str, object] = field(default_factory=dict)  # message columns that change
    entries: list[tuple[Decimal, str, str, str]] = field(default_factory=list)  # ledger rows
    events: list[tuple[str, dict[str, object]]] = field(default_factory=list)  # timeline

    def __bool__(self) -> bool:
        return bool(self.changes or self.entries or self.events)


def conclude(message: MessageRow, parts: list[PartRow], charge_failed_deliveries: bool, now: datetime) -> Conclusion:
    """A queued message whose parts all have an outcome is charged (its reservation released and
    the cost charged, in that order) or, when every part was refused, released and REJECTD. A
    submitted message (or one given up as NOREPORT) whose parts all have a final state takes
    the message's final state; a failure the account does not pay for is refunded."""
    out = Conclusion()
    status, reference = message.status, f"msg:{message.id}"
    if status == lifecycle.QUEUED:
        states = [p.state for p in parts]
        if not parts or any(s in IN_FLIGHT for s in states):
            return out  # other parts are still on their way
        if all(s == "failed" for s in states):
            if message.cost and message.cost > 0:
                out.entries.append((message.cost, "release", "rejected_at_submission", reference))
            out.changes = {
                "status": lifecycle.REJECTD,
                "reason_code": "rejected_at_submission",
                "final_at": now,
                "refunded": message.cost or Decimal("0"),
            }
            return out
        plural = "s" if message.parts != 1 else ""
        out.entries += [
            (message.cost, "release", "Reservation turned into charge", reference),
            (-message.cost, "charge", f"SMS to {message.to}, {message.parts} part{plural}", reference),
        ]
        status = lifecycle.SUBMITTED
        out.changes = {"status": status, "submitted_at": now}
        out.events.append(
            ("submitted", {"parts": [{"seq": p.seq, "upstream_id": p.upstream_id, "state": p.state} for p in parts]})
        )
    if status not in (lifecycle.SUBMITTED, lifecycle.NOREPORT):
        return out
    final = lifecycle.message_status([p.status for p in parts])
    if final is None or final == status:
        return out
    out.changes.update(
        status=final, final_at=now, error_code=next((p.error_code for p in parts if p.status == final), None)
    )
    refundable = final in (lifecycle.REJECTD, lifecycle.FAILED) or (
        final in lifecycle.BILLED_FAILURES and not charge_failed_deliveries
    )
    if refundable and message.cost:
        out.entries.append((message.cost, "refund", f"Not delivered ({final})", reference))
        out.changes["refunded"] = message.cost
        out.events.append(("refund", {"amount": str(message.cost), "status": final}))
    return out
