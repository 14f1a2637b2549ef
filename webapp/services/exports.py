"""Exports of any report: a table of typed columns (webapp/domain/export_cells.py) and an iterator
of rows, written as CSV, XLSX or PDF to a binary file, one row at a time.

- CSV: UTF-8 with a BOM (Excel then reads the diacritics and emoji right), ``;`` between cells
  and a decimal comma (what a Romanian Excel reads), or ``,`` and a decimal point; formula-like
  text behind a single quote. A data file: a header row, then the rows, no totals row.
- XLSX: openpyxl's write-only mode (rows go to a temporary file as they come); numbers and dates
  are real numbers and dates with a display format (amounts kept exact, shown with 2 decimals;
  prices per part with 4); text cells are text (formula-like ones marked "quote prefix"); a bold
  totals row of plain numbers (no formula cells; none when ``Table.totals`` is off) and a second
  sheet saying what was exported.
- PDF: WeasyPrint from jinja/pdf/export.html, the statements' layout. WeasyPrint lays the whole
  document out in memory, so a PDF is for thousands of rows, not hundreds of thousands
  (Settings.export_pdf_max_rows).

A report hands over a ``Table`` whose ``rows`` is a generator reading the database in batches
(e.g. ``yield_per``); the totals are added up while the rows go by. Needs an app context only for
the PDF (templates); the labels are translated by the caller (headers) or here (flask_babel)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from webapp.domain.export_cells import (
    NUMBER_FORMATS,
    SEPARATORS,
    Column,
    Kind,
    Totals,
    Value,
    checked,
    csv_row,
    money_text,
    needs_quote_prefix,
)

FORMATS = ("csv", "xlsx", "pdf")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
PROGRESS_EVERY = 1000  # rows between two progress reports
XLSX_MAX_TEXT = 32767  # characters an XLSX cell holds
# Characters XML 1.0 (so XLSX) cannot hold: control characters but tab, line feed and carriage
# return (a form feed is a GSM extension character an SMS may carry).
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Table:
    """What an export writes. ``about`` are (label, value) lines saying what was exported (the
    filter, the time zone, when): the PDF's head and the XLSX's second sheet."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Value]]
    total_label: str = "Total"
    about: Sequence[tuple[str, str]] = field(default_factory=tuple)
    currency: str = "EUR"
    totals: bool = True  # False: no totals row (a list of rows to read back, like the blocklist)


def _counted(table: Table, totals: Totals, progress: Progress | None) -> Iterator[Sequence[Value]]:
    """The rows, each added to the totals (and reported every PROGRESS_EVERY rows) as it passes."""
    for values in table.rows:
        totals.add(values)
        if progress is not None and totals.rows % PROGRESS_EVERY == 0:
            progress(totals.rows)
        yield values


def write(
    table: Table,
    fmt: str,
    out: IO[bytes],
    *,
    separator: str = ";",
    progress: Progress | None = None,
    pdf_context: dict[str, Any] | None = None,
) -> Totals:
    """Write ``table`` as ``fmt`` (csv, xlsx, pdf) to ``out``; the totals of what was written."""
    if fmt == "csv":
        return write_csv(table, out, separator=separator, progress=progress)
    if fmt == "xlsx":
        return write_xlsx(table, out, progress=progress)
    if fmt == "pdf":
        return write_pdf(table, out, progress=progress, **(pdf_context or {}))
    raise ValueError(f"unknown export format {fmt!r}")


def write_csv(table: Table, out: IO[bytes], *, separator: str = ";", progress: Progress | None = None) -> Totals:
    if separator not in SEPARATORS:
        raise ValueError(f"separator {separator!r} is not one of {SEPARATORS}")
    totals = Totals(table.columns)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text, delimiter=separator)
        writer.writerow([c.header for c in table.columns])
        for values in _counted(table, totals, progress):
            writer.writerow(csv_row(table.columns, values, separator))
        text.flush()
    finally:
        text.detach()  # the caller's stream stays open
    return totals


def _xml_text(value: str) -> str:
    return _NOT_IN_XML.sub("\ufffd", value)[:XLSX_MAX_TEXT]


def _xlsx_cell(sheet: Any, kind: Kind, value: Value, font: Any = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    value = checked(kind, value)
    cell = WriteOnlyCell(sheet, value=_xml_text(value) if isinstance(value, str) else value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it begins with
        if needs_quote_prefix(kind, value):
            cell.quotePrefix = True  # and stays text when edited in Excel
    elif kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[kind]
    if font is not None:
        cell.font = font
    return cell


def write_xlsx(table: Table, out: IO[bytes], *, progress: Progress | None = None) -> Totals:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    totals = Totals(table.columns)
    bold = Font(bold=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_title(table.title))
    for i, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(sheet, Kind.TEXT, c.header, bold) for c in table.columns])
    for values in _counted(table, totals, progress):
        sheet.append([_xlsx_cell(sheet, c.kind, v) for c, v in zip(table.columns, values, strict=True)])
    if table.totals:
        sheet.append([_xlsx_cell(sheet, kind, value, bold) for kind, value in totals.row(table.total_label)])
    if totals.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{totals.rows + 1}"
    if table.about:
        about = book.create_sheet(_sheet_title(_about_title()))
        about.column_dimensions["A"].width = 24
        about.column_dimensions["B"].width = 60
        about.append([_xlsx_cell(about, Kind.TEXT, table.title, bold)])
        for label, value in table.about:
            about.append([_xlsx_cell(about, Kind.TEXT, label), _xlsx_cell(about, Kind.TEXT, value)])
    book.save(out)
    return totals


def _about_title() -> str:
    from flask_babel import gettext

    return str(gettext("About this export"))


def _sheet_title(title: str) -> str:
    """A valid sheet name: at most 31 characters, none of []:*?/\\ ."""
    return re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"


def display(kind: Kind, value: Value) -> str:
    """A cell as the PDF prints it, in the reader's language: amounts exact (2 to 4 decimals),
    prices with 4, counts with thousands separators, local dates and times."""
    from babel.dates import format_date, format_datetime
    from babel.numbers import format_decimal
    from flask_babel import get_locale

    if value is None:
        return ""
    locale = get_locale() or "en"
    if kind is Kind.TEXT:
        return str(value)
    if kind is Kind.INT and isinstance(value, int):
        return str(format_decimal(Decimal(value), locale=locale))
    if kind is Kind.MONEY and isinstance(value, Decimal):
        places = len(money_text(value).split(".")[1])
        return str(format_decimal(value, format="#,##0." + "0" * places, locale=locale))
    if kind is Kind.PRICE and isinstance(value, Decimal):
        return str(format_decimal(value, format="#,##0.0000", locale=locale))
    if kind is Kind.DATETIME and isinstance(value, datetime):
        return str(format_datetime(value, "short", locale=locale))
    if isinstance(value, date):
        return str(format_date(value, "short", locale=locale))
    return str(value)


def write_pdf(table: Table, out: IO[bytes], *, progress: Progress | None = None, **context: Any) -> Totals:
    """The rows as a PDF table (jinja/pdf/export.html); ``context`` adds what the head prints
    (``seller``, ``made_at``). The template reads the rows once and the totals after them."""
    from webapp.services.pdf import render_pdf

    totals = Totals(table.columns)
    shown = [i for i, c in enumerate(table.columns) if c.in_pdf]
    width = sum(table.columns[i].width for i in shown) or 1
    widths = [round(100 * table.columns[i].width / width, 2) for i in shown]
    out.write(
        render_pdf(
            "pdf/export.html",
            table=table,
            rows=_counted(table, totals, progress),
            totals=totals,
            shown=shown,
            widths=widths,
            display=display,
            Kind=Kind,
            **context,
        )
    )
    return totals
