"""Several numbers typed in one field (Send SMS's "To number"): where one ends and the next begins.

The rule (issue 19), for a customer who pastes a column from Excel, types a list with commas, or
writes one number with spaces the way it is read aloud ("0722 123 456"):

* Commas, semicolons and line breaks always separate numbers. (So "722,123,456" written with
  thousands separators is three pieces here; nobody types that into a recipients box, and the
  spreadsheet reader, which does meet it, keeps its own rule in phone_input.)
* Between them, a piece that reads as one valid number is one number, spaces and all:
  "0722 123 456", "+40 722 123 456".
* Otherwise its space-separated words are grouped, in order, into runs that each read as a
  valid number, the fewest runs that do: "0722123456 0733123456" is two numbers, and so is
  "0722 123 456 0733 123 456".
* When no such grouping exists the piece is kept whole, so it is checked (and refused) as what
  the customer wrote, with its reason ("contains letters"), never cut into fragments.
* Empty pieces (",," or a trailing new line) are skipped.

"Valid" is phone.normalize's reading with the account's default country; nothing else is
decided here (duplicates, routes and prices are the caller's).
"""

from __future__ import annotations

import re

from webapp.domain import phone

#: Always a boundary between numbers.
_HARD_SEPARATORS = re.compile(r"[,;\r\n\u2028\u2029]+")
#: The most words one number is written in ("+40 (0) 722 123 456" is five; a margin for more).
_MAX_WORDS = 8


def _reads_as_one(text: str, region: str | None) -> bool:
    try:
        phone.normalize(text, region)
    except (phone.InvalidNumber, ValueError):
        return False
    return True


def _grouped(words: list[str], region: str | None) -> list[str] | None:
    """The words grouped into the fewest consecutive runs that are each a valid number, or None."""
    # runs[i]: the fewest runs covering words[:i] (None: no way); starts[i]: where the last begins.
    runs: list[int | None] = [0] + [None] * len(words)
    starts = [0] * (len(words) + 1)
    for end in range(1, len(words) + 1):
        for start in range(max(0, end - _MAX_WORDS), end):
            before, best = runs[start], runs[end]
            if before is None or (best is not None and before + 1 >= best):
                continue
            if _reads_as_one(" ".join(words[start:end]), region):
                runs[end], starts[end] = before + 1, start
    if runs[-1] is None:
        return None
    found, end = [], len(words)
    while end:
        found.append(" ".join(words[starts[end] : end]))
        end = starts[end]
    return found[::-1]


def split_numbers(text: str, region: str | None = "RO") -> list[str]:
    """The numbers in ``text`` as typed (trimmed), in order, by the rule in the module docstring."""
    numbers: list[str] = []
    for piece in _HARD_SEPARATORS.split(text):
        piece = " ".join(piece.split())
        if not piece:
            continue
        words = piece.split(" ")
        if len(words) == 1 or _reads_as_one(piece, region):
            numbers.append(piece)
            continue
        numbers.extend(_grouped(words, region) or [piece])
    return numbers
