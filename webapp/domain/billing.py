"""Billing rules in plain Python: top-up minimums, VAT by the buyer's country and status,
fiscal codes (Romanian CUI checksum, EU VAT number shapes) and invoice numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from webapp.domain import N_

CENT = Decimal("0.01")
CARD, TRANSFER = "card", "transfer"
MINIMUMS = {CARD: Decimal("10"), TRANSFER: Decimal("25")}  # EUR, before VAT
MAXIMUM = Decimal("50000")
EU = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
# Printed on the invoice (in the reader's language) when no VAT is charged.
REVERSE_CHARGE = N_("Reverse charge: VAT to be accounted for by the recipient (Art. 196 of Directive 2006/112/EC).")
OUTSIDE_EU = N_("Outside the scope of EU VAT (place of supply outside the EU).")
# Greece writes EL in VAT numbers.
VAT_PREFIX = {"GR": "EL"}


class BillingError(ValueError):
    """A value the customer must correct: ``message`` is the msgid, ``params`` fill it in after
    it is translated; ``str()`` is the English sentence."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def top_up_amount(text: str, method: str) -> Decimal:
    """The amount typed on "Buy credit", in EUR with at most two decimals."""
    cleaned = (text or "").strip().replace(" ", "").replace(",", ".")
    if not re.fullmatch(r"\d{1,7}(\.\d{1,2})?", cleaned):
        raise BillingError(N_("Give the amount in euro, e.g. 50 or 49.90."))
    amount = Decimal(cleaned)
    minimum = MINIMUMS[method]
    if amount < minimum:
        raise BillingError(N_("The least you can buy this way is %(minimum)s EUR."), minimum=minimum)
    if amount > MAXIMUM:
        raise BillingError(N_("For more than %(maximum)s EUR at once, please contact us."), maximum=MAXIMUM)
    return amount


def automatic_top_up(balance: Decimal, threshold: Decimal, step: Decimal) -> Decimal:
    """What an automatic top-up buys when the balance fell below its threshold: the chosen
    amount, or as many times it as brings the balance back over the threshold (a drop bigger
    than the amount must not leave the account under it with its top-up spent), never more
    than MAXIMUM at once."""
    if step <= 0:
        raise ValueError("the amount of an automatic top-up must be above zero")
    times = max(1, int((threshold - balance) // step) + 1)
    return min(step * times, step * max(1, int(MAXIMUM // step)))


@dataclass(frozen=True)
class Vat:
    rate: Decimal  # 0.21 for 21 %
    note: str  # printed on the invoice when the rate is not the standard one
    reverse_charge: bool = False


def vat_for(country: str, is_business: bool, vat_number: str, home_rate: Decimal, home: str = "RO") -> Vat:
    """VAT on a top-up sold from ``home``: the home rate at home and to EU consumers; reverse
    charge for EU businesses with a VAT number; none outside the EU (not within its scope)."""
    country = (country or home).upper()
    if country == home:
        return Vat(home_rate, "")
    if country in EU:
        if is_business and vat_number:
            return Vat(Decimal("0"), REVERSE_CHARGE, reverse_charge=True)
        return Vat(home_rate, "")
    return Vat(Decimal("0"), OUTSIDE_EU)


@dataclass(frozen=True)
class Amounts:
    net: Decimal
    vat: Decimal
    total: Decimal


def amounts(net: Decimal, rate: Decimal) -> Amounts:
    """Net, VAT and total to the cent (half up), the VAT computed once on the total net."""
    net = net.quantize(CENT, ROUND_HALF_UP)
    vat = (net * rate).quantize(CENT, ROUND_HALF_UP)
    return Amounts(net, vat, net + vat)


_CUI_KEY = (7, 5, 3, 2, 1, 7, 5, 3, 2)


def romanian_cui(text: str) -> str:
    """A Romanian fiscal code (CUI/CIF), with or without "RO", checked by its control digit;
    returned as digits only."""
    code = re.sub(r"[\s.\-]", "", (text or "").upper())
    code = code[2:] if code.startswith("RO") else code
    if not re.fullmatch(r"\d{2,10}", code):
        raise BillingError(N_("A Romanian fiscal code has 2 to 10 digits, optionally after RO."))
    body, control = code[:-1].rjust(9, "0"), int(code[-1])
    expected = sum(int(d) * k for d, k in zip(body, _CUI_KEY)) * 10 % 11 % 10
    if expected != control:
        raise BillingError(N_("This fiscal code's control digit is wrong: check it on the registration certificate."))
    return code


# The shapes of EU VAT numbers after the country prefix (VIES formats, simplified).
_VAT_SHAPES = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-Z]{1,2}|\d[A-Z+*]\d{5}[A-Z]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
}


def fiscal_code(country: str, text: str) -> str:
    """The buyer's fiscal code as it will be printed: a checked CUI for Romania, an EU VAT
    number of the right shape elsewhere in the EU (with its country prefix), anything
    non-empty outside the EU."""
    country = (country or "").upper()
    if country == "RO":
        digits = romanian_cui(text)
        return f"RO{digits}" if (text or "").strip().upper().startswith("RO") else digits
    code = re.sub(r"[\s.\-]", "", (text or "").upper())
    if country not in EU:
        if not code:
            raise BillingError(N_("Give the company's tax identification number."))
        return code[:30]
    prefix = VAT_PREFIX.get(country, country)
    code = code[len(prefix) :] if code.startswith(prefix) else code
    if not re.fullmatch(_VAT_SHAPES[prefix], code):
        raise BillingError(
            N_("This is not a %(country)s VAT number (expected %(prefix)s followed by its digits)."),
            country=country,
            prefix=prefix,
        )
    return prefix + code


def invoice_number(series: str, number: int) -> str:
    """How an invoice number is printed: the series and a zero-padded sequence, e.g. SMS-000042."""
    return f"{series}-{number:06d}"


_TYPED_NUMBER = re.compile(r"^\s*([A-Za-z]{1,12})\s*[-/ ]?\s*#?(\d{1,9})\s*$")


def parse_invoice_number(text: str) -> tuple[str, int] | None:
    """An invoice number as someone types it: SMS-000042, SMS42, sms-42, "SMSC 7" -> (series, number)."""
    match = _TYPED_NUMBER.match(text or "")
    if match is None:
        return None
    return match.group(1).upper(), int(match.group(2))
