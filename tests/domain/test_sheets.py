"""Tests for webapp.domain.sheets (pure Python: no app, no database)."""

from __future__ import annotations

import os
import random
import re
import time as clock
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest

from tests.samples import SAMPLES as _SAMPLES
from webapp.domain import sheets
from webapp.domain.sheets import SheetInfo, Spreadsheet, UnreadableFile, cell_text, open_spreadsheet

SAMPLES = Path(os.environ.get("SHEETS_SAMPLES") or _SAMPLES)
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="sample files not available")

# Words that must never reach a customer.
TECHNICAL = re.compile(r"Traceback|Error|Exception|zip|openpyxl|codec|decode|\bNone\b")


def make_xlsx(path: Path, sheets_rows: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets_rows.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def read_all(path: Path, filename: str, **kw) -> list[tuple[int, list[str]]]:
    with open_spreadsheet(path, filename) as book:
        return list(book.rows(**kw))


# ---------------------------------------------------------------- sample files

SAMPLE_TABLE = [
    # file, kind, encoding, delimiter, start, rows, first (number, cells), last row number
    (
        "address_book.xlsx",
        "xlsx",
        None,
        None,
        4,
        1000,
        (4, ["Constantin", "Oксана", "0775807302", "Cluj-Napoca"]),
        1003,
    ),
    ("address_book.xlsx", "xlsx", None, None, 1, 1002, (1, ["Clienți fidelitate – export CRM"]), 1003),
    ("batch.xlsx", "xlsx", None, None, 1, 501, (1, ["Telefon", "Mesaj", "Referinta"]), 501),
    (
        "theatre_reservations.xlsx",
        "xlsx",
        None,
        None,
        1,
        301,
        (1, ["Nume", "Telefon", "Spectacol", "Data", "Ora", "Loc"]),
        301,
    ),
    ("contacts_excel_export.csv", "csv", "utf-8-sig", ";", 1, 201, (1, ["Nume", "Prenume", "Telefon", "Oraș"]), 201),
]


@needs_samples
@pytest.mark.parametrize("name,kind,encoding,delimiter,start,count,first,last", SAMPLE_TABLE)
def test_sample_files(name, kind, encoding, delimiter, start, count, first, last):
    with open_spreadsheet(SAMPLES / name, name) as book:
        assert (book.kind, book.encoding, book.delimiter) == (kind, encoding, delimiter)
        assert book.sheets() == [SheetInfo(Path(name).stem if kind == "csv" else "Sheet", 0)]
        rows = list(book.rows(start=start))
    assert len(rows) == count
    assert rows[0] == first
    assert rows[-1][0] == last
    assert all(cell == cell.strip() and "\ufeff" not in cell for _, cells in rows for cell in cells)


@needs_samples
def test_address_book_numbers_follow_excel_rows():
    rows = read_all(SAMPLES / "address_book.xlsx", "address_book.xlsx")
    assert [n for n, _ in rows[:3]] == [1, 3, 4]  # row 2 is empty, row 3 the header
    assert rows[1][1] == ["Nume", "Prenume", "Telefon", "Oraș"]
    body = read_all(SAMPLES / "address_book.xlsx", "address_book.xlsx", start=4)
    assert [n for n, _ in body] == list(range(4, 1004))


@needs_samples
def test_batch_numeric_phone_cells_keep_their_digits():
    raw = openpyxl.load_workbook(SAMPLES / "batch.xlsx", read_only=True)
    numeric_rows = {
        i for i, (v, *_) in enumerate(raw.worksheets[0].iter_rows(values_only=True), 1) if isinstance(v, (int, float))
    }
    raw.close()
    assert len(numeric_rows) > 100
    rows = dict(read_all(SAMPLES / "batch.xlsx", "batch.xlsx"))
    assert rows[2][0] == "40757797750"
    for n in numeric_rows:
        assert re.fullmatch(r"\d{8,15}", rows[n][0]), rows[n]


@needs_samples
def test_preview_of_address_book_is_padded():
    with open_spreadsheet(SAMPLES / "address_book.xlsx", "address_book.xlsx") as book:
        preview = book.preview(limit=5)
    assert [n for n, _ in preview] == [1, 3, 4, 5, 6]
    assert preview[0][1] == ["Clienți fidelitate – export CRM", "", "", ""]
    assert {len(cells) for _, cells in preview} == {4}


@needs_samples
def test_csv_named_xlsx_is_rejected_with_a_clear_message():
    with pytest.raises(UnreadableFile) as info:
        open_spreadsheet(SAMPLES / "not_really.xlsx", "not_really.xlsx")
    message = str(info.value)
    assert "“not_really.xlsx” is not an Excel workbook" in message
    assert "rename it to .csv" in message
    assert not TECHNICAL.search(message)


# ---------------------------------------------------------------- cell texts


@pytest.mark.parametrize(
    "value,text",
    [
        (None, ""),
        ("  0722 123 456 \t", "0722 123 456"),
        ("\u00a0Ion\u00a0", "Ion"),
        (40757797750, "40757797750"),
        (40757797750.0, "40757797750"),
        (-3.0, "-3"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (1e20, "1e+20"),
        (True, "TRUE"),
        (False, "FALSE"),
        (datetime(2026, 12, 9), "09.12.2026"),
        (datetime(2026, 12, 9, 19, 30, 15), "09.12.2026 19:30"),
        (date(2026, 1, 2), "02.01.2026"),
        (time(7, 5), "07:05"),
        (timedelta(hours=27, minutes=3), "27:03"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_xlsx_cell_types_round_trip(tmp_path):
    path = make_xlsx(
        tmp_path / "t.xlsx",
        {
            "S": [
                ["Telefon", "Data", "Ora", "Suma", "Activ", "Când"],
                [40757797750.0, date(2026, 12, 9), time(19, 30), 12.5, True, datetime(2026, 12, 9, 8, 0)],
                [" 0722123456 ", None, None, None, None, None],
            ]
        },
    )
    assert read_all(path, "t.xlsx") == [
        (1, ["Telefon", "Data", "Ora", "Suma", "Activ", "Când"]),
        (2, ["40757797750", "09.12.2026", "19:30", "12.5", "TRUE", "09.12.2026 08:00"]),
        (3, ["0722123456"]),  # trailing empty cells trimmed
    ]


# ---------------------------------------------------------------- small CSV files

CSV_TABLE = [
    # id, bytes, encoding, delimiter, expected rows
    (
        "cp1250-romanian",
        "Nume;Oraș;Telefon\r\nȘtefănescu;Brașov;0722123456\r\nȚăranu;Timișoara;0733111222\r\n".translate(
            str.maketrans("ȘșȚț", "ŞşŢţ")
        ).encode("cp1250"),
        "cp1250",
        ";",
        [
            (1, ["Nume", "Oraş", "Telefon"]),
            (2, ["Ştefănescu", "Braşov", "0722123456"]),
            (3, ["Ţăranu", "Timişoara", "0733111222"]),
        ],
    ),
    (
        "cp1251-cyrillic",
        "Прізвище;Місто;Телефон\r\nШевченко;Київ;0722123456\r\n".encode("cp1251"),
        "cp1251",
        ";",
        [(1, ["Прізвище", "Місто", "Телефон"]), (2, ["Шевченко", "Київ", "0722123456"])],
    ),
    (
        "cp1251-single-line",
        "Шевченко;Київ;0722123456".encode("cp1251"),
        "cp1251",
        ";",
        [(1, ["Шевченко", "Київ", "0722123456"])],
    ),
    (
        "cp1250-single-line",
        "Ştefănescu;Braşov;0722123456".encode("cp1250"),
        "cp1250",
        ";",
        [(1, ["Ştefănescu", "Braşov", "0722123456"])],
    ),
    (
        "utf-8-no-bom-comma",
        "Nume,Oraș\nȘtefan,Iași\n".encode(),
        "utf-8",
        ",",
        [(1, ["Nume", "Oraș"]), (2, ["Ștefan", "Iași"])],
    ),
    (
        "tab",
        b"Nume\tTelefon\tOras\nIon\t0722 123 456\tCluj\n",
        "utf-8",
        "\t",
        [(1, ["Nume", "Telefon", "Oras"]), (2, ["Ion", "0722 123 456", "Cluj"])],
    ),
    (
        "quoted-semicolons-in-comma-file",
        'Telefon,Mesaj\r\n0722123456,"Buna; ziua, Ion"\r\n0733,"Doua\r\nrânduri"\r\n0744,simplu\r\n'.encode(),
        "utf-8",
        ",",
        [
            (1, ["Telefon", "Mesaj"]),
            (2, ["0722123456", "Buna; ziua, Ion"]),
            (3, ["0733", "Doua\r\nrânduri"]),
            (4, ["0744", "simplu"]),
        ],
    ),
    (
        "decimal-commas-in-semicolon-file",
        b"Nume;Suma;Oras\nIon;12,5;Iasi\nAna;3,75;Cluj\n",
        "utf-8",
        ";",
        [(1, ["Nume", "Suma", "Oras"]), (2, ["Ion", "12,5", "Iasi"]), (3, ["Ana", "3,75", "Cluj"])],
    ),
    (
        "empty-lines-keep-numbering",
        b"Nume;Tel\n\nIon;0722\n;;\n \nAna;0733\n",
        "utf-8",
        ";",
        [(1, ["Nume", "Tel"]), (3, ["Ion", "0722"]), (6, ["Ana", "0733"])],
    ),
    (
        "title-line-then-header",
        b"Export clienti\n\nNume;Prenume;Tel\nPop;Ion;0722\nLup;Ana;0733\n",
        "utf-8",
        ";",
        [
            (1, ["Export clienti"]),
            (3, ["Nume", "Prenume", "Tel"]),
            (4, ["Pop", "Ion", "0722"]),
            (5, ["Lup", "Ana", "0733"]),
        ],
    ),
    ("single-column", b"0722123456\n0733123456\n", "utf-8", ",", [(1, ["0722123456"]), (2, ["0733123456"])]),
    (
        "excel-sep-line",
        b"sep=;\r\nNume;Tel\r\nIon;0722\r\n",
        "utf-8",
        ";",
        [(1, ["Nume", "Tel"]), (2, ["Ion", "0722"])],
    ),
    ("excel-sep-line-tab", b"sep=\t\nNume\tTel\n", "utf-8", "\t", [(1, ["Nume", "Tel"])]),
    (
        "utf-16-unicode-text",
        "Nume\tTel\r\nȘtefan\t0722\r\n".encode("utf-16"),
        "utf-16",
        "\t",
        [(1, ["Nume", "Tel"]), (2, ["Ștefan", "0722"])],
    ),
]


@pytest.mark.parametrize(
    "data,encoding,delimiter,expected", [row[1:] for row in CSV_TABLE], ids=[row[0] for row in CSV_TABLE]
)
def test_csv_files(tmp_path, data, encoding, delimiter, expected):
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    with open_spreadsheet(path, "Contacte client.csv") as book:
        assert (book.kind, book.encoding, book.delimiter) == ("csv", encoding, delimiter)
        assert book.sheets() == [SheetInfo("Contacte client", 0)]
        assert list(book.rows()) == expected


def test_csv_rows_start_and_preview(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"a;b;c\n\nx\n1;2\n")
    with open_spreadsheet(path, r"C:\fakepath\lista.txt") as book:
        assert book.sheets() == [SheetInfo("lista", 0)]
        assert list(book.rows(start=3)) == [(3, ["x"]), (4, ["1", "2"])]
        assert book.preview() == [(1, ["a", "b", "c"]), (3, ["x", "", ""]), (4, ["1", "2", ""])]
        assert book.preview(limit=1) == [(1, ["a", "b", "c"])]
        with pytest.raises(IndexError):
            list(book.rows(sheet=1))


def test_utf8_split_across_check_chunks_is_still_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "_CHUNK", 1000)
    path = tmp_path / "c.csv"
    path.write_bytes(b"a;b\n" + b"x" * 995 + "ș;ț\n".encode())  # "ș" straddles byte 1000
    with open_spreadsheet(path, "c.csv") as book:
        assert book.encoding == "utf-8"
        assert list(book.rows())[-1] == (2, ["x" * 995 + "ș", "ț"])


def test_bad_byte_after_the_checked_part_does_not_crash(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "_CHUNK", 1000)
    monkeypatch.setattr(sheets, "_UTF8_CHECK_LIMIT", 1000)
    path = tmp_path / "c.csv"
    path.write_bytes(b"Nume;Tel\n" + b"Ion;0722\n" * 300 + "Ştefănescu;0733\n".encode("cp1250"))
    rows = read_all(path, "c.csv")
    assert len(rows) == 302
    assert rows[-1] == (302, ["\ufffdtef\ufffdnescu", "0733"])


def test_unclosed_quote_gives_a_customer_message(tmp_path, monkeypatch):
    path = tmp_path / "c.csv"
    path.write_bytes(b'Nume;Tel\nIon;"0722\n' + b"Ana;0733\n" * 20_000)
    with open_spreadsheet(path, "c.csv") as book, pytest.raises(UnreadableFile) as info:
        list(book.rows())
    assert "after row 1" in str(info.value) and not TECHNICAL.search(str(info.value))


# ---------------------------------------------------------------- xlsx details


def test_multi_sheet_workbook(tmp_path):
    path = make_xlsx(
        tmp_path / "m.xlsx",
        {
            "Clienți": [["Nume", "Tel"], ["Ion", 722123456]],
            "Furnizori": [["Firma", "Tel"], ["ACME", "0733 111 222"], [None, None], ["Beta", 40744000111.0]],
        },
    )
    with open_spreadsheet(path, "m.xlsm") as book:
        assert book.sheets() == [SheetInfo("Clienți", 0), SheetInfo("Furnizori", 1)]
        assert list(book.rows(sheet=1)) == [
            (1, ["Firma", "Tel"]),
            (2, ["ACME", "0733 111 222"]),
            (4, ["Beta", "40744000111"]),
        ]
        assert list(book.rows(sheet=1, start=3)) == [(4, ["Beta", "40744000111"])]
        assert book.preview(sheet=0) == [(1, ["Nume", "Tel"]), (2, ["Ion", "722123456"])]
        with pytest.raises(IndexError):
            book.preview(sheet=2)


def test_xlsx_gaps_and_wrong_stored_dimension(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "Nume", "Tel"
    ws["A2"] = "Ion"
    ws["C7"] = "  x  "
    wb.save(tmp_path / "g.xlsx")
    # Some exporters write a wrong <dimension>; reading must not stop there.
    with zipfile.ZipFile(tmp_path / "g.xlsx") as src, zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"', data)
            dst.writestr(item, data)
    expected = [(1, ["Nume", "Tel"]), (2, ["Ion"]), (7, ["", "", "x"])]
    assert read_all(tmp_path / "g.xlsx", "g.xlsx") == expected
    assert read_all(tmp_path / "bad.xlsx", "bad.xlsx") == expected


def test_workbook_with_csv_name_is_read_as_xlsx(tmp_path):
    path = make_xlsx(tmp_path / "w", {"S": [["Tel"], [40722123456]]})  # stored without .xlsx
    with open_spreadsheet(path, "export.csv") as book:
        assert (book.kind, book.encoding, book.delimiter) == ("xlsx", None, None)
        assert list(book.rows()) == [(1, ["Tel"]), (2, ["40722123456"])]


def test_close_and_context_manager(tmp_path):
    path = make_xlsx(tmp_path / "c.xlsx", {"S": [["a"]]})
    book = open_spreadsheet(path, "c.xlsx")
    assert isinstance(book, Spreadsheet)
    book.close()
    book.close()  # twice is fine
    with pytest.raises(ValueError):
        list(book.rows())


# ---------------------------------------------------------------- files we refuse


def ods_bytes(tmp_path: Path) -> bytes:
    with zipfile.ZipFile(tmp_path / "x.ods", "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<x/>")
    return (tmp_path / "x.ods").read_bytes()


REFUSED_TABLE = [
    # id, filename, content (bytes or callable(tmp_path)), expected message (regex)
    ("empty", "x.csv", b"", r"^“x\.csv” is empty\.$"),
    ("empty-xlsx", "x.xlsx", b"", r"^“x\.xlsx” is empty\.$"),
    (
        "old-xls",
        "vechi.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
        r"^Excel 97–2003 \(\.xls\) files cannot be read: save it as \.xlsx or CSV\.$",
    ),
    ("old-xls-named-xlsx", "vechi.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), r"Excel 97–2003 \(\.xls\)"),
    ("old-xls-named-csv", "vechi.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), r"Excel 97–2003 \(\.xls\)"),
    (
        "password-protected",
        "p.xlsx",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "EncryptionInfo".encode("utf-16-le"),
        r"protected with a password",
    ),
    ("pdf", "factura.pdf", b"%PDF-1.4\n...", r"^“factura\.pdf” cannot be read: .*\(\.xlsx\).*\(\.csv\)"),
    ("no-extension", "contacte", b"a;b\n", r"\(\.xlsx\).*\(\.csv\)"),
    (
        "random-bytes-xlsx",
        "r.xlsx",
        random.Random(7).randbytes(4000),
        r"^“r\.xlsx” is damaged or not an Excel workbook\.$",
    ),
    (
        "broken-zip-xlsx",
        "z.xlsx",
        b"PK\x03\x04" + random.Random(8).randbytes(4000),
        r"^“z\.xlsx” is damaged or not an Excel workbook\.$",
    ),
    (
        "docx-named-xlsx",
        "d.xlsx",
        lambda tmp: _zip_with(tmp, "word/document.xml"),
        r"is damaged or not an Excel workbook",
    ),
    ("text-named-xls", "t.xls", b"Nume\tTel\nIon\t0722\n", r"looks like a text \(CSV\) file with an \.xls name"),
    ("binary-named-csv", "b.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r"^“b\.csv” is not a text \(CSV\) file\.$"),
    ("ods", "calc.xlsx", ods_bytes, r"OpenDocument"),
]


def _zip_with(tmp_path: Path, member: str) -> bytes:
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as z:
        z.writestr(member, "<x/>")
    return (tmp_path / "z.zip").read_bytes()


@pytest.mark.parametrize(
    "filename,content,message", [row[1:] for row in REFUSED_TABLE], ids=[row[0] for row in REFUSED_TABLE]
)
def test_refused_files(tmp_path, filename, content, message):
    path = tmp_path / "upload.bin"
    path.write_bytes(content(tmp_path) if callable(content) else content)
    with pytest.raises(UnreadableFile) as info:
        open_spreadsheet(path, filename)
    assert isinstance(info.value, ValueError)
    assert re.search(message, str(info.value)), str(info.value)
    assert not TECHNICAL.search(str(info.value))


# ---------------------------------------------------------------- big files, streamed


def test_big_files_stream(tmp_path):
    began = clock.perf_counter()
    csv_path = tmp_path / "big.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        f.write("Telefon;Nume;Mesaj\r\n")
        for i in range(100_000):
            f.write(f'07{i:08d};Client {i};"Salut; comanda {i}, livrată"\r\n')
    with open_spreadsheet(csv_path, "big.csv") as book:
        count = last = 0
        for last, cells in book.rows():
            count += 1
        assert (book.delimiter, count, last, cells[0]) == (";", 100_001, 100_001, "0700099999")

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Mare")
    ws.append(["Telefon", "Nume"])
    for i in range(20_000):
        ws.append([40722000000 + i, f"Client {i}"])
    wb.save(tmp_path / "big.xlsx")
    with open_spreadsheet(tmp_path / "big.xlsx", "big.xlsx") as book:
        assert book.sheets() == [SheetInfo("Mare", 0)]
        count = sum(1 for _ in book.rows())
        assert count == 20_001
        assert list(book.rows(start=20_001)) == [(20_001, ["40722019999", "Client 19999"])]
    assert clock.perf_counter() - began < 10


# ---------------------------------------------------------------- workbooks saved by Excel itself

EXCEL_SAVED = ["excel_saved.xlsx", "excel_saved_rich_text.xlsx"]


@pytest.mark.parametrize("name", EXCEL_SAVED)
def test_a_workbook_saved_by_excel_reads_as_openpyxl_reads_it(name):
    """Shared strings, rich text runs, dates by their number format, booleans, numbers: the
    reader's own XML parsing gives, cell for cell, what openpyxl's full reader gives."""
    import openpyxl

    from tests.samples import SAMPLES
    from webapp.domain.sheets import cell_text

    path = SAMPLES / name
    full = openpyxl.load_workbook(path, data_only=True)
    with open_spreadsheet(path, name) as book:
        assert [s.name for s in book.sheets()] == [ws.title for ws in full.worksheets]
        for info, ws in zip(book.sheets(), full.worksheets):
            expected = []
            for number, row in enumerate(ws.iter_rows(values_only=True), 1):
                cells = [cell_text(v) for v in row]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    expected.append((number, cells))
            assert list(book.rows(info.index)) == expected, info.name


def test_the_openpyxl_insides_the_reader_uses_are_where_it_expects():
    """webapp/domain/sheet_xml.openpyxl_internals names openpyxl attributes that are not public:
    an openpyxl upgrade that moves them fails here, by name, before any customer file does."""
    from datetime import datetime

    import openpyxl

    from tests.samples import SAMPLES
    from webapp.domain.sheet_xml import openpyxl_internals

    book = openpyxl.load_workbook(SAMPLES / "excel_saved.xlsx", read_only=True, data_only=True)
    inside = openpyxl_internals(book.worksheets[0])
    assert "test" in list(inside.shared_strings) and isinstance(inside.epoch, datetime)
    assert len(inside.date_styles) >= 1  # the sheet has a date (numFmtId 14)
    with inside.open_xml() as source:
        assert b"<sheetData" in source.read(4096)
    book.close()


def test_the_preview_stops_after_5000_rows_even_when_every_row_says_it_is_row_1(tmp_path):
    """Rows that all claim r="1" never pass the preview's row number: the preview counts the rows
    it has seen too, so it returns (empty) where reading the whole sheet counts past Excel's last row."""
    from tests.bad_files import rows_all_numbered_one

    path = tmp_path / "rows-one.xlsx"
    rows_all_numbered_one(path)
    with open_spreadsheet(path, "rows-one.xlsx") as book:
        assert book.preview(0, limit=1) == []
        with pytest.raises(UnreadableFile, match="more than 1,048,576 rows"):
            list(book.rows(0))


@pytest.mark.parametrize(
    "xml, refused",
    [
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><worksheet/>', True),
        (
            b'<?xml version="1.0"?>\n<!-- made by hand -->\n'
            + b" " * 5000
            + b"<!DOCTYPE r SYSTEM 'file:///etc/passwd'><r/>",
            True,
        ),
        (b'<?xml version="1.0"?><worksheet xmlns="x"><sheetData/></worksheet>', False),
        (b'<?xml version="1.0"?><worksheet><c>&lt;!DOCTYPE is text here</c></worksheet>', False),
    ],
)
def test_a_doctype_before_the_root_is_refused_however_the_bytes_arrive(xml, refused):
    """sheet_xml.NoDoctype: what defusedxml's forbid_dtd does, in front of the C parser; the
    DOCTYPE may arrive split over reads."""
    import io

    from defusedxml import DefusedXmlException

    from webapp.domain.sheet_xml import NoDoctype

    stream = NoDoctype(io.BytesIO(xml))
    read = lambda: b"".join(iter(lambda: stream.read(7), b""))  # noqa: E731
    if refused:
        with pytest.raises(DefusedXmlException):
            read()
    else:
        assert read() == xml
