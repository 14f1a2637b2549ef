"""XLSX rows whose text is text: every string cell is written as a string cell, so a value that
begins with ``=`` (openpyxl's sign of a formula) is never written as one. See
webapp/domain/spreadsheet_cells.py for why; every XLSX the app writes goes through here."""
from __future__ import annotations

from openpyxl.cell import WriteOnlyCell


def text_cell(sheet, value) -> WriteOnlyCell:
    """A write-only cell of ``value``; a string stays a string, whatever it begins with."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def append(sheet, values) -> None:
    """Append a row to a write-only sheet, its strings as text cells."""
    sheet.append([text_cell(sheet, value) for value in values])
