"""The rows of an .xlsx worksheet, parsed straight from its XML (defusedxml, streamed).

Split out of webapp/domain/sheets.py, which opens files and decides what they are."""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Generator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeAlias

from defusedxml import DefusedXmlException
from openpyxl.utils.datetime import from_excel, from_ISO8601

from webapp.domain import N_
from webapp.domain.sheet_limits import LIMITS, TooLarge, too_many_cells, too_many_columns, too_many_rows
from webapp.domain.texts import text

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE, _TEXT, _RUN, _SHEET_DATA = (
    f"{_MAIN}{tag}" for tag in ("row", "c", "v", "is", "t", "r", "sheetData")
)
_COLUMNS: dict[str, int] = {}
# What a cell holds once read: openpyxl's values (text, numbers, booleans, dates and times).
CellValue: TypeAlias = str | int | float | bool | datetime | date | time | timedelta | None


# Excel's last column is XFD (16,384); a reference of more letters is beyond any limit.
EXCEL_COLUMNS = 16_384
# Elements a row may hold (its cells and their values, runs …), and elements outside the rows
# before them (sheet properties, views, column widths): far above what Excel writes, far below
# what would fill memory. What comes after the rows (merged cells, …) is not read at all.
ROW_ELEMENTS = 8 * EXCEL_COLUMNS
OTHER_ELEMENTS = 100_000


def _column_of(ref: str) -> int:
    letters = ref.rstrip("0123456789")
    if len(letters) > 3:
        return EXCEL_COLUMNS + 1
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for ch in letters:
            number = number * 26 + ord(ch) - 64
        _COLUMNS[letters] = number  # at most 18,278 keys: one to three letters
    return number


def _inline_text(inline: Any) -> str:  # an XML element
    """An inline string: its <t>, or its rich-text runs' <t>; phonetic runs (<rPh>) left out."""
    return "".join(
        (child.text or "") if child.tag == _TEXT else (child.findtext(_TEXT) or "")
        for child in inline
        if child.tag in (_TEXT, _RUN)
    )


@dataclass(frozen=True)
class WorkbookInternals:
    """What the reader takes from openpyxl's read-only worksheet that openpyxl does not publish:
    the one place that knows those names (tests/domain/test_sheets.py fails on an upgrade that
    moves them)."""

    open_xml: Callable[[], Any]  # the sheet's XML stream (a context manager)
    shared_strings: Sequence[str]  # the workbook's shared strings, by index
    date_styles: Container[int]  # style ids whose number format is a date
    timedelta_styles: Container[int]  # ... a duration ([h]:mm)
    epoch: datetime  # 1900 or 1904 date system


def openpyxl_internals(ws: Any) -> WorkbookInternals:  # a read-only worksheet
    book = ws.parent
    return WorkbookInternals(
        ws._get_source, ws._shared_strings, book._date_formats, getattr(book, "_timedelta_formats", set()), book.epoch
    )


def sheet_rows(
    ws: Any, start: int, until: int | None = None, name: str = ""
) -> Generator[tuple[int, list[CellValue]], None, None]:
    """(row number, cell values) of a read-only openpyxl worksheet, parsed straight from its
    XML: the same values openpyxl gives (shared and inline strings, numbers, booleans, dates
    by their number format), about twice as fast as ``iter_rows`` on a 100,000-row sheet,
    and whatever <dimension> the file claims (it may be wrong) is not used.

    The XML is parsed with defusedxml (no DTD, no entities); each row is dropped from the tree
    once read, so memory stays flat however long the sheet; rows beyond Excel's maximum and
    values beyond the column limit stop the reading (TooLarge)."""
    from xml.etree.ElementTree import iterparse  # the C parser: defusedxml's pure-Python one took +50 %

    inside = openpyxl_internals(ws)
    max_rows = LIMITS.rows
    row_number, rows_seen, parent = 0, 0, None
    in_row, row_elements, other_elements = False, 0, 0
    with inside.open_xml() as raw:
        source = NoDoctype(raw)
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if in_row:
                    row_elements += 1
                    if row_elements > ROW_ELEMENTS:  # checked as it grows: a row is held whole until it ends
                        raise too_many_cells(name, row_number + 1)
                elif tag == _ROW:
                    in_row, row_elements = True, 0
                elif tag == _SHEET_DATA:
                    parent = element
                continue
            if tag == _SHEET_DATA:
                return  # what follows the rows is never read
            if tag != _ROW:
                if not in_row:
                    other_elements += 1
                    if other_elements > OTHER_ELEMENTS:
                        raise TooLarge(
                            text(
                                N_(
                                    "“%(name)s” holds more than %(count)s elements besides its rows: "
                                    "it was not written by Excel. Save it again from Excel, or as CSV."
                                ),
                                name=name,
                                count=OTHER_ELEMENTS,
                            )
                        )
                continue
            in_row = False
            declared = element.get("r")
            row_number = int(declared) if declared and declared.isdigit() else row_number + 1
            rows_seen += 1
            if until is not None and (row_number > until or rows_seen > until):
                return
            if row_number > max_rows or rows_seen > max_rows:
                raise too_many_rows(name)
            if row_number < start:
                _drop(parent, element)
                continue
            values = _row_values(element, inside, row_number, name)
            _drop(parent, element)
            yield row_number, values


def _row_values(row: Any, inside: WorkbookInternals, row_number: int, name: str) -> list[CellValue]:
    """The values of one <row>, by column (gaps as None); a value beyond the column limit
    raises TooLarge."""
    strings, date_styles, timedelta_styles, epoch = (
        inside.shared_strings,
        inside.date_styles,
        inside.timedelta_styles,
        inside.epoch,
    )
    max_columns = LIMITS.columns
    values: list[CellValue] = []
    for cell in row:
        if cell.tag != _CELL:
            continue
        ref = cell.get("r")
        column = _column_of(ref) if ref else len(values) + 1
        if len(values) + 1 < column <= max_columns:
            values.extend([None] * (column - 1 - len(values)))
        kind = cell.get("t", "n")
        value: CellValue
        if kind == "inlineStr":
            inline = cell.find(_INLINE)
            value = None if inline is None else _inline_text(inline)
        else:
            raw = cell.findtext(_VALUE)
            if raw is None or raw == "":
                value = None
            elif kind == "n":
                value = float(raw) if any(ch in raw for ch in ".eE") else int(raw)
                style = int(cell.get("s", 0))
                if style in date_styles:
                    try:
                        value = from_excel(value, epoch, timedelta=style in timedelta_styles)
                    except (OverflowError, ValueError):
                        value = "#VALUE!"
            elif kind == "s":
                value = strings[int(raw)]
            elif kind == "b":
                value = bool(int(raw))
            elif kind == "d":
                value = from_ISO8601(raw)
            else:  # "str" (a formula's text), "e" (an error such as #N/A)
                value = raw
        if column > max_columns and value not in (None, ""):
            raise too_many_columns(name, row_number, column)
        if column <= max_columns:
            values.append(value)
    return values


class NoDoctype:
    """A sheet's XML stream that refuses a DOCTYPE before the root element, where any DTD and
    its entities must be (billion laughs, XXE): what defusedxml's forbid_dtd does, in front of the
    C parser. Expat itself resolves no external entity for ElementTree and stops runaway entity
    expansion; this makes both a clear refusal before any of it is parsed."""

    _ROOT = re.compile(rb"<[A-Za-z_]")

    def __init__(self, raw: Any) -> None:
        self.raw, self.head, self.checked = raw, b"", False

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.raw.read(size)
        if not self.checked:
            seen = self.head + data
            root = self._ROOT.search(seen)
            prolog = seen if root is None else seen[: root.start()]
            if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
                raise DefusedXmlException("a DOCTYPE in a sheet")
            if root is not None or not data:
                self.checked, self.head = True, b""
            else:
                self.head = seen[-16:]  # enough to find a keyword cut between two reads
        return data


def _drop(parent: Any, row: Any) -> None:  # XML elements
    """Forget a row that has been read: cleared, and removed from <sheetData>, which would
    otherwise keep a million empty elements."""
    row.clear()
    if parent is not None:
        parent.clear()
