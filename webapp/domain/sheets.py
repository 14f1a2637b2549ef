"""Reading customer spreadsheets (.xlsx and CSV) for the import wizards.

Pure Python: the standard library and ``openpyxl`` only.  Files are streamed
(openpyxl read-only mode, a lazily decoded text stream for CSV), so a
100,000-row upload is never held in memory.

Public API
----------
``open_spreadsheet(path, filename) -> Spreadsheet``
    ``filename`` is the name the customer uploaded; ``path`` is the file on
    disk.  The kind is decided by the content as well as the name; files we
    cannot read raise :class:`UnreadableFile` whose text is meant for the
    customer.
``Spreadsheet.sheets()``, ``.rows(sheet, start)``, ``.preview(sheet, limit)``,
``.close()`` (and ``with``).  Rows come as ``(row_number, [cell texts])``;
entirely empty rows are skipped but numbering follows the real rows (the
row an Excel user sees; for CSV, the record number, "sep=" line excluded).

Cell texts: stripped; integral floats lose ".0" (phone numbers stored as
numbers); dates "dd.mm.yyyy", times "HH:MM"; booleans "TRUE"/"FALSE".
"""

from __future__ import annotations

import codecs
import csv
import re
import warnings
from collections import Counter
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import TextIO

import openpyxl
from defusedxml import DefusedXmlException

from webapp.domain import N_
from webapp.domain.sheet_limits import LIMITS, TooLarge, check_workbook, too_many_columns
from webapp.domain.sheet_xml import sheet_rows
from webapp.domain.texts import Text, TextError, text

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv", ".txt"}
DELIMITERS = (",", ";", "\t")
_CHUNK = 1 << 20  # encoding check reads 1 MB at a time ...
_UTF8_CHECK_LIMIT = 32 << 20  # ... over at most the first 32 MB
_SNIFF_CHARS = 64 * 1024
_SNIFF_ROWS = 20


class UnreadableFile(TextError):
    """A file we cannot read; str(exc) is a plain-English message for the customer, ``exc.text``
    the same message to translate where it is shown."""


@dataclass(frozen=True)
class SheetInfo:
    name: str
    index: int  # 0-based


def cell_text(value: object) -> str:
    """The text a customer would see in the cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return f"{value:.15g}"  # what Excel shows: 15 significant digits
    if isinstance(value, datetime):
        day = f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
        if value.time() == time(0, 0):
            return day
        return f"{day} {value.hour:02d}:{value.minute:02d}"
    if isinstance(value, date):
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, timedelta):  # cells formatted as [h]:mm
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    return str(value).strip()


def _clean_row(values: Iterable[object]) -> list[str]:
    cells = [cell_text(v) for v in values]
    while cells and not cells[-1]:
        cells.pop()
    return cells


class Spreadsheet:
    """An opened customer file; use :func:`open_spreadsheet`."""

    kind: str
    encoding: str | None = None
    delimiter: str | None = None

    def __init__(self, path: Path, filename: str) -> None:
        self.path = path
        self.filename = filename
        self._closed = False

    def sheets(self) -> list[SheetInfo]:
        raise NotImplementedError

    def rows(
        self, sheet: int = 0, start: int = 1, until: int | None = None
    ) -> Generator[tuple[int, list[str]], None, None]:
        """(1-based row number, cell texts) from row `start` to row `until`; empty rows skipped."""
        raise NotImplementedError

    def preview(self, sheet: int = 0, limit: int = 20) -> list[tuple[int, list[str]]]:
        """The first `limit` non-empty rows among the first few thousand, padded to the same width:
        what the web process reads of a file (a million empty rows first cost it nothing)."""
        gen = self.rows(sheet, until=LIMITS.preview_scan_rows)
        try:
            found = list(islice(gen, max(limit, 0)))
        finally:
            gen.close()
        width = max((len(cells) for _, cells in found), default=0)
        return [(n, cells + [""] * (width - len(cells))) for n, cells in found]

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> Spreadsheet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_open(self, sheet: int) -> None:
        if self._closed:
            raise ValueError("spreadsheet is closed")
        if not 0 <= sheet < len(self.sheets()):
            raise IndexError(f"no sheet {sheet} in {self.filename!r}")


class _XlsxSpreadsheet(Spreadsheet):
    kind = "xlsx"

    def __init__(self, path: Path, filename: str) -> None:
        super().__init__(path, filename)
        # A file object, not the path: openpyxl refuses paths whose name does not
        # end in .xlsx, and uploads are usually stored under temporary names.
        self._file = open(path, "rb")
        try:
            with warnings.catch_warnings():  # "no default style" and the like
                warnings.simplefilter("ignore")
                self._wb = openpyxl.load_workbook(self._file, read_only=True, data_only=True)
        except Exception as exc:  # bad zip, missing parts, broken XML, entities (openpyxl uses defusedxml)
            self._file.close()
            raise UnreadableFile(
                _not_excel_xml(filename) if _caused_by(exc, DefusedXmlException) else _damaged(filename)
            ) from exc
        self._worksheets = list(self._wb.worksheets)  # chart sheets left out

    def sheets(self) -> list[SheetInfo]:
        return [SheetInfo(ws.title, i) for i, ws in enumerate(self._worksheets)]

    def rows(
        self, sheet: int = 0, start: int = 1, until: int | None = None
    ) -> Generator[tuple[int, list[str]], None, None]:
        self._check_open(sheet)
        ws = self._worksheets[sheet]
        start = max(start, 1)
        try:
            for number, values in sheet_rows(ws, start, until, self.filename):
                cells = _clean_row(values)
                if cells:
                    yield number, cells
        except UnreadableFile:
            raise
        except TooLarge as exc:
            raise UnreadableFile(exc.text) from None
        except DefusedXmlException as exc:
            raise UnreadableFile(_not_excel_xml(self.filename)) from exc
        except Exception as exc:
            raise UnreadableFile(_damaged(self.filename)) from exc

    def close(self) -> None:
        if not self._closed:
            self._wb.close()
            self._file.close()
        super().close()


class _CsvSpreadsheet(Spreadsheet):
    kind = "csv"
    delimiter: str  # always found in __init__

    def __init__(self, path: Path, filename: str, head: bytes) -> None:
        super().__init__(path, filename)
        is_utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if not is_utf16 and b"\x00" in head:
            raise UnreadableFile(text(N_("“%(name)s” is not a text (CSV) file."), name=filename))
        self.encoding = _detect_encoding(path, head)
        with self._open() as f:
            sample = f.read(_SNIFF_CHARS)
        first_line = sample.split("\n", 1)[0].rstrip("\r").lower()
        self._sep_line = first_line in ("sep=,", "sep=;", "sep=\t")  # Excel's hint
        if self._sep_line:
            self.delimiter = first_line[4]
        else:
            self.delimiter = _detect_delimiter(sample, truncated=len(sample) == _SNIFF_CHARS)

    def _open(self) -> TextIO:
        return open(self.path, encoding=self.encoding, errors="replace", newline="")

    def sheets(self) -> list[SheetInfo]:
        return [SheetInfo(Path(self.filename).stem or "Sheet1", 0)]

    def rows(
        self, sheet: int = 0, start: int = 1, until: int | None = None
    ) -> Generator[tuple[int, list[str]], None, None]:
        self._check_open(sheet)
        number, max_columns = 0, LIMITS.columns
        with self._open() as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            try:
                if self._sep_line:
                    next(reader, None)
                for number, record in enumerate(reader, 1):
                    if until is not None and number > until:
                        return
                    if number >= start:
                        cells = _clean_row(record)
                        if len(cells) > max_columns:
                            raise UnreadableFile(too_many_columns(self.filename, number, len(cells)).text)
                        if cells:
                            yield number, cells
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise UnreadableFile(
                        text(
                            N_(
                                '“%(name)s” cannot be read after row %(row)s: a quote (") is probably '
                                "opened and never closed, or a cell is longer than %(limit)s characters."
                            ),
                            name=self.filename,
                            row=number,
                            limit=csv.field_size_limit(),
                        )
                    ) from exc
                raise UnreadableFile(
                    text(
                        N_(
                            '“%(name)s” cannot be read after row %(row)s: a quote (") is probably opened and never closed.'
                        ),
                        name=self.filename,
                        row=number,
                    )
                ) from exc


def _display_name(filename: str) -> str:
    return filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"


def _damaged(name: str) -> Text:
    return text(N_("“%(name)s” is damaged or not an Excel workbook."), name=name)


def _caused_by(exc: BaseException | None, kind: type) -> bool:
    """Whether `kind` is in the exception's chain (openpyxl wraps what its parser raised)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _not_excel_xml(name: str) -> Text:
    return text(N_("“%(name)s” cannot be read: it declares XML entities, which Excel never writes."), name=name)


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    control = sum(1 for b in head if (b < 0x20 and b not in (9, 10, 13)) or b == 0x7F)
    return control <= len(head) // 100


def _detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as f:
            read = 0
            while read < _UTF8_CHECK_LIMIT and (chunk := f.read(_CHUNK)):
                read += len(chunk)
                decoder.decode(chunk, final=False)
            if not f.read(1):
                decoder.decode(b"", final=True)  # a cut-off character at the very end
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return _guess_legacy_codepage(head)  # the first 1 MB


def _guess_legacy_codepage(data: bytes) -> str:
    """cp1251 (Cyrillic) or cp1250 (Romanian / Central European Excel).

    Cyrillic words are made entirely of high bytes; in Romanian text the
    high bytes are single letters (ă â î ş ţ) among ASCII letters.
    """
    cyrillic = latin = 0
    for word in _WORD.findall(data):
        high = len(word.translate(None, _ASCII_LETTERS))
        if high * 2 > len(word):
            cyrillic += 1
        elif high:
            latin += 1
    return "cp1251" if cyrillic > latin else "cp1250"


_WORD = re.compile(rb"[A-Za-z\x80-\xff]+")
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _detect_delimiter(sample: str, truncated: bool) -> str:
    lines = sample.splitlines(keepends=True)
    if truncated and len(lines) > 1:
        lines = lines[:-1]  # drop the cut-off line
    scores = {}
    for d in DELIMITERS:
        records = [r for r in islice(csv.reader(lines, delimiter=d), _SNIFF_ROWS * 3) if any(r)]
        counts = Counter(len(r) for r in records[:_SNIFF_ROWS])
        width, freq = counts.most_common(1)[0] if counts else (1, 0)
        # how consistently this delimiter splits the lines, then into how many fields
        scores[d] = (freq / max(sum(counts.values()), 1), width) if width > 1 else (0.0, 0)
    best = max(DELIMITERS, key=lambda d: scores[d])
    if scores[best] == (0.0, 0):
        return ","  # a single column: the delimiter does not matter
    try:
        sniffed = csv.Sniffer().sniff("".join(lines[: _SNIFF_ROWS * 3]), delimiters="".join(DELIMITERS))
        if scores.get(sniffed.delimiter) == scores[best]:  # Sniffer only breaks ties:
            return sniffed.delimiter  # alone it may pick one that splits fewer fields
    except csv.Error:
        pass
    return best


def open_spreadsheet(path: str | Path, filename: str) -> Spreadsheet:
    """Open an uploaded file; `filename` is the name the customer uploaded."""
    path = Path(path)
    name = _display_name(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in EXCEL_SUFFIXES | CSV_SUFFIXES | {".xls"}:
        raise UnreadableFile(
            text(N_("“%(name)s” cannot be read: upload an Excel workbook (.xlsx) or a CSV file (.csv)."), name=name)
        )
    with open(path, "rb") as f:
        head = f.read(_CHUNK)
    if not head:
        raise UnreadableFile(text(N_("“%(name)s” is empty."), name=name))
    if head.startswith(ZIP_MAGIC):
        if b"mimetypeapplication/vnd.oasis.opendocument" in head[:200]:
            raise UnreadableFile(
                text(N_("“%(name)s” is an OpenDocument (LibreOffice) file: save it as .xlsx or CSV."), name=name)
            )
        try:
            check_workbook(path, name)
        except TooLarge as exc:
            raise UnreadableFile(exc.text) from None
        except Exception as exc:  # BadZipFile, and NotImplementedError for a zip version Python lacks (atheris)
            raise UnreadableFile(_damaged(name)) from exc
        return _XlsxSpreadsheet(path, name)  # also a workbook with a .csv name
    if head.startswith(OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in head:
            raise UnreadableFile(
                text(
                    N_("“%(name)s” is protected with a password: remove the password in Excel and upload it again."),
                    name=name,
                )
            )
        raise UnreadableFile(text(N_("Excel 97–2003 (.xls) files cannot be read: save it as .xlsx or CSV.")))
    if suffix in CSV_SUFFIXES:
        return _CsvSpreadsheet(path, name, head)
    if _looks_like_text(head):
        raise UnreadableFile(
            text(
                N_(
                    "“%(name)s” is not an Excel workbook: it looks like a text (CSV) file with an "
                    "%(suffix)s name. Save it from Excel as .xlsx, or rename it to .csv."
                ),
                name=name,
                suffix=suffix,
            )
        )
    raise UnreadableFile(_damaged(name))
