"""The message lifecycle and the reasons a message is refused, as customers read them.

accepted → queued → submitted (ENROUTE) → DELIVRD | UNDELIV | EXPIRED | REJECTD | FAILED;
NOREPORT when no receipt arrives within the validity period; REFUSED before sending,
with a reason code.
"""

from __future__ import annotations

from webapp.domain import N_

DRAFT = "draft"  # a campaign's recipient before the campaign is confirmed: not charged, not sent
ACCEPTED = "accepted"
QUEUED = "queued"
SUBMITTED = "submitted"
DELIVRD = "DELIVRD"
UNDELIV = "UNDELIV"
EXPIRED = "EXPIRED"
REJECTD = "REJECTD"
FAILED = "FAILED"
NOREPORT = "NOREPORT"
REFUSED = "refused"

FINAL = frozenset({DELIVRD, UNDELIV, EXPIRED, REJECTD, FAILED, NOREPORT, REFUSED})
PENDING = frozenset({ACCEPTED, QUEUED, SUBMITTED})
# The final states that are not a delivery: what reports count as failed.
NOT_DELIVERED = frozenset({UNDELIV, EXPIRED, REJECTD, FAILED, NOREPORT})


def delivery_rate(delivered: int, failed: int) -> float | None:
    """Delivered out of the messages with a final outcome, in percent (None before any)."""
    finished = delivered + failed
    return delivered / finished * 100 if finished else None


# Receipt states operators bill (the per-account policy may waive UNDELIV/EXPIRED).
BILLED_FAILURES = frozenset({UNDELIV, EXPIRED})

# Receipt `stat:` values as SMSCs write them, to our final states.
RECEIPT_STATES = {
    "DELIVRD": DELIVRD,
    "DELIVERED": DELIVRD,
    "UNDELIV": UNDELIV,
    "UNDELIVERABLE": UNDELIV,
    "EXPIRED": EXPIRED,
    "REJECTD": REJECTD,
    "REJECTED": REJECTD,
    "DELETED": FAILED,
    "UNKNOWN": FAILED,
    "FAILED": FAILED,
    "ACCEPTD": None,
    "ENROUTE": None,  # not final: keep waiting
}

# Why a message was refused before sending (code → sentence for the customer).
REFUSAL_REASONS = {
    "invalid_number": N_("invalid number"),
    "duplicate": N_("duplicate"),
    "blocklisted": N_("blocklisted"),
    "opted_out": N_("opted out"),
    "insufficient_credit": N_("insufficient credit"),
    "unroutable": N_("unroutable"),
    "expired": N_("expired before it could be sent"),
    "empty_text": N_("empty text"),
    "too_long": N_("text longer than the maximum number of parts"),
    "cancelled": N_("campaign cancelled before it was sent"),
}


def final_status_of(stat: str) -> str | None:
    """Our final state for a receipt's `stat:` (None: not final yet). Unknown words count as FAILED."""
    return RECEIPT_STATES.get(stat.strip().upper(), FAILED)


def message_status(part_states: list[str | None]) -> str | None:
    """A message's final state from its parts' final states (None while any part is still pending).

    Delivered only when every part is; otherwise the first failure in order of gravity.
    """
    if not part_states or any(s is None for s in part_states):
        return None
    if all(s == DELIVRD for s in part_states):
        return DELIVRD
    for state in (REJECTD, UNDELIV, EXPIRED, FAILED, NOREPORT):
        if state in part_states:
            return state
    return FAILED


# Timeline entries as the customer reads them.
EVENT_LABELS = {
    "accepted": N_("accepted"),
    "queued": N_("queued"),
    "submitted": N_("submitted"),
    "receipt": N_("delivery report"),
    "refused": N_("refused"),
    "released": N_("credit released"),
    "refund": N_("refunded"),
    "noreport": N_("no report within the validity period"),
    "unknown": N_("submission interrupted: outcome unknown, never sent again"),
}
