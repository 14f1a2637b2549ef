"""Text folded for searching: case and diacritics ignored, so "Țăranu", "ŢĂRANU" (cedilla),
"taranu" and "Taranu" are one word, on SQLite and PostgreSQL alike (the database compares the
folded texts, it never folds).

A contact's ``search_text`` is its names (both orders), its number's digits and its imported
fields' values, each folded, one per line: a query folded the same way is searched as a part
of it, and never across two lines.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

# Latin letters NFKD does not take apart into a base letter and a mark (casefold has already made
# "ß" "ss" and "ſ" "s").
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "ħ": "h",
        "ŧ": "t",
        "ŀ": "l",
        "ı": "i",
        "ȷ": "j",
        "ĸ": "k",
        "ŋ": "n",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)
SEARCH_TEXT_LENGTH = 1000  # the longest search_text kept (names and number come first)


def fold(text: str) -> str:
    """Lower case without diacritics, whitespace runs as one space: "  Ștefan ŢĂRANU " -> "stefan
    taranu". Both Romanian forms fold alike: ș/ş (comma below, cedilla) -> s, ț/ţ -> t."""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.translate(_LETTERS).split())


def contact_search_text(first_name: str, last_name: str, phone: str, fields: Mapping[str, Any] | None) -> str:
    """What a contact is found by: "ion taranu\\ntaranu ion\\n40722123456\\nbrasov"."""
    first, last = fold(first_name or ""), fold(last_name or "")
    lines = [f"{first} {last}".strip()]
    if first and last:
        lines.append(f"{last} {first}")
    lines.append("".join(ch for ch in phone or "" if ch.isdigit()))
    for value in (fields or {}).values():
        if value is not None:
            lines.append(fold(str(value)))
    return "\n".join(line for line in lines if line)[:SEARCH_TEXT_LENGTH]
