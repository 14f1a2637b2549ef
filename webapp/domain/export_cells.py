"""The cells of an export (CSV, XLSX, PDF), by the kind of their column (pure Python).

An export is a list of typed columns and rows of values. A column's kind decides how its values
are written:

- ``text``: a string; one that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  (a spreadsheet would run it as a formula: ``=HYPERLINK("http://x","y")`` typed as a contact's
  name) is neutralised: in a CSV behind a single quote, in an XLSX as a text cell marked
  "quote prefix" (what Excel itself stores for a typed ``'=…``), so it stays text even when the
  cell is edited. The rule itself is webapp/domain/spreadsheet_cells.py's.
- ``int``, ``money``, ``price``: numbers, never text, whatever their sign (a refund of −3.745 is
  the number −3.745, not neutralised); money is a Decimal kept exact (XLSX shows it with
  2 decimals, prices per part with 4).
- ``date``, ``datetime``: real dates (local to the account; XLSX has no time zones).

Totals are counted while the rows stream by (``Totals``): counts and amounts are summed, prices
per part are not (a sum of prices means nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from webapp.domain.spreadsheet_cells import is_formula_like


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    MONEY = "money"
    PRICE = "price"
    DATE = "date"
    DATETIME = "datetime"


Value = str | int | Decimal | date | datetime | None

SUMMED = frozenset({Kind.INT, Kind.MONEY})
NUMERIC = frozenset({Kind.INT, Kind.MONEY, Kind.PRICE})

# How XLSX shows each kind (the value underneath stays exact).
NUMBER_FORMATS: dict[Kind, str] = {
    Kind.INT: "#,##0",
    Kind.MONEY: "#,##0.00",
    Kind.PRICE: "0.0000",
    Kind.DATE: "yyyy-mm-dd",
    Kind.DATETIME: "yyyy-mm-dd hh:mm:ss",
}

# CSV separators offered: ";" is what a Romanian (or any decimal-comma) Excel reads, and then
# decimals are written with a comma; "," with a decimal point.
SEPARATORS = (";", ",")


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: int = 14  # XLSX column width (characters), PDF ignores it
    summed: bool = True  # counts and amounts are summed in the totals row; an id is not
    in_pdf: bool = True  # a PDF page is narrower than a sheet: details for machines stay out

    @property
    def in_totals(self) -> bool:
        return self.summed and self.kind in SUMMED


def neutralise(text: str) -> str:
    """Text as a CSV cell: formula-like text behind a single quote, the rest as it is."""
    return "'" + text if is_formula_like(text) else text


def needs_quote_prefix(kind: Kind, value: Value) -> bool:
    """Whether an XLSX text cell must be marked "quote prefix" (it would read as a formula)."""
    return kind is Kind.TEXT and is_formula_like(value)


def checked(kind: Kind, value: Value) -> Value:
    """The value for a column of ``kind``; a value of the wrong type is a programming error
    (a float amount, a number in a text column) and raises TypeError."""
    if value is None:
        return None
    ok = {
        Kind.TEXT: isinstance(value, str),
        Kind.INT: isinstance(value, int) and not isinstance(value, bool),
        Kind.MONEY: isinstance(value, Decimal) and value.is_finite(),
        Kind.PRICE: isinstance(value, Decimal) and value.is_finite(),
        Kind.DATE: isinstance(value, date) and not isinstance(value, datetime),
        Kind.DATETIME: isinstance(value, datetime) and value.tzinfo is None,
    }[kind]
    if not ok:
        raise TypeError(f"{value!r} is not a {kind.value} cell")
    return value


def _decimal_text(value: Decimal, places: int, decimal_mark: str) -> str:
    text = f"{value:.{places}f}"
    return text.replace(".", decimal_mark) if decimal_mark != "." else text


def money_text(value: Decimal, decimal_mark: str = ".") -> str:
    """An amount, exact: at least 2 decimals, more only when it has them (0.035, 12.50, −3.745)."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return _decimal_text(value, places, decimal_mark)


def csv_cell(kind: Kind, value: Value, separator: str = ";") -> str:
    """One CSV cell as text. With ``;`` decimals take a comma (decimal-comma Excel), with ``,`` a point."""
    value = checked(kind, value)
    mark = "," if separator == ";" else "."
    if value is None:
        return ""
    if kind is Kind.TEXT:
        assert isinstance(value, str)
        return neutralise(value)
    if kind is Kind.INT:
        return str(value)
    if kind is Kind.MONEY:
        assert isinstance(value, Decimal)
        return money_text(value, mark)
    if kind is Kind.PRICE:
        assert isinstance(value, Decimal)
        return _decimal_text(value, 4, mark)
    if kind is Kind.DATETIME:
        assert isinstance(value, datetime)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    assert isinstance(value, date)
    return value.isoformat()


def csv_row(columns: Sequence[Column], values: Sequence[Value], separator: str = ";") -> list[str]:
    if len(values) != len(columns):
        raise ValueError(f"{len(values)} values for {len(columns)} columns")
    return [csv_cell(c.kind, v, separator) for c, v in zip(columns, values, strict=True)]


def csv_cells(cells: Sequence[tuple[Kind, Value]], separator: str = ";") -> list[str]:
    """A row given as (kind, value) cells (a totals row) as CSV text."""
    return [csv_cell(kind, value, separator) for kind, value in cells]


@dataclass
class Totals:
    """Sums of the count and amount columns, added up row by row while the export streams."""

    columns: Sequence[Column]
    rows: int = 0
    sums: dict[int, int | Decimal] = field(default_factory=dict)

    def add(self, values: Sequence[Value]) -> None:
        self.rows += 1
        for i, column in enumerate(self.columns):
            value = values[i]
            if column.in_totals and isinstance(value, int | Decimal):
                self.sums[i] = self.sums.get(i, 0) + value

    def sum(self, index: int) -> int | Decimal:
        kind = self.columns[index].kind
        return self.sums.get(index, Decimal("0") if kind is Kind.MONEY else 0)

    def row(self, label: str) -> list[tuple[Kind, Value]]:
        """The totals row as (kind, value) cells: ``label`` as text in the first column that is not
        summed, the sums under their columns, the rest empty."""
        cells: list[tuple[Kind, Value]] = []
        labelled = False
        for i, column in enumerate(self.columns):
            if column.in_totals:
                cells.append((column.kind, self.sum(i)))
            elif not labelled:
                cells.append((Kind.TEXT, label))
                labelled = True
            else:
                cells.append((column.kind, None))
        return cells
