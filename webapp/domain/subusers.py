"""Subusers' rules: transfer amounts, what can be transferred, spend caps and their periods.

Pure Python. "Spend" is the money an account's sending took in a period: minus the sum of its
reservation, charge, release and refund ledger rows made in that period (see services/subusers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from webapp.domain import N_

CENT = Decimal("0.01")
BILLING_MODES = ("own", "parent")
SPEND_KINDS = ("reservation", "charge", "release", "refund")

NOT_AN_AMOUNT = N_("Give an amount such as 25 or 25.50.")
NOT_POSITIVE = N_("The amount must be more than zero.")
TOO_PRECISE = N_("Use at most two decimals.")
DAILY_CAP = N_("This would pass the daily spend cap of €%(cap)s: €%(spent)s spent today, this costs €%(cost)s.")
MONTHLY_CAP = N_(
    "This would pass the monthly spend cap of €%(cap)s: €%(spent)s spent this month, this costs €%(cost)s."
)


class BadAmount(ValueError):
    """``args[0]`` is the message for the user (a msgid)."""


def parse_transfer_amount(raw: str | Decimal) -> Decimal:
    """A transfer amount: more than zero, at most two decimals."""
    if isinstance(raw, float):
        raise TypeError("money is never a float")
    text = str(raw).strip().replace(" ", "").replace(",", ".").lstrip("€")
    if not text.isascii():  # Decimal() reads "١٢" as 12: only the digits people mean here
        raise BadAmount(NOT_AN_AMOUNT)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadAmount(NOT_AN_AMOUNT) from None
    if not value.is_finite():
        raise BadAmount(NOT_AN_AMOUNT)
    if value <= 0:
        raise BadAmount(NOT_POSITIVE)
    if value >= Decimal("100000000"):  # before quantize(): 1e308 cannot be quantized
        raise BadAmount(NOT_AN_AMOUNT)
    if value != value.quantize(CENT):
        raise BadAmount(TOO_PRECISE)
    return value.quantize(CENT)


def parse_cap(raw: str | None) -> Decimal | None:
    """An optional spend cap: empty is no cap; otherwise as a transfer amount."""
    if raw is None or not str(raw).strip():
        return None
    return parse_transfer_amount(raw)


def transferable(balance: Decimal) -> Decimal:
    """The most that can be given from a balance: whole cents, never below zero."""
    return max(Decimal("0.00"), balance.quantize(CENT, rounding=ROUND_DOWN))


def amount_text(amount: Decimal) -> str:
    """2 decimals, or up to 4 when there are sub-cent digits: 12.00, 0.035, 0.0351."""
    if amount == amount.quantize(CENT):
        return f"{amount:.2f}"
    return f"{amount:.4f}".rstrip("0")


def period_starts(now: datetime, tz_name: str) -> tuple[datetime, datetime]:
    """The start of today and of this month in the account's time zone (aware datetimes)."""
    local = now.astimezone(ZoneInfo(tz_name))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day.replace(day=1)


@dataclass(frozen=True)
class CapBreach:
    message: str  # msgid with %(cap)s, %(spent)s, %(cost)s
    cap: Decimal
    spent: Decimal
    cost: Decimal

    def params(self) -> dict[str, str]:
        return {"cap": amount_text(self.cap), "spent": amount_text(self.spent), "cost": amount_text(self.cost)}

    def text(self) -> str:
        return self.message % self.params()


def cap_breach(
    cost: Decimal, *, spent_today: Decimal, spent_month: Decimal, daily_cap: Decimal | None, monthly_cap: Decimal | None
) -> CapBreach | None:
    """The cap that ``cost`` more would pass (the daily one first), or None. Reaching a cap
    exactly is allowed; nothing is refused for a cost of zero."""
    if cost <= 0:
        return None
    if daily_cap is not None and spent_today + cost > daily_cap:
        return CapBreach(DAILY_CAP, daily_cap, spent_today, cost)
    if monthly_cap is not None and spent_month + cost > monthly_cap:
        return CapBreach(MONTHLY_CAP, monthly_cap, spent_month, cost)
    return None
