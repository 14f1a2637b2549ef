"""Prices per SMS part by destination country (optionally by network prefix), and quotes.

A price list maps a country (ISO alpha-2) to a price per part in EUR with 4 decimals;
an entry may narrow to a number prefix (a network's ranges, e.g. "+40722"), and the
longest matching prefix wins. An account's own entries override the default list's.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from phonenumbers import SUPPORTED_REGIONS

from webapp.domain.money import InvalidAmount, parse_amount, quantize


class Unroutable(ValueError):
    """No price (so no route) for this destination; the message says why, for the customer."""

    def __init__(self, message: str, country: str | None = None):
        super().__init__(message)
        self.country = country


@dataclass(frozen=True)
class PriceEntry:
    country: str  # ISO 3166 alpha-2, upper case
    price: Decimal  # EUR per part, scale 4
    prefix: str = ""  # optional E.164 prefix with '+', e.g. "+40722"


@dataclass(frozen=True)
class Quote:
    country: str
    price_per_part: Decimal
    parts: int
    cost: Decimal


class PriceList:
    def __init__(self, entries: list[PriceEntry], overrides: list[PriceEntry] | None = None):
        self._by_country: dict[str, list[PriceEntry]] = {}
        # Overrides are added last and replace a default entry with the same (country, prefix).
        merged: dict[tuple[str, str], PriceEntry] = {}
        for entry in [*entries, *(overrides or [])]:
            merged[(entry.country, entry.prefix)] = entry
        for entry in merged.values():
            self._by_country.setdefault(entry.country, []).append(entry)
        for bucket in self._by_country.values():
            bucket.sort(key=lambda e: len(e.prefix), reverse=True)

    @property
    def countries(self) -> list[str]:
        return sorted(self._by_country)

    def entries(self) -> list[PriceEntry]:
        return sorted((e for bucket in self._by_country.values() for e in bucket), key=lambda e: (e.country, e.prefix))

    def price_for(self, e164: str, country: str | None) -> Decimal:
        if not country:
            raise Unroutable("the destination country is unknown", None)
        for entry in self._by_country.get(country, ()):
            if e164.startswith(entry.prefix):  # "" (the whole country) matches last
                return entry.price
        raise Unroutable(f"no route to {country}: sending there is not enabled for this account", country)


def quote(parts: int, e164: str, country: str | None, price_list: PriceList) -> Quote:
    """The exact cost of one message of ``parts`` parts to ``e164``."""
    price = price_list.price_for(e164, country)
    return Quote(country=country or "", price_per_part=price, parts=parts, cost=quantize(price * parts))


@dataclass(frozen=True)
class PriceRowError:
    row: int  # 1-based line in the file, as a spreadsheet shows it
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column '{self.column}': {self.message}"


REQUIRED_COLUMNS = ("country", "price")


def parse_price_csv(text: str) -> tuple[list[PriceEntry], list[PriceRowError]]:
    """Read `country,prefix,price` rows (prefix optional; `,` or `;` separated).

    Good rows are kept and every bad one is reported with its row and column.
    """
    text = text.lstrip("\ufeff")
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else ",", delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [
            PriceRowError(
                1, ", ".join(missing), "missing column; the header must name country, price (and optionally prefix)"
            )
        ]
    entries: list[PriceEntry] = []
    errors: list[PriceRowError] = []
    seen: dict[tuple[str, str], int] = {}
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        country = row.get("country", "").upper()
        prefix = row.get("prefix", "").replace(" ", "")
        if country not in SUPPORTED_REGIONS:
            errors.append(
                PriceRowError(
                    line, "country", f"'{row.get('country', '')}' is not a two-letter country code (ISO 3166)"
                )
            )
            continue
        if prefix and not (prefix.startswith("+") and prefix[1:].isdigit()):
            errors.append(PriceRowError(line, "prefix", f"'{prefix}' is not a prefix like +40722"))
            continue
        try:
            price = parse_amount(row.get("price", ""))
        except InvalidAmount as exc:
            errors.append(PriceRowError(line, "price", str(exc)))
            continue
        if (country, prefix) in seen:
            errors.append(PriceRowError(line, "country", f"repeats row {seen[(country, prefix)]}"))
            continue
        seen[(country, prefix)] = line
        entries.append(PriceEntry(country=country, price=price, prefix=prefix))
    return entries, errors
