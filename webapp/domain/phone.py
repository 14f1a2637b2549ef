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

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import carrier as _carrier
from phonenumbers import timezone as _timezone

from webapp.domain import N_
from webapp.domain.phone_input import NOT_A_NUMBER, TOO_LONG, InvalidNumber
from webapp.domain.phone_input import clean_text as _clean_text
from webapp.domain.phone_input import text_of as _text_of
from webapp.domain.phone_problems import TOO_LONG_FOR, TOO_SHORT_FOR, WRONG_LENGTH_FOR
from webapp.domain.phone_problems import problem as _problem
from webapp.domain.texts import Text, text

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
# Parsing
# --------------------------------------------------------------------------


def _parse(written: str, region: str | None) -> phonenumbers.PhoneNumber | Text:
    """A PhoneNumber, or a message when phonenumbers cannot parse it."""
    try:
        return phonenumbers.parse(written, region)
    except phonenumbers.NumberParseException as exc:
        et = exc.error_type
        if et == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            digits = written.lstrip("+")
            if not written.startswith("+"):
                return text(N_("missing the country code"))
            if digits.startswith("0"):
                return text(N_("no country code after '+'"))
            return text(N_("unknown country code %(code)s"), code=digits[:3])
        if et == phonenumbers.NumberParseException.TOO_LONG:
            return TOO_LONG
        if et in (
            phonenumbers.NumberParseException.TOO_SHORT_NSN,
            phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD,
        ):
            return text(N_("too short"))
        return NOT_A_NUMBER


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
    """The number meant: the first SMS-capable valid reading of the digits, or InvalidNumber
    with the reading that explains the problem best."""
    region = _check_region(default_region)
    has_plus, digits = _clean_text(_text_of(raw), raw)

    if len(digits) > _MAX_DIGITS:
        raise InvalidNumber(TOO_LONG, raw)

    # "00" is the international prefix people write everywhere in Europe;
    # a country code never starts with 0, so "000..." is not one.
    idd = not has_plus and digits.startswith("00") and not digits.startswith("000")
    attempts, region_for_parse = _attempts(digits, has_plus, idd, region)
    candidates, failed = _readings(attempts, region_for_parse)

    for num, kind in candidates:
        if not REJECT_NON_MOBILE or kind in SMS_CAPABLE_TYPES:
            return num
    if candidates:
        raise InvalidNumber(_problem(candidates[0][0], region), raw)
    first_problem = _first_problem(failed, region)
    if region is None and not has_plus and not idd:
        raise InvalidNumber(text(N_("missing the country code (e.g. +40)")), raw)
    raise InvalidNumber(first_problem or NOT_A_NUMBER, raw)


def _attempts(digits: str, has_plus: bool, idd: bool, region: str | None) -> tuple[list[str], str | None]:
    """The texts to parse, in order of preference, and the region to parse them in."""
    if has_plus or idd:
        return ["+" + (digits[2:] if not has_plus else digits)], None
    if region is None:
        return ["+" + digits], None
    # National first (with or without the trunk 0), then the same digits
    # as an international number whose '+' was left out.
    attempts = [digits]
    if not digits.startswith("0"):
        attempts.append("+" + digits)
    return attempts, region


def _readings(
    attempts: list[str], region_for_parse: str | None
) -> tuple[list[tuple[phonenumbers.PhoneNumber, int]], list[phonenumbers.PhoneNumber | Text]]:
    """The valid readings with their number types, and the failed ones (a parse message or an
    invalid number), explained only if nothing is valid."""
    candidates: list[tuple[phonenumbers.PhoneNumber, int]] = []
    failed: list[phonenumbers.PhoneNumber | Text] = []
    for written in attempts:
        parsed = _parse(written, region_for_parse)
        if isinstance(parsed, Text):
            failed.append(parsed)
            continue
        # number_type() is UNKNOWN exactly when is_valid_number() is False; asking it once
        # serves both questions (valid? mobile?) at half the cost.
        kind = phonenumbers.number_type(parsed)
        if kind != PhoneNumberType.UNKNOWN:
            candidates.append((parsed, kind))
        else:
            failed.append(parsed)
    return candidates, failed


def _first_problem(failed: list[phonenumbers.PhoneNumber | Text], region: str | None) -> Text | None:
    """The message for the failed readings: the first one's, unless a later international
    reading explains a "too long" better."""
    first_problem: Text | None = None
    for attempt in failed:
        if isinstance(attempt, Text):
            first_problem = first_problem or attempt
            continue
        problem = _problem(attempt, region)
        assert attempt.country_code is not None  # phonenumbers.parse always sets it
        if first_problem is None:
            first_problem = problem
        elif (
            first_problem.msgid in (TOO_LONG.msgid, TOO_LONG_FOR)
            and problem.msgid in (TOO_SHORT_FOR, TOO_LONG_FOR, WRONG_LENGTH_FOR)
            and attempt.country_code >= 10
        ):
            # "38050123456": too long to be Romanian, but one digit short of a
            # Ukrainian number -- the international reading explains it better.
            # (Not for +1/+7: too many digit strings start with 1 or 7.)
            first_problem = problem
    return first_problem


# --------------------------------------------------------------------------
# Describing a normalised number
# --------------------------------------------------------------------------


def _type_name(number_type: int) -> str:
    return PhoneNumberType.to_string(number_type) or "UNKNOWN"


def _parse_e164(e164: str) -> phonenumbers.PhoneNumber:
    if not isinstance(e164, str) or not e164.strip().startswith("+"):
        raise InvalidNumber(text(N_("not in international format: %(value)s"), value=repr(e164)), e164)
    parsed = _parse(e164.strip(), None)
    if isinstance(parsed, Text):
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
    assert num.country_code is not None  # phonenumbers.parse always sets it
    region = phonenumbers.region_code_for_number(num)
    if region == phonenumbers.UNKNOWN_REGION:
        region = None
    carrier_name = _carrier.name_for_number(num, "en") or None
    zones = tuple(z for z in _timezone.time_zones_for_number(num) if z != _timezone.UNKNOWN_TIMEZONE)
    return NumberInfo(
        e164=phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164),
        country=region,
        country_code=num.country_code,
        national_format=phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL),
        international_format=phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        number_type=_type_name(phonenumbers.number_type(num)),
        carrier=carrier_name,
        time_zones=zones,
    )


def reply_sender(raw: str, default_region: str | None = "RO") -> str:
    """The phone a reply (MO) came from, as E.164 when it reads as any valid number: SMSCs give
    it international without the + ("40722123456"), with it, or national ("0722123456"). What
    reads as none (an alphanumeric name, a short code) is kept as given, stripped."""
    text = (raw or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    attempts = [text] if text.startswith("+") else []
    if digits and digits == text.lstrip("+").replace(" ", "") and not text.startswith("0"):
        attempts.append("+" + digits)
    attempts.append(text)
    for attempt in attempts:
        try:
            num = phonenumbers.parse(attempt, default_region if not attempt.startswith("+") else None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return text[:32]
