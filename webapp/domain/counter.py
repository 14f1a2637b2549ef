"""What the live counter under the text box tells: units left, and which characters forced UCS-2."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.domain.gsm_suggestions import gsm_safe
from webapp.domain.sms_text import Analysis, analyze


def units_left(analysis: Analysis) -> int:
    """Units still free in the last part before another part is needed."""
    return max(0, analysis.part_capacity - (analysis.part_units[-1] if analysis.part_units else 0))


def highlight(text: str, non_gsm: list[str]) -> list[tuple[str, bool]]:
    """The text cut into runs, each flagged True when it is a character that forced UCS-2."""
    if not non_gsm:
        return [(text, False)] if text else []
    marked = set(non_gsm)
    longest = max(len(c) for c in marked)
    runs: list[tuple[str, bool]] = []
    plain: list[str] = []
    i = 0
    while i < len(text):
        for size in range(min(longest, len(text) - i), 0, -1):
            if text[i : i + size] in marked:
                if plain:
                    runs.append(("".join(plain), False))
                    plain = []
                runs.append((text[i : i + size], True))
                i += size
                break
        else:
            plain.append(text[i])
            i += 1
    if plain:
        runs.append(("".join(plain), False))
    return runs


@dataclass(frozen=True)
class GsmSuggestion:
    text: str
    analysis: Analysis
    replaced: int  # characters that differ

    def parts_saved(self, current: Analysis) -> int:
        return current.parts - self.analysis.parts


def gsm_suggestion(text: str, analysis: Analysis) -> GsmSuggestion | None:
    """Offer the GSM-7 rewrite when the message is UCS-2 and the rewrite is all GSM-7
    (never more parts: the rewrite only replaces characters with ones of the same or less room)."""
    if analysis.encoding == "GSM-7":
        return None
    safe = gsm_safe(text)
    safe_analysis = analyze(safe)
    if safe_analysis.encoding != "GSM-7" or safe_analysis.parts > analysis.parts:
        return None
    replaced = sum(1 for a, b in zip(text, safe) if a != b) + abs(len(text) - len(safe))
    return GsmSuggestion(text=safe, analysis=safe_analysis, replaced=replaced)
