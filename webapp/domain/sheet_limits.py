"""What an uploaded spreadsheet may expand to, checked before it is read.

An .xlsx is a zip of XML: 3 MB uploaded can be 1 GB of sheet XML (a "zip bomb"), and XML can
declare entities that expand a billion times. The zip's directory says how large each part is once
unpacked, and Python's zipfile never unpacks more than that, so checking it first is enough for
size; the sheet XML is parsed with defusedxml (no DTD, no entities); rows and columns are counted
while reading. Every limit is far above what Excel itself writes for the files customers send:
Excel's own maximum is 1,048,576 rows, and a contact list or campaign file has a few dozen columns."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from webapp.domain import N_
from webapp.domain.texts import TextError, text

MB = 1024 * 1024


@dataclass(frozen=True)
class SheetLimits:
    sheet_bytes: int = 256 * MB  # each worksheet's XML, unpacked
    shared_strings_bytes: int = 64 * MB  # the workbook's shared strings, held in memory while reading
    shared_strings: int = 1_000_000  # ... counted before openpyxl loads them (it keeps each one)
    other_part_bytes: int = 16 * MB  # styles, workbook, relationships, anything else
    total_bytes: int = 512 * MB  # the whole workbook, unpacked
    parts: int = 2000  # zip members
    rows: int = 1_048_576  # Excel's own maximum
    columns: int = 256  # filled columns in a row
    preview_scan_rows: int = 5000  # the web process looks this far for the first rows, no further


LIMITS = SheetLimits()


class TooLarge(TextError):
    """The file is over a limit; str(exc) is a plain message for the customer (in English;
    ``exc.text`` is the same message to translate where it is shown)."""


def check_workbook(path: Path, name: str, limits: SheetLimits = LIMITS) -> None:
    """Refuse an .xlsx whose parts would unpack beyond the limits (raises TooLarge), or whose zip
    directory cannot be read (zipfile.BadZipFile, for the caller to call damaged)."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    if len(members) > limits.parts:
        raise TooLarge(
            text(
                N_(
                    "“%(name)s” has %(parts)s parts inside; an Excel workbook has a few dozen. "
                    "Save it again from Excel, or as CSV."
                ),
                name=name,
                parts=len(members),
            )
        )
    total = 0
    for member in members:
        total += member.file_size
        limit = _limit_for(member.filename, limits)
        if member.file_size > limit:
            raise TooLarge(
                text(
                    N_(
                        "“%(name)s” unpacks to more than %(limit)s MB (%(part)s: %(size)s MB). "
                        "Split it into smaller files, or save it as CSV."
                    ),
                    name=name,
                    limit=limit // MB,
                    part=member.filename,
                    size=round(member.file_size / MB),
                )
            )
    if total > limits.total_bytes:
        raise TooLarge(
            text(
                N_(
                    "“%(name)s” unpacks to %(size)s MB, more than %(limit)s MB. "
                    "Split it into smaller files, or save it as CSV."
                ),
                name=name,
                size=round(total / MB),
                limit=limits.total_bytes // MB,
            )
        )
    strings = [m for m in members if m.filename.lower().endswith("sharedstrings.xml")]
    if strings and _count_strings(path, strings[0].filename) > limits.shared_strings:
        raise TooLarge(
            text(
                N_(
                    "“%(name)s” holds more than %(count)s different texts. Split it into smaller files, or save it as CSV."
                ),
                name=name,
                count=limits.shared_strings,
            )
        )


_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")


def _count_strings(path: Path, member: str) -> int:
    """<si> elements in the shared strings, counted from the unpacked bytes in 1 MB pieces
    (openpyxl keeps every one in memory while the workbook is open)."""
    count, tail = 0, b""
    with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
        while piece := stream.read(MB):
            data = tail + piece
            count += len(_STRING_TAG.findall(data))
            tail = data[-32:]
            count -= len(_STRING_TAG.findall(tail))  # a tag in the overlap is counted with the next piece
    return count + len(_STRING_TAG.findall(tail))


def _limit_for(part: str, limits: SheetLimits) -> int:
    lowered = part.lower()
    if lowered.startswith("xl/worksheets/") and lowered.endswith(".xml"):
        return limits.sheet_bytes
    if lowered.endswith("sharedstrings.xml"):
        return limits.shared_strings_bytes
    return limits.other_part_bytes


def too_many_rows(name: str, limits: SheetLimits = LIMITS) -> TooLarge:
    return TooLarge(
        text(
            N_("“%(name)s” has more than %(rows)s rows, more than Excel itself allows. Split it into smaller files."),
            name=name,
            rows=limits.rows,
        )
    )


def too_many_cells(name: str, row: int) -> TooLarge:
    return TooLarge(
        text(
            N_(
                "Row %(row)s of “%(name)s” holds more cells than Excel allows (%(cells)s): it was not written "
                "by Excel. Save it again from Excel, or as CSV."
            ),
            row=row,
            name=name,
            cells=16_384,
        )
    )


def too_many_columns(name: str, row: int, column: int, limits: SheetLimits = LIMITS) -> TooLarge:
    return TooLarge(
        text(
            N_(
                "Row %(row)s of “%(name)s” has a value in column %(column)s; at most %(columns)s "
                "columns can be read. Remove the columns you do not need."
            ),
            row=row,
            name=name,
            column=column,
            columns=limits.columns,
        )
    )


def unpacked_size(path: Path) -> int:
    """The bytes a reader goes through: an .xlsx's parts unpacked, a text file's own size."""
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return Path(path).stat().st_size
