"""XLSX rows whose text is text: every string cell is written as a string cell, so a value that
begins with ``=`` (openpyxl's sign of a formula) is never written as one. See
webapp/domain/spreadsheet_cells.py for why; every XLSX the app writes goes through here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell

from webapp.domain.spreadsheet_cells import is_formula_like

# openpyxl has no type information: its sheets and cells are Any to mypy.


def text_cell(sheet: Any, value: object) -> WriteOnlyCell:
    """A write-only cell of ``value``; a string stays a string, whatever it begins with."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True  # and stays text when the cell is edited in Excel
    return cell


def append(sheet: Any, values: Iterable[object]) -> None:
    """Append a row to a write-only sheet, its strings as text cells."""
    sheet.append([text_cell(sheet, value) for value in values])
