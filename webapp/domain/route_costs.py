"""What an operator types for a route's provider costs (issue 22: least-cost routing, margins):
one ``COUNTRY = cost per part`` a line (``* = …`` for any other country), read and checked here."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

WILDCARD = "*"


class InvalidCosts(ValueError):
    """The text names its bad lines (1-based), all at once."""


def parse_costs(text: str, countries: frozenset[str]) -> dict[str, Decimal]:
    """``RO = 0.0200`` lines → {country: cost}; ``countries``: the ISO codes we know."""
    costs: dict[str, Decimal] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        country, sep, amount = (piece.strip() for piece in line.partition("="))
        country = country.upper()
        if not sep:
            problems.append(f"line {number}: write COUNTRY = cost, e.g. RO = 0.0200")
            continue
        if country != WILDCARD and country not in countries:
            problems.append(f"line {number}: '{country}' is not a country code (or * for any other)")
            continue
        try:
            cost = Decimal(amount.replace(",", "."))
        except InvalidOperation:
            problems.append(f"line {number}: '{amount}' is not an amount")
            continue
        if not cost.is_finite() or cost < 0 or cost != cost.quantize(Decimal("0.0001")) or cost >= 100:
            problems.append(f"line {number}: a cost per part from 0 to 99.9999, at most 4 decimals")
            continue
        if country in costs:
            problems.append(f"line {number}: {country} is given twice")
            continue
        costs[country] = cost
    if problems:
        raise InvalidCosts("; ".join(problems))
    return costs


def costs_text(costs: dict[str, Decimal]) -> str:
    """The textarea form back: countries in order, the wildcard last."""
    ordered = sorted(costs, key=lambda c: (c == WILDCARD, c))
    return "".join(f"{c} = {costs[c]:.4f}\n" for c in ordered)


def margin_percent(revenue: Decimal, cost: Decimal) -> Decimal | None:
    """The margin as a percentage of the revenue (None without revenue)."""
    if revenue <= 0:
        return None
    return ((revenue - cost) * 100 / revenue).quantize(Decimal("0.1"))
