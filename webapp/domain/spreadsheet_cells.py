"""Cells of the CSV and XLSX files the app writes, safe to open in a spreadsheet (pure Python).

A value that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken for a
formula by Excel, LibreOffice and Google Sheets when they open a CSV (``=HYPERLINK(...)``,
``@SUM(...)``, ``+cmd|...``): a contact's name or a company name typed by a customer would run
on the accountant's machine. In a CSV such a value is written with a leading apostrophe (the
spreadsheet shows it as text; the contact importer reads ``'+40722…`` back as the number); an
XLSX cell is written as a text cell (webapp/services/spreadsheets.py), which no spreadsheet
evaluates.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeGuard, TypeVar

_T = TypeVar("_T")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> TypeGuard[str]:
    """Whether a spreadsheet would read this value as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_value(value: _T) -> _T | str:
    """The value as a CSV cell: formula-like text behind an apostrophe, the rest as it is."""
    return "'" + value if is_formula_like(value) else value


def csv_row(values: Iterable[_T]) -> list[_T | str]:
    return [csv_value(v) for v in values]
