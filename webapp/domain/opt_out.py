"""Opt-out keywords in replies: what a reply asks for (STOP, START, HELP) by its first words.

A keyword counts alone or followed by other text ("Stop sms", "STOP, va rog", "dezabonare de la
oferte"), whatever the case and the diacritics ("DEZABONEAZĂ", "dezaboneaza"), after leading
punctuation or spaces. It does not count inside other text ("Nu mai vin mâine" is a reply about
tomorrow; "nu mai" alone, or "NU MAI SMS", is an opt-out) — so a multi-word keyword matches only
when it is the whole reply or is followed by one of a few words that only make it stronger.

Each account keeps its own list; these are the defaults it starts with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from webapp.domain.search_text import fold

STOP, START, HELP = "stop", "start", "help"
ACTIONS = (STOP, START, HELP)

DEFAULT_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    STOP: ("STOP", "STOP SMS", "DEZABONARE", "DEZABONEAZA", "NU MAI", "UNSUBSCRIBE", "CANCEL"),
    START: ("START", "ABONARE"),
    HELP: ("HELP", "AJUTOR"),
}

# What may follow a keyword of more than one word and still leave the reply an opt-out: "NU MAI
# SMS", "nu mai trimiteti", "nu mai vreau". Anything else after it ("nu mai vin maine") is a reply.
_STRENGTHENING = frozenset("sms mesaje mesaj trimiteti trimite vreau doresc va rog please thanks multumesc".split())
_WORD = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class KeywordMatch:
    action: str  # stop | start | help
    keyword: str  # the keyword as the account's list writes it


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def keyword_action(text: str, keywords: Mapping[str, Iterable[str]] = DEFAULT_KEYWORDS) -> KeywordMatch | None:
    """The action a reply asks for, or None when it is an ordinary reply. The longest keyword
    that matches wins ("STOP SMS" over "STOP"); STOP wins over the others at equal length."""
    words = _words(text)
    if not words:
        return None
    best: tuple[int, int, KeywordMatch] | None = None
    for rank, action in enumerate(ACTIONS):
        for keyword in keywords.get(action, ()):
            wanted = _words(keyword)
            if not wanted or words[: len(wanted)] != wanted:
                continue
            rest = words[len(wanted) :]
            if len(wanted) > 1 and rest and not set(rest) <= _STRENGTHENING:
                continue
            candidate = (len(wanted), -rank, KeywordMatch(action, keyword))
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    return best[2] if best else None


def clean_keywords(lines: str) -> list[str]:
    """An account's keyword list as typed (one per line or comma separated): each in capitals,
    without diacritics or repeated spaces, duplicates and blanks left out, order kept."""
    seen: dict[str, None] = {}
    for raw in re.split(r"[\n,;]+", lines):
        keyword = " ".join(_words(raw)).upper()
        if keyword:
            seen.setdefault(keyword, None)
    return list(seen)
