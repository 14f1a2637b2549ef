"""The GSM-7 replacement over many messages: a campaign's texts rendered per recipient (the
placeholders filled with the file's or the contacts' data), where a ș or ă in a name or a title
makes one message UCS-2 and leaves the next one GSM-7.

A campaign with "replace non-GSM characters" (campaigns.gsm_safe) sends each rendered message as
:func:`gsm_replaced` gives it; :class:`Savings` counts, over the messages the composer renders,
how many are UCS-2 as written, how many the replacement makes GSM-7, and the parts and money
that saves. Pure Python, no I/O; the rewrite itself is gsm_suggestions.gsm_safe.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from webapp.domain.gsm_suggestions import gsm_safe
from webapp.domain.money import quantize
from webapp.domain.sms_text import NON_GSM, Analysis, analyze

ZERO = Decimal("0.0000")


LINK_MARK = "\ue000"  # domain/short_links.MARK


def gsm_replaced(text: str) -> str:
    """The text a campaign that replaces non-GSM characters sends: ``gsm_safe(text)`` when that
    is all GSM-7, else ``text`` as written (a message that stays UCS-2 anyway, as one with a
    Cyrillic name, keeps its ă and ș: replacing them would save nothing)."""
    safe = gsm_safe(text)
    # a short link's mark (domain/short_links.py) becomes a plain web address: not a non-GSM character
    return safe if NON_GSM.search(safe.replace(LINK_MARK, "")) is None else text


def compare(text: str, analysis: Analysis | None = None) -> tuple[str, Analysis]:
    """:func:`gsm_replaced` of ``text`` and its analysis (``analysis``, that of ``text``, is
    reused when nothing is replaced)."""
    replaced = gsm_replaced(text)
    if replaced == text:
        return text, analysis if analysis is not None else analyze(text)
    return replaced, analyze(replaced)


@dataclass
class Savings:
    """Messages as written against the same messages with the replacement applied."""

    messages: int = 0
    ucs2: int = 0  # UCS-2 as written
    fixed: int = 0  # of those, GSM-7 once replaced
    parts: int = 0  # as written
    parts_replaced: int = 0
    priced: int = 0  # messages with a price (a number that cannot be read, or no route: none)
    cost: Decimal = ZERO  # of the priced messages, as written
    cost_replaced: Decimal = ZERO
    characters: Counter[str] = field(default_factory=Counter)  # non-GSM character → UCS-2 messages with it

    def add(self, before: Analysis, after: Analysis, price_per_part: Decimal | None = None) -> None:
        """One message: its analysis as written and once replaced, and its price per part."""
        self.messages += 1
        self.parts += before.parts
        self.parts_replaced += after.parts
        if before.encoding == "UCS-2":
            self.ucs2 += 1
            self.characters.update(before.non_gsm)
            if after.encoding == "GSM-7":
                self.fixed += 1
        if price_per_part is not None:
            self.priced += 1
            self.cost += quantize(price_per_part * before.parts)
            self.cost_replaced += quantize(price_per_part * after.parts)

    @property
    def parts_saved(self) -> int:
        return self.parts - self.parts_replaced

    @property
    def cost_saved(self) -> Decimal:
        return self.cost - self.cost_replaced

    @property
    def worth_offering(self) -> bool:
        """Some message goes from UCS-2 to GSM-7 (fewer parts, or 160 characters a part instead of 70)."""
        return self.fixed > 0

    def commonest(self, limit: int = 8) -> list[str]:
        """The non-GSM characters found in the most UCS-2 messages, most frequent first."""
        return [c for c, _ in sorted(self.characters.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
