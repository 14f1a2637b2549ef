"""Why a parsed number cannot receive SMS, in the customer's words ("too short for a number in
Romania", "not a mobile number (landline)"). The messages half of :mod:`webapp.domain.phone`."""

from __future__ import annotations

import functools

import phonenumbers
from phonenumbers import PhoneNumberType, ValidationResult

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


@functools.cache
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
        return f"+{num.country_code} number"
    return f"number in {_country_name(region)}"


def problem(num: phonenumbers.PhoneNumber, hint: str | None) -> str:
    """Message for a parsed number that is not a valid SMS recipient."""
    what = _what(num, hint)
    if phonenumbers.is_valid_number(num):
        kind = _TYPE_LABELS.get(phonenumbers.number_type(num), "cannot receive SMS")
        return f"not a mobile number ({kind})"
    reason = phonenumbers.is_possible_number_with_reason(num)
    if reason not in (ValidationResult.TOO_SHORT, ValidationResult.TOO_LONG):
        # Lengths that are possible for *some* number (short codes, local
        # landline numbers) are still too short/long for a mobile.
        mobile = phonenumbers.is_possible_number_for_type_with_reason(num, PhoneNumberType.MOBILE)
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
