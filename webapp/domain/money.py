"""Money: Decimal with a fixed scale of 4 (sub-cent prices per SMS part), never a float.

Stored in the database as integers of ten-thousandths of the currency unit.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SCALE = 4
QUANTUM = Decimal(1).scaleb(-SCALE)  # 0.0001
UNITS_PER_EUR = 10**SCALE
CURRENCY = "EUR"
MAXIMUM = Decimal(10) ** 9  # any amount typed anywhere is below a billion (units fit a BIGINT)


class InvalidAmount(ValueError):
    pass


def quantize(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(value).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def parse_amount(raw: str | int | Decimal, *, allow_negative: bool = False) -> Decimal:
    """Parse what an operator or customer types ("25", "25.50", "25,50") into money."""
    if isinstance(raw, float):
        raise TypeError("money is never a float")
    text = str(raw).strip().replace(" ", "").replace(",", ".")
    if not text.isascii():  # Decimal() reads "١٢" as 12: only ASCII digits are amounts here
        raise InvalidAmount(f"'{raw}' is not an amount")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidAmount(f"'{raw}' is not an amount") from None
    if not value.is_finite() or abs(value) >= MAXIMUM:  # before quantize(): 1e308 cannot be quantized
        raise InvalidAmount(f"'{raw}' is not an amount")
    if value != value.quantize(QUANTUM, rounding=ROUND_HALF_UP):
        raise InvalidAmount(f"'{raw}' has more than {SCALE} decimals")
    if value < 0 and not allow_negative:
        raise InvalidAmount(f"'{raw}' is negative")
    return quantize(value)


def to_units(value: Decimal) -> int:
    q = quantize(value)
    return int(q.scaleb(SCALE))


def from_units(units: int) -> Decimal:
    return quantize(Decimal(units).scaleb(-SCALE))
