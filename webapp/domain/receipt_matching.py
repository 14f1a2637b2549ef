"""Which part a delivery receipt belongs to. SMSCs reuse their ids (after a restart they count
from 1 again), so an id alone names several parts of a route over time: a receipt is matched
only to a part of its route submitted within the matching window, whose number agrees with the
receipt's source address; of those, the newest part still without a final status. When every
part with the id has another number, the receipt is kept unmatched for support, never put on
the wrong message. Pure Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

NO_PART_YET = "no_part_yet"  # no part of the route has this id (yet: it may come before its id)
NUMBER_MISMATCH = "number_mismatch"  # parts have this id, none for this number
UNREADABLE = "unreadable"  # no id or no state could be read
REASONS = (NUMBER_MISMATCH, NO_PART_YET, UNREADABLE)


def _digits(number: str | None) -> str | None:
    """The digits of a phone number (+, 00, spaces and dashes tolerated); None when it is not
    one (empty, or an alphanumeric address)."""
    text = re.sub(r"[\s\-().]", "", number or "")
    if text.startswith("+"):
        text = text[1:]
    if not text.isdigit():
        return None
    return text[2:] if text.startswith("00") else text


def same_number(address: str | None, to: str | None) -> bool | None:
    """Whether a receipt's source address names the recipient ``to`` (E.164): the same digits,
    in international form (+40…, 0040…, 40…) or national form (07…, 7…). None when the
    address is no number (empty, alphanumeric): nothing to check."""
    a, b = _digits(address), _digits(to)
    if a is None:
        return None
    if b is None:
        return False
    if a == b:
        return True
    # National forms drop the country code and write a trunk 0: compare the significant
    # digits from the right, at least 6 of them.
    short, long = sorted((a.lstrip("0"), b.lstrip("0")), key=len)
    return len(short) >= 6 and long.endswith(short)


@dataclass(frozen=True)
class Candidate:
    part_id: int
    to: str  # the part's message's recipient
    final: bool  # the part has a final status already
    submitted_at: datetime | None
    spelling: int = 0  # 0: the id as the receipt writes it; more: case, hex ↔ decimal


@dataclass(frozen=True)
class Choice:
    part_id: int | None  # the part the receipt settles, or None: kept unmatched
    reason: str | None = None  # why it is kept (REASONS)
    near_part_id: int | None = None  # the part it would have gone to, but for its number


def choose(candidates: list[Candidate], source_addr: str | None) -> Choice:
    """The part a receipt goes to among the route's parts with its id (within the window):
    the number must agree (when the receipt gives one); the newest part without a final status
    first, then the newest; an exact spelling of the id breaks ties."""
    if not candidates:
        return Choice(None, NO_PART_YET)

    def preference(c: Candidate) -> tuple[bool, float, int, int]:
        return (c.final, -(c.submitted_at.timestamp() if c.submitted_at else 0.0), c.spelling, -c.part_id)

    agreeing = [c for c in candidates if same_number(source_addr, c.to) is not False]
    if not agreeing:
        return Choice(None, NUMBER_MISMATCH, min(candidates, key=preference).part_id)
    return Choice(min(agreeing, key=preference).part_id)
