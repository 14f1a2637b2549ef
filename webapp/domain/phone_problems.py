"""Why a parsed number cannot receive SMS, in the customer's words ("too short for a number in
Romania", "not a mobile number (landline)"). The messages half of :mod:`webapp.domain.phone`."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType, ValidationResult

from webapp.domain import N_
from webapp.domain.texts import Country, Text, text

_TYPE_LABELS = {
    PhoneNumberType.FIXED_LINE: N_("landline"),
    PhoneNumberType.TOLL_FREE: N_("toll-free"),
    PhoneNumberType.PREMIUM_RATE: N_("premium-rate"),
    PhoneNumberType.SHARED_COST: N_("shared-cost"),
    PhoneNumberType.VOIP: N_("VoIP"),
    PhoneNumberType.PERSONAL_NUMBER: N_("personal number"),
    PhoneNumberType.PAGER: N_("pager"),
    PhoneNumberType.UAN: N_("company number"),
    PhoneNumberType.VOICEMAIL: N_("voicemail"),
}


def _what(num: phonenumbers.PhoneNumber, hint: str | None) -> Text:
    """'number in Romania' (the country named in the reader's language: Babel's territory names,
    as phonenumbers' geocoder would load ~100 MB of place names into every process), or
    '+1 number' when the country is unclear."""
    region = phonenumbers.region_code_for_number(num)
    if region is None or region == phonenumbers.UNKNOWN_REGION:
        assert num.country_code is not None  # phonenumbers.parse always sets it
        regions = phonenumbers.region_codes_for_country_code(num.country_code)
        if hint in regions:
            region = hint
        elif len(regions) == 1 or (regions and num.country_code != 1):
            # the main country of a shared code: +44 -> GB, +7 -> RU
            region = phonenumbers.region_code_for_country_code(num.country_code)
        else:  # +1 spans two dozen countries: name none of them
            region = None
    if region is None or region == phonenumbers.UNKNOWN_REGION:
        return text(N_("+%(code)s number"), code=str(num.country_code))
    return text(N_("number in %(country)s"), country=Country(region))


def problem(num: phonenumbers.PhoneNumber, hint: str | None) -> Text:
    """Message for a parsed number that is not a valid SMS recipient (``str()`` of it is English)."""
    what = _what(num, hint)
    if phonenumbers.is_valid_number(num):
        kind = _TYPE_LABELS.get(phonenumbers.number_type(num), N_("cannot receive SMS"))
        return text(N_("not a mobile number (%(kind)s)"), kind=text(kind))
    reason = phonenumbers.is_possible_number_with_reason(num)
    if reason not in (ValidationResult.TOO_SHORT, ValidationResult.TOO_LONG):
        # Lengths that are possible for *some* number (short codes, local
        # landline numbers) are still too short/long for a mobile.
        mobile = phonenumbers.is_possible_number_for_type_with_reason(num, PhoneNumberType.MOBILE)
        if mobile in (ValidationResult.TOO_SHORT, ValidationResult.TOO_LONG):
            reason = mobile
    if reason == ValidationResult.TOO_SHORT:
        return text(TOO_SHORT_FOR, what=what)
    if reason == ValidationResult.TOO_LONG:
        return text(TOO_LONG_FOR, what=what)
    if reason == ValidationResult.INVALID_LENGTH:
        return text(N_("wrong length for a %(what)s"), what=what)
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return text(N_("incomplete (area code missing?) for a %(what)s"), what=what)
    return text(N_("not a valid %(what)s"), what=what)


TOO_SHORT_FOR = N_("too short for a %(what)s")
TOO_LONG_FOR = N_("too long for a %(what)s")
WRONG_LENGTH_FOR = N_("wrong length for a %(what)s")
