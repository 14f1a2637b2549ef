"""The mobile network of a phone number, for the reports' "by network" breakdown (issue 18).

Pure Python: the standard library and ``phonenumbers`` (its carrier data, no prefix table here).

``network_of(e164, language="en") -> str``
    The name of the network that holds the number's *range* in the numbering plan, as the
    ``phonenumbers`` carrier data has it: for Romania "Vodafone", "Orange", "Digi Mobil",
    "Lycamobile", ...  ``""`` when there is none to give: a landline, a number the data has no
    operator for, an invalid or empty string.  Cached, so a report's repeated numbers cost a
    dictionary look-up.

What this is not: the network the subscriber is with *today*.  Numbers move between operators
(number portability), so a 0722 number that was Vodafone's may
be on Orange now.  Only a portability (HLR / MNP) look-up knows that, and we do not make one.
The UI calls the column "Network (by number range)" for that reason.  The data also follows
mergers: Telekom Romania Mobile's old ranges (076x) read as "Vodafone" in the phonenumbers
release this project pins (9.0.x), so "Telekom" does not appear for Romanian numbers.

Names are the data's own and are not translated ("Digi Mobil", "T-Mobile"); ``language`` only
picks another spelling where the data has one (a few operators in "ru", "zh", ...), falling back
to English.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import carrier
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

__all__ = ["CACHE_SIZE", "NETWORK_LENGTH", "network_of"]

CACHE_SIZE = 65_536
# What messages.network holds: phonenumbers has operator names of up to 54 characters (Chile),
# cut to fit when stored.
NETWORK_LENGTH = 40
"""Distinct (number, language) pairs kept; about 6 MB when full (benchmarks/bench_networks.py)."""

_MAX_DIGITS = 15  # E.164: at most 15 digits after the "+"


@lru_cache(maxsize=CACHE_SIZE)
def network_of(e164: str, language: str = "en") -> str:
    """The network holding ``e164``'s number range ("+40722123456" → "Vodafone"), or "".

    ``e164`` is what :func:`webapp.domain.phone.normalize` stores: "+" and digits.  Anything
    else (spaces, a national number, "") gives "" rather than an error, so a report over old
    or odd rows never fails on one of them.
    """
    number = _parsed(e164)
    if number is None:
        return ""
    name = carrier.name_for_number(number, language)  # "" unless mobile (or pager, ...) with a known operator
    if not name and language != "en":
        name = carrier.name_for_number(number, "en")
    return name


def _parsed(e164: str) -> phonenumbers.PhoneNumber | None:
    """The number read from E.164 without ``phonenumbers.parse`` (twice as fast, same result).

    The calling code is the first 1–3 digits that phonenumbers knows (codes are prefix-free).
    A national part starting with 0 (Italy's fixed lines, a few others) needs the leading-zero
    flags that only ``parse`` sets, so it goes through ``parse``."""
    if not isinstance(e164, str) or len(e164) < 3 or e164[0] != "+":
        return None
    digits = e164[1:]
    if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_DIGITS:
        return None
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            if not national:
                return None
            if national[0] == "0":
                try:
                    return phonenumbers.parse(e164, None)
                except phonenumbers.NumberParseException:
                    return None
            return phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return None
