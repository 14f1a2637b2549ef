"""Phone-number normalisation for the bulk-SMS platform.

Pure Python: depends only on the standard library and ``phonenumbers``.
Validity, number types, carriers and time zones all come from the
``phonenumbers`` metadata; there are no hand-made prefix tables here.

Public API
----------
``normalize(raw, default_region="RO") -> str``
    Turns what a customer typed (or what Excel stored) into E.164 with a
    leading ``+`` (``"+40722123456"``), or raises :class:`InvalidNumber`
    with a short message meant for the customer.  The E.164 string is
    also the de-duplication key: two cells are the same recipient exactly
    when ``normalize`` returns the same string.

``describe(e164) -> NumberInfo``
    Country, calling code, formats, type, carrier and time zones.

``region_of(e164) -> str | None``
    ISO 3166-1 alpha-2 region code ("RO", "UA", ...).

Rules and decisions
-------------------
* Accepted decorations: spaces (including non-breaking, thin and other
  Unicode spaces), dots, dashes (any Unicode dash), slashes, round and
  square brackets, zero-width/invisible characters, surrounding quotes, a
  leading Excel text apostrophe, a CSV ``="..."`` wrapper, a leading label
  such as ``tel:``, ``Tel.``, ``Telefon:``, ``mobil``, ``phone:``, and the
  ``(0)`` trunk marker written after a country code (``+44 (0) 7911 ...``),
  and commas used as thousands separators (``722,123,456``).  Any letter
  left after that makes the number invalid ("contains letters"), so
  extensions and vanity numbers are refused; two numbers in one cell
  (``0722... / 0733...``, ``0722..., 0733...``) give "more than one number".
* ``+CC...`` and ``00CC...`` are international.  The default region's own
  international dialling prefix (e.g. ``011`` for the US) also works.
* Otherwise the digits are first read as a *national* number of the
  default region: with the trunk prefix (``0722 123 456``) or **without it**
  (``722123456``).  The latter is what Excel keeps when a numeric cell
  drops the leading zero, so a number without trunk 0 and without country
  code is treated as a national number of the default region.
* If that national reading is not a valid number, the digits are read as
  international with the ``+`` omitted (``40722123456``,
  ``380501234567``).  The national reading wins when both are valid and
  SMS-capable; an SMS-capable reading is preferred over one that is not.
* ``int`` cells are used as digits; ``float`` cells must hold a whole number
  (``40722123456.0``); NaN/None/empty are "empty".  Spreadsheet text such
  as ``"40722123456.0"`` or a full-precision ``"4.0722123456E+10"`` is
  accepted; a rounded scientific value (``"4.07221E+10"``) is refused,
  because digits were lost.
* Only numbers that can receive SMS pass: see :data:`REJECT_NON_MOBILE` and
  :data:`SMS_CAPABLE_TYPES`.  A Romanian landline such as ``0212345678`` is
  refused with "not a mobile number (landline)".
* ``default_region`` may be ``None``: then every number must carry its
  country code.  An unknown region code is a programming error and raises
  a plain ``ValueError`` (not ``InvalidNumber``).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import functools
import math
import numbers
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType, ValidationResult
from phonenumbers import carrier as _carrier
from phonenumbers import timezone as _timezone

# phonenumbers' own switch: keep its compiled metadata patterns instead of compiling them
# again through re's bounded cache on every call (about a quarter of the time per number).
phonenumbers.enable_pattern_cache()

__all__ = [
    "InvalidNumber",
    "normalize_with_region",
    "NumberInfo",
    "REJECT_NON_MOBILE",
    "SMS_CAPABLE_TYPES",
    "describe",
    "normalize",
    "region_of",
]

#: Decision: numbers that cannot receive SMS (landlines, toll-free,
#: premium-rate, shared-cost, VoIP, UAN, pager, personal, voicemail) are
#: refused by :func:`normalize` with "not a mobile number (...)".  Set to
#: ``False`` to accept every valid number regardless of its type.
REJECT_NON_MOBILE: bool = True

#: Number types accepted when :data:`REJECT_NON_MOBILE` is true.
#: FIXED_LINE_OR_MOBILE covers regions whose metadata cannot tell the two
#: apart (e.g. US/Canada); UNKNOWN is kept for a valid number whose type
#: phonenumbers cannot determine.
SMS_CAPABLE_TYPES: frozenset[int] = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.UNKNOWN,
    }
)

# More digits than any phone number can have (E.164 allows 15; phonenumbers
# gives up at 17).
_MAX_DIGITS = 17
# Longest text looked at, and longest quote of it in a message.
_MAX_TEXT = 80
_MAX_SHOWN = 40


class InvalidNumber(ValueError):
    """The value is not a phone number that can receive SMS.

    ``str(exc)`` is a short, plain-language message for the customer, e.g.
    ``"too short for a number in Romania"``.  ``exc.raw`` holds the value
    that was given.
    """

    def __init__(self, message: str, raw: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.raw = raw


@dataclass(frozen=True, slots=True)
class NumberInfo:
    """What phonenumbers knows about an E.164 number."""

    e164: str
    #: ISO 3166-1 alpha-2 region ("RO"); None when the number cannot be
    #: placed (e.g. an invalid number behind a shared calling code).
    country: str | None
    #: Country calling code, e.g. 40.
    country_code: int
    #: "0722 123 456"
    national_format: str
    #: "+40 722 123 456"
    international_format: str
    #: Name of the phonenumbers type: "MOBILE", "FIXED_LINE", ...
    number_type: str
    #: English name of the network the number range was allocated to
    #: (numbers may have been ported since); None when unknown.
    carrier: str | None
    #: IANA time zones, e.g. ("Europe/Bucharest",); empty when unknown.
    time_zones: tuple[str, ...]


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------

_TYPE_LABELS = {
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.TOLL_FREE: "toll-free",
    PhoneNumberType.PREMIUM_RATE: "premium-rate",
    PhoneNumberType.SHARED_COST: "shared-cost",
    PhoneNumberType.VOIP: "VoIP",
    PhoneNumberType.PERSONAL_NUMBER: "personal number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "company number",
    PhoneNumberType.VOICEMAIL: "voicemail",
}


@functools.lru_cache(maxsize=None)
def _country_name(region: str | None) -> str:
    """English country name for a region code (falls back to the code)."""
    if not region:
        return "an unknown country"
    # Babel's territory names: phonenumbers' geocoder would load ~100 MB of place names into
    # every process for this one lookup.
    from babel import Locale

    return Locale("en").territories.get(region) or region


def _what(num: phonenumbers.PhoneNumber, hint: str | None) -> str:
    """'number in Romania', or '+1 number' when the country is unclear."""
    region = phonenumbers.region_code_for_number(num)
    if region is None or region == phonenumbers.UNKNOWN_REGION:
        regions = phonenumbers.region_codes_for_country_code(num.country_code)
        if hint in regions:
            region = hint
        elif len(regions) == 1 or (regions and num.country_code != 1):
            # the main country of a shared code: +44 -> GB, +7 -> RU
            region = phonenumbers.region_code_for_country_code(num.country_code)
        else:  # +1 spans two dozen countries: name none of them
            region = None
    if region is None or region == phonenumbers.UNKNOWN_REGION:
        return f"+{num.country_code} number"
    return f"number in {_country_name(region)}"


def _type_name(number_type: int) -> str:
    return PhoneNumberType.to_string(number_type) or "UNKNOWN"


# --------------------------------------------------------------------------
# Turning a cell value into text
# --------------------------------------------------------------------------


def _text_of(raw: object) -> str:
    """Text for any value a spreadsheet cell or form field can hold."""
    if raw is None:
        raise InvalidNumber("empty", raw)
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):  # before Integral: bool is an int
        raise InvalidNumber(f"not a phone number: {raw}", raw)
    if isinstance(raw, (_dt.date, _dt.time, _dt.timedelta)):
        raise InvalidNumber("a date or time, not a phone number", raw)
    if isinstance(raw, numbers.Integral):
        value = int(raw)
        if value < 0:
            raise InvalidNumber("negative number, not a phone number", raw)
        return str(value)
    if isinstance(raw, (numbers.Real, decimal.Decimal)):
        if isinstance(raw, decimal.Decimal):
            if raw.is_nan():
                raise InvalidNumber("empty", raw)
            if raw.is_infinite():
                raise InvalidNumber("not a phone number", raw)
            if raw != raw.to_integral_value():
                raise InvalidNumber("not a whole number", raw)
            value = int(raw)
        else:
            f = float(raw)
            if math.isnan(f):  # pandas & co. use NaN for empty cells
                raise InvalidNumber("empty", raw)
            if math.isinf(f):
                raise InvalidNumber("not a phone number", raw)
            if not f.is_integer():
                raise InvalidNumber("not a whole number", raw)
            value = int(f)
        if value < 0:
            raise InvalidNumber("negative number, not a phone number", raw)
        return str(value)
    if isinstance(raw, (bytes, bytearray)):
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidNumber("not a phone number", raw) from None
    raise InvalidNumber(f"not a phone number: {raw!r}", raw)


# --------------------------------------------------------------------------
# Cleaning text
# --------------------------------------------------------------------------

# Characters removed outright: zero-width / direction marks / BOM / soft hyphen.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2066\u2067"
        "\u2068\u2069\u202a\u202b\u202c\u202d\u202e\ufeff"),
    None,
)

# A leading label: "tel:", "Tel.", "Telefon", "phone:", "mobil:", "GSM" ...
_LABEL_WORD = (
    r"(?:tel(?:efon|ephone|efono|\u00e9fono)?|phone|ph|mobile?|mobil|mob|gsm"
    r"|cell(?:phone)?|nr|no|sms|callto)"
)
_LABEL_RE = re.compile(
    rf"^(?:{_LABEL_WORD}\s*[:.]?\s*){{1,2}}(?=[\d+(])", re.IGNORECASE
)

# Spreadsheet artefacts: "40722123456.0" (a float written as text).
_FLOAT_TEXT_RE = re.compile(r"^(\+?\d{5,})\.0+$")
# Scientific notation: "4.0722123456E+10" / "4.07221E+10".
_SCI_TEXT_RE = re.compile(r"^(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})$")
# "(0)" trunk marker after an international prefix: "+44 (0) 7911 ...".
_TRUNK_MARK_RE = re.compile(r"^(\+|00)\s*(\d{1,3})\s*[\s.\-/]*\(0\)")
# Separators for "several numbers in one cell".
_MULTI_SPLIT_RE = re.compile(r"[,;|]|/(?=\s)|(?<=\s)/|\s(?:or|sau|și|si)\s", re.IGNORECASE)

# Characters that may appear between digits and mean nothing.
# A comma is here too: "722,123,456" is a numeric cell shown with thousands
# separators (several numbers in one cell are caught before).
_SEPARATORS = frozenset(" .,-/()[]{}_~")


_ASCII_SPACES = {ord(ch): " " for ch in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"}


# The shape of nearly every number customers write: an optional '+', then digits with spaces,
# dots, dashes and brackets. Such text needs none of the repairs below.
_PLAIN_RE = re.compile(r"[ \t]*(\+?)([0-9(][0-9 ().\-]*)[ \t]*")
_NOT_DIGIT_RE = re.compile(r"[^0-9]")


def _clean_text(text: str, raw: object) -> tuple[bool, str]:
    """Return (has_plus, digits) for a piece of text, or raise InvalidNumber."""
    plain = _PLAIN_RE.fullmatch(text) if len(text) <= _MAX_TEXT else None
    if plain and "(0)" not in text and not _FLOAT_TEXT_RE.match(text.strip()):
        digits = _NOT_DIGIT_RE.sub("", plain.group(2))
        if digits:
            return bool(plain.group(1)), digits
    if text.isascii():  # the usual case, and NFKC, invisibles and Unicode dashes cannot occur
        s = text.translate(_ASCII_SPACES)
    else:
        s = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
        # Every kind of Unicode space and dash becomes its ASCII counterpart.
        s = "".join(
            " " if (ch.isspace() or unicodedata.category(ch) == "Zs")
            else "-" if unicodedata.category(ch) == "Pd" or ch == "\u2212"
            else ch
            for ch in s
        )
    s = s.strip()
    if not s:
        raise InvalidNumber("empty", raw)

    shown = " ".join(s.split())  # the value as we quote it back
    if len(shown) > _MAX_SHOWN:
        shown = shown[: _MAX_SHOWN - 1] + "\u2026"
    if len(s) > _MAX_TEXT:  # a pasted paragraph, not a phone number
        if any(ch.isalpha() for ch in s):
            raise InvalidNumber(f"contains letters: '{shown}'", raw)
        raise InvalidNumber("too long", raw)

    # CSV tricks: ="0722123456", '0722123456, "0722123456".
    if s.startswith('="') and s.endswith('"'):
        s = s[2:-1].strip()
    s = s.lstrip("'`").strip()
    s = s.strip(",;").strip()  # stray list separators at the edges
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        s = s[1:-1].strip()

    # URI schemes and labels.
    s = _LABEL_RE.sub("", s, count=1)

    # Spreadsheet numeric artefacts written as text.
    m = _FLOAT_TEXT_RE.match(s)
    if m:
        s = m.group(1)
    m = _SCI_TEXT_RE.match(s)
    if m:
        first, frac, exp = m.group(1), m.group(2) or "", int(m.group(3))
        if len(frac) > exp:
            raise InvalidNumber(f"not a whole number: '{shown}'", raw)
        if len(frac) < exp:
            raise InvalidNumber(
                f"written in scientific notation ('{shown}') and some digits "
                "were lost; format the column as text",
                raw,
            )
        s = first + frac

    # Several numbers in one cell.
    parts = [p for p in _MULTI_SPLIT_RE.split(s) if p and p.strip()]
    if len(parts) > 1 and sum(1 for p in parts if sum(c.isdigit() for c in p) >= 7) > 1:
        raise InvalidNumber(f"more than one number: '{shown}'", raw)

    if any(ch.isalpha() for ch in s):
        raise InvalidNumber(f"contains letters: '{shown}'", raw)
    if not any(ch.isdigit() for ch in s):
        raise InvalidNumber(f"no phone number in '{shown}'", raw)

    # "+44 (0) 7911 ..." -> "+44 7911 ..."
    s = _TRUNK_MARK_RE.sub(r"\1\2 ", s, count=1)

    has_plus = False
    digits: list[str] = []
    bad: list[str] = []
    for ch in s:
        if ch.isdigit():
            try:
                digits.append(str(unicodedata.decimal(ch)))
            except ValueError:  # superscripts and the like
                bad.append(ch)
        elif ch == "+":
            if digits or has_plus:
                bad.append(ch)
            has_plus = True
        elif ch in _SEPARATORS:
            continue
        else:
            bad.append(ch)
    if bad:
        chars = " ".join(f"'{c}'" for c in dict.fromkeys(bad))
        raise InvalidNumber(f"contains invalid characters {chars}: '{shown}'", raw)
    return has_plus, "".join(digits)


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


def _problem(num: phonenumbers.PhoneNumber, hint: str | None) -> str:
    """Message for a parsed number that is not a valid SMS recipient."""
    what = _what(num, hint)
    if phonenumbers.is_valid_number(num):
        kind = _TYPE_LABELS.get(phonenumbers.number_type(num), "cannot receive SMS")
        return f"not a mobile number ({kind})"
    reason = phonenumbers.is_possible_number_with_reason(num)
    if reason not in (ValidationResult.TOO_SHORT, ValidationResult.TOO_LONG):
        # Lengths that are possible for *some* number (short codes, local
        # landline numbers) are still too short/long for a mobile.
        mobile = phonenumbers.is_possible_number_for_type_with_reason(
            num, PhoneNumberType.MOBILE
        )
        if mobile in (ValidationResult.TOO_SHORT, ValidationResult.TOO_LONG):
            reason = mobile
    if reason == ValidationResult.TOO_SHORT:
        return f"too short for a {what}"
    if reason == ValidationResult.TOO_LONG:
        return f"too long for a {what}"
    if reason == ValidationResult.INVALID_LENGTH:
        return f"wrong length for a {what}"
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return f"incomplete (area code missing?) for a {what}"
    return f"not a valid {what}"


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | str:
    """A PhoneNumber, or a message when phonenumbers cannot parse it."""
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        et = exc.error_type
        if et == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            digits = text.lstrip("+")
            if not text.startswith("+"):
                return "missing the country code"
            if digits.startswith("0"):
                return "no country code after '+'"
            return f"unknown country code {digits[:3]}"
        if et == phonenumbers.NumberParseException.TOO_LONG:
            return "too long"
        if et in (
            phonenumbers.NumberParseException.TOO_SHORT_NSN,
            phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD,
        ):
            return "too short"
        return "not a phone number"


def _check_region(default_region: str | None) -> str | None:
    if default_region is None:
        return None
    region = str(default_region).strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unsupported default region {default_region!r}")
    return region


def normalize(raw: object, default_region: str | None = "RO") -> str:
    """Return ``raw`` as E.164 (``"+40722123456"``) or raise InvalidNumber.

    See the module docstring for the rules.  ``default_region`` is an ISO
    alpha-2 code (``"RO"``, ``"UA"``...) used for numbers written without a
    country code, or ``None`` to require one.
    """
    return phonenumbers.format_number(_best_reading(raw, default_region), phonenumbers.PhoneNumberFormat.E164)


def normalize_with_region(raw: object, default_region: str | None = "RO") -> tuple[str, str | None]:
    """``normalize`` and ``region_of`` from one reading of the number (a campaign reads many)."""
    num = _best_reading(raw, default_region)
    region = phonenumbers.region_code_for_number(num)
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return e164, None if region in (None, phonenumbers.UNKNOWN_REGION) else region


def _best_reading(raw: object, default_region: str | None) -> phonenumbers.PhoneNumber:
    region = _check_region(default_region)
    has_plus, digits = _clean_text(_text_of(raw), raw)

    if len(digits) > _MAX_DIGITS:
        raise InvalidNumber("too long", raw)

    candidates: list[tuple[phonenumbers.PhoneNumber, int]] = []
    first_problem: str | None = None

    # "00" is the international prefix people write everywhere in Europe;
    # a country code never starts with 0, so "000..." is not one.
    idd = not has_plus and digits.startswith("00") and not digits.startswith("000")
    if has_plus or idd:
        attempts = ["+" + (digits[2:] if not has_plus else digits)]
        region_for_parse: str | None = None
    elif region is None:
        attempts = ["+" + digits]
        region_for_parse = None
    else:
        # National first (with or without the trunk 0), then the same digits
        # as an international number whose '+' was left out.
        attempts = [digits]
        if not digits.startswith("0"):
            attempts.append("+" + digits)
        region_for_parse = region

    failed: list[phonenumbers.PhoneNumber | str] = []  # explained only if nothing is valid
    for text in attempts:
        parsed = _parse(text, region_for_parse)
        if isinstance(parsed, str):
            failed.append(parsed)
            continue
        # number_type() is UNKNOWN exactly when is_valid_number() is False; asking it once
        # serves both questions (valid? mobile?) at half the cost.
        kind = phonenumbers.number_type(parsed)
        if kind != PhoneNumberType.UNKNOWN:
            candidates.append((parsed, kind))
        else:
            failed.append(parsed)

    for num, kind in candidates:
        if not REJECT_NON_MOBILE or kind in SMS_CAPABLE_TYPES:
            return num
    if candidates:
        raise InvalidNumber(_problem(candidates[0][0], region), raw)
    for attempt in failed:
        if isinstance(attempt, str):
            first_problem = first_problem or attempt
            continue
        problem = _problem(attempt, region)
        if first_problem is None:
            first_problem = problem
        elif (
            first_problem.startswith("too long")
            and problem.startswith(("too ", "wrong "))
            and attempt.country_code >= 10
        ):
            # "38050123456": too long to be Romanian, but one digit short of a
            # Ukrainian number -- the international reading explains it better.
            # (Not for +1/+7: too many digit strings start with 1 or 7.)
            first_problem = problem
    if region is None and not has_plus and not idd:
        raise InvalidNumber("missing the country code (e.g. +40)", raw)
    raise InvalidNumber(first_problem or "not a phone number", raw)


# --------------------------------------------------------------------------
# Describing a normalised number
# --------------------------------------------------------------------------


def _parse_e164(e164: str) -> phonenumbers.PhoneNumber:
    if not isinstance(e164, str) or not e164.strip().startswith("+"):
        raise InvalidNumber(f"not in international format: {e164!r}", e164)
    parsed = _parse(e164.strip(), None)
    if isinstance(parsed, str):
        raise InvalidNumber(parsed, e164)
    return parsed


def region_of(e164: str) -> str | None:
    """ISO alpha-2 region of an E.164 number ("RO"), or None if unknown."""
    num = _parse_e164(e164)
    region = phonenumbers.region_code_for_number(num)
    if region is None or region == phonenumbers.UNKNOWN_REGION:
        return None
    return region


def describe(e164: str) -> NumberInfo:
    """Facts about an E.164 number, as known to phonenumbers.

    Does not require the number to be valid (metadata changes between
    library versions must not break pages showing stored numbers); an
    unparseable string raises InvalidNumber.
    """
    num = _parse_e164(e164)
    region = phonenumbers.region_code_for_number(num)
    if region == phonenumbers.UNKNOWN_REGION:
        region = None
    carrier_name = _carrier.name_for_number(num, "en") or None
    zones = tuple(
        z for z in _timezone.time_zones_for_number(num)
        if z != _timezone.UNKNOWN_TIMEZONE
    )
    return NumberInfo(
        e164=phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164),
        country=region,
        country_code=num.country_code,
        national_format=phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL),
        international_format=phonenumbers.format_number(
            num, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ),
        number_type=_type_name(phonenumbers.number_type(num)),
        carrier=carrier_name,
        time_zones=zones,
    )
