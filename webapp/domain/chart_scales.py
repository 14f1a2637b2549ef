"""The pure rules behind the report charts (webapp/domain/charts.py draws them): the y axis's round
ticks, short tick numbers, which day labels fit, the top N and "Other", and text made safe for
SVG. Table-tested in tests/domain/test_charts.py."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

Number = int | Decimal

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def escape(text: object) -> str:
    """Text for an SVG element or attribute: XML-escaped, and without the characters XML 1.0
    cannot hold at all (control characters, lone surrogates), which no escaping would save."""
    return html.escape(_NOT_XML.sub("", str(text)), quote=True)


def nice_ticks(largest: int) -> tuple[int, ...]:
    """The y axis for counts up to ``largest``: 0 to the smallest round top (5, 10, 20, 50, 100,
    200, 500, 1000 ...) that holds it, in 4 or 5 equal whole steps."""
    if largest < 0:
        raise ValueError("a count is never negative")
    power = 1
    while True:
        for mantissa, steps in ((1, 5), (2, 4), (5, 5)):
            top = mantissa * power
            if top >= 5 and top >= largest:
                return tuple(top * i // steps for i in range(steps + 1))
        power *= 10


def compact_number(value: int) -> str:
    """An axis tick, short: 950, 1k, 1.5k, 20k, 1M, 2.5M."""
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            text = f"{value / size:.1f}".removesuffix(".0")
            return text + suffix
    return str(value)


LABEL_STEPS = (1, 2, 3, 5, 7, 10, 15)


def day_label_step(slot: float, label_width: float, gap: float = 6) -> int:
    """How many days apart the day labels go: the smallest of :data:`LABEL_STEPS` that leaves
    ``gap`` between labels ``label_width`` wide on days ``slot`` apart; 31 (the 1st of each
    month only) when none does."""
    if slot <= 0:
        raise ValueError("the slot width must be positive")
    return next((step for step in LABEL_STEPS if step * slot >= label_width + gap), 31)


def labelled_days(days: Sequence[date], slot: float, label_width: float, gap: float = 6) -> list[int]:
    """Which of ``days`` get a label (their indexes): the first day shown and each month's 1st,
    1+step, 1+2·step ... (so a quarter reads 1, 8, 15, 22, 29, 1 ...).  A label that would come
    closer than ``label_width + gap`` to the one before is dropped, unless it is a month's 1st:
    then the one before gives way."""
    step = day_label_step(slot, label_width, gap)
    room = label_width + gap
    kept: list[int] = []
    for i, day in enumerate(days):
        if i and (day.day - 1) % step:
            continue
        if kept and (i - kept[-1]) * slot < room:
            if day.day != 1:
                continue
            kept.pop()
        kept.append(i)
    return kept


def top_with_other(items: Iterable[tuple[str, Number]], top: int, other: str = "Other") -> list[tuple[str, Number]]:
    """The ``top`` largest (label, value) pairs, largest first (ties by label), and one
    ``(other, sum of the rest)``; a single leftover is shown as itself, not as "Other".
    Zero values are left out (nothing to draw); a negative value is a caller's bug."""
    if top < 1:
        raise ValueError("top must be at least 1")
    rows = []
    for label, value in items:
        if value < 0:
            raise ValueError(f"negative value for {label!r}")
        if value:
            rows.append((label, value))
    rows.sort(key=lambda row: (-row[1], row[0]))
    if len(rows) <= top + 1:
        return rows
    rest = rows[top:]
    total: Number = sum((value for _, value in rest), start=Decimal(0) if isinstance(rest[0][1], Decimal) else 0)
    return [*rows[:top], (other, total)]
