"""A corpus of bad spreadsheet files, written on demand (no binaries in git): each with the words
the customer's message must contain. Used by tests/test_bad_files.py on every upload path.

Zip bombs and entity bombs are made the way an attacker would: a valid workbook whose parts are
replaced, so that only the limits in webapp/domain/sheet_limits.py stand in the way."""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}"><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


@dataclass(frozen=True)
class BadFile:
    filename: str
    expect: str  # words the message must contain
    make: object  # callable(path)


def _workbook_bytes() -> bytes:
    book = Workbook()
    book.active["A1"] = "Telefon"
    book.active["A2"] = "0722 123 456"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _replace_parts(path: Path, parts: dict[str, object], extra: int = 0) -> None:
    """A valid workbook with some parts replaced (bytes, or an iterable of byte chunks)."""
    with (
        zipfile.ZipFile(io.BytesIO(_workbook_bytes())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for item in source.infolist():
            content = parts.get(item.filename, source.read(item.filename))
            if isinstance(content, bytes):
                target.writestr(item.filename, content)
            else:
                with target.open(item.filename, "w", force_zip64=True) as member:
                    for chunk in content:
                        member.write(chunk)
        for i in range(extra):
            target.writestr(f"customXml/item{i}.xml", b"<a/>")


def _sheet(rows_xml: str, doctype: str = "") -> bytes:
    head = SHEET_HEAD.replace("\n<worksheet", f"\n{doctype}<worksheet") if doctype else SHEET_HEAD
    return (head + rows_xml + SHEET_TAIL).encode()


def zip_bomb(path: Path) -> None:
    """2.9 MB in the probe; here about 0.3 MB that unpacks to 300 MB of empty rows."""

    def chunks():
        yield SHEET_HEAD.encode() + b'<row r="1"><c r="A1" t="inlineStr"><is><t>0722123456</t></is></c></row>'
        block = b"<row/>" * (1 << 17)
        for _ in range(300 * (1 << 20) // len(block)):
            yield block
        yield SHEET_TAIL.encode()

    _replace_parts(path, {"xl/worksheets/sheet1.xml": chunks()})


def billion_laughs_sheet(path: Path) -> None:
    _replace_parts(
        path,
        {
            "xl/worksheets/sheet1.xml": _sheet(
                '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>', LAUGHS
            )
        },
    )


def billion_laughs_workbook(path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(_workbook_bytes())) as source:
        workbook = source.read("xl/workbook.xml").decode()
    workbook = workbook.replace("<workbook", LAUGHS + "<workbook", 1).replace('name="Sheet"', 'name="&lol9;"', 1)
    _replace_parts(path, {"xl/workbook.xml": workbook.encode()})


def xxe(path: Path) -> None:
    _replace_parts(
        path,
        {
            "xl/worksheets/sheet1.xml": _sheet(
                '<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>',
                '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            )
        },
    )


def wide_xlsx(path: Path) -> None:
    cells = "".join(f'<c t="inlineStr"><is><t>v{i}</t></is></c>' for i in range(50_000))
    _replace_parts(path, {"xl/worksheets/sheet1.xml": _sheet(f'<row r="1">{cells}</row>')})


def wide_csv(path: Path) -> None:
    path.write_text(";".join(f"v{i}" for i in range(50_000)) + "\n0722123456\n", encoding="utf-8")


def beyond_excel_rows(path: Path) -> None:
    _replace_parts(
        path,
        {
            "xl/worksheets/sheet1.xml": _sheet(
                '<row r="1"><c r="A1"><v>722123456</v></c></row><row r="1048577"><c r="A1048577"><v>1</v></c></row>'
            )
        },
    )


def million_empty_lines(path: Path) -> None:
    path.write_bytes(b"\r\n" * 1_000_000)


def many_parts(path: Path) -> None:
    _replace_parts(path, {}, extra=2500)


def binary_garbage(path: Path) -> None:
    path.write_bytes(bytes((i * 7919 + 13) % 256 for i in range(64 * 1024)))


def csv_named_xlsx(path: Path) -> None:
    path.write_text("Telefon;Nume\n0722123456;Ana\n", encoding="utf-8")


def old_xls(path: Path) -> None:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4088)


def encrypted_xlsx(path: Path) -> None:
    """What Excel writes for a workbook with a password: an OLE file holding EncryptionInfo."""
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 3000
    )


def truncated_zip(path: Path) -> None:
    data = _workbook_bytes()
    path.write_bytes(data[: len(data) // 2])


def newer_zip_version(path: Path) -> None:
    """A zip whose directory asks for a newer zip version than Python reads (found by atheris:
    zipfile raises NotImplementedError, which was a 500)."""
    data = bytearray(_workbook_bytes())
    at = data.find(b"PK\x01\x02")
    while at != -1:
        data[at + 6 : at + 8] = (236).to_bytes(2, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def junk_before_rows(path: Path) -> None:
    """200,000 elements before <sheetData> (a reader that keeps them fills memory)."""
    junk = "<sheetViews>" + "<sheetView/>" * 200_000 + "</sheetViews>"
    body = (
        SHEET_HEAD.replace("<sheetData>", junk + "<sheetData>")
        + '<row r="1"><c r="A1"><v>722123456</v></c></row>'
        + SHEET_TAIL
    )
    _replace_parts(path, {"xl/worksheets/sheet1.xml": body.encode()})


def wide_empty_row(path: Path) -> None:
    """One row of 200,000 empty cells: nothing beyond column 256 has a value, but the row alone
    would be held whole."""
    _replace_parts(path, {"xl/worksheets/sheet1.xml": _sheet('<row r="1">' + "<c/>" * 200_000 + "</row>")})


def rows_all_numbered_one(path: Path) -> None:
    """1,100,000 empty rows that all say r="1": counted as rows all the same."""

    def chunks():
        yield SHEET_HEAD.encode()
        block = b'<row r="1"/>' * 100_000
        for _ in range(11):
            yield block
        yield SHEET_TAIL.encode()

    _replace_parts(path, {"xl/worksheets/sheet1.xml": chunks()})


def many_shared_strings(path: Path) -> None:
    """1,100,000 shared strings in 6 MB (openpyxl keeps each one while the workbook is open)."""

    def chunks():
        yield b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="' + MAIN_NS.encode() + b'">'
        for _ in range(11):
            yield b"<si/>" * 100_000
        yield b"</sst>"

    with zipfile.ZipFile(io.BytesIO(_workbook_bytes())) as source:
        names = source.namelist()
    if "xl/sharedStrings.xml" in names:
        _replace_parts(path, {"xl/sharedStrings.xml": chunks()})
    else:  # openpyxl wrote inline strings: add the part (the check reads the zip, not the rels)
        _replace_parts(path, {})
        with (
            zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as target,
            target.open("xl/sharedStrings.xml", "w", force_zip64=True) as member,
        ):
            for chunk in chunks():
                member.write(chunk)


def utf16_csv(path: Path) -> None:
    """Not bad at all: Excel's "Unicode text". Read, not refused (the control case)."""
    path.write_bytes(codecs.BOM_UTF16_LE + "Telefon\tNume\n0722123456\tȘtefan\n".encode("utf-16-le"))


CORPUS = [
    BadFile("bomb.xlsx", "unpacks to more than 256 MB", zip_bomb),
    BadFile("laughs.xlsx", "declares XML entities", billion_laughs_sheet),
    BadFile("laughs-workbook.xlsx", "declares XML entities", billion_laughs_workbook),
    BadFile("xxe.xlsx", "declares XML entities", xxe),
    BadFile("wide.xlsx", "holds more cells than Excel allows", wide_xlsx),  # 50,000 > 16,384
    BadFile("wide.csv", "at most 256 columns", wide_csv),
    BadFile("rows.xlsx", "more than 1,048,576 rows", beyond_excel_rows),
    BadFile("empty-lines.csv", "has no rows", million_empty_lines),
    BadFile("parts.xlsx", "parts inside", many_parts),
    BadFile("garbage.csv", "is not a text (CSV) file", binary_garbage),
    BadFile("list.xlsx", "looks like a text (CSV) file", csv_named_xlsx),
    BadFile("old.xls", "Excel 97–2003 (.xls) files cannot be read", old_xls),
    BadFile("locked.xlsx", "protected with a password", encrypted_xlsx),
    BadFile("cut.xlsx", "is damaged or not an Excel workbook", truncated_zip),
    BadFile("zip-version.xlsx", "is damaged or not an Excel workbook", newer_zip_version),
    BadFile("junk.xlsx", "elements besides its rows", junk_before_rows),
    BadFile("wide-empty.xlsx", "holds more cells than Excel allows", wide_empty_row),
    # Uploading it reads 5,000 rows and finds none ("has no rows"); reading it all counts past
    # Excel's last row ("more than 1,048,576 rows"): either way a message with "rows".
    BadFile("rows-one.xlsx", "rows", rows_all_numbered_one),
    BadFile("strings.xlsx", "different texts", many_shared_strings),
]
READABLE = [BadFile("unicode.csv", "", utf16_csv)]


def write_corpus(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for item in CORPUS + READABLE:
        path = folder / item.filename
        if not path.exists():
            item.make(path)
        paths[item.filename] = path
    return paths
