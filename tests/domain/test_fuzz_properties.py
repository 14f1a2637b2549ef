"""Property tests (hypothesis) of what reads customer and network input (issue 16, fuzzing): the
spreadsheet readers, the number reader, the placeholder renderer, the receipt parser and the part
splitter. Each property says what must hold for *any* input, not only for the examples elsewhere:
the reader either gives a value or its own clear error, never another exception. A longer run of
the same targets with atheris is benchmarks/fuzz_inputs.py."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from webapp.domain import phone
from webapp.domain.placeholders import compile_text
from webapp.domain.sheets import UnreadableFile, open_spreadsheet
from webapp.domain.smpp_pdu import ERR_MAX, ID_MAX, STAT_MAX, parse_receipt, read_receipt
from webapp.domain.sms_text import analyze, split

# derandomize: the same examples in every CI run (a failure reproduces); longer, random runs are
# benchmarks/fuzz_inputs.py's (atheris).
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Cells as a spreadsheet holds them: any text but the characters no CSV or XML can carry.
cell = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


# ---------------------------------------------------------------- spreadsheets


def _expected(rows):
    """What the reader promises: cells stripped, trailing empty cells dropped, empty rows skipped."""
    out = []
    for number, row in enumerate(rows, 1):
        cells = [c.strip() for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            out.append((number, cells))
    return out


@SETTINGS
@given(
    rows=st.lists(st.lists(cell, min_size=1, max_size=6), min_size=1, max_size=12),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_a_csv_written_by_the_csv_module_reads_back_cell_for_cell(tmp_path, rows, delimiter, encoding):
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    if all(len(r) == 1 for r in rows) or width == 1:
        delimiter = ","  # one column: the delimiter cannot be told and does not matter
    if rows[0] and rows[0][0].strip().lower() in ("sep=,", "sep=;", "sep=\t"):
        return  # Excel's delimiter hint, read as such on purpose
    path = tmp_path / "list.csv"
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    try:
        with open_spreadsheet(path, "list.csv") as book:
            got = list(book.rows())
    except UnreadableFile:
        assert not _expected(rows) or path.stat().st_size == 0
        return
    if book.delimiter == delimiter:
        assert got == _expected(rows)
    else:  # the delimiter was ambiguous in this sample: the same cells, split differently
        assert "".join("".join(c) for _, c in got).replace(delimiter, "").replace(
            book.delimiter, ""
        ) != "" or not _expected(rows)


@SETTINGS
@given(
    rows=st.lists(
        st.lists(
            st.one_of(cell.filter(lambda c: not c.startswith("=")), st.integers(-(10**12), 10**12)),
            min_size=1,
            max_size=5,
        ),
        min_size=1,
        max_size=10,
    )
)
@example(rows=[["Telefon", "Nume"], ["0722123456", "Ștefan"], [722123457, ""]])
def test_an_xlsx_written_by_openpyxl_reads_back_cell_for_cell(tmp_path, rows):
    """(Text starting with "=" is left out: openpyxl writes it as a formula, with no value stored.)"""
    book = Workbook()
    for row in rows:
        book.active.append([c if c != "" else None for c in row])
    path = tmp_path / "list.xlsx"
    book.save(path)
    texts = [[str(c) if not isinstance(c, str) else c for c in row] for row in rows]
    with open_spreadsheet(path, "list.xlsx") as sheet:
        assert list(sheet.rows()) == _expected(texts)


def _workbook_bytes() -> bytes:
    book = Workbook()
    book.active.append(["Telefon", "Nume"])
    book.active.append(["0722123456", "Ana"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WORKBOOK = _workbook_bytes()


@SETTINGS
@given(
    flips=st.lists(st.tuples(st.integers(0, len(WORKBOOK) - 1), st.integers(1, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.integers(0, len(WORKBOOK))),
)
def test_a_damaged_workbook_is_read_or_refused_plainly_never_another_error(tmp_path, flips, cut):
    data = bytearray(WORKBOOK)
    for offset, xor in flips:
        data[offset] ^= xor
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data[:cut] if cut is not None else data))
    try:
        with open_spreadsheet(path, "damaged.xlsx") as book:
            for index, _ in enumerate(book.sheets()):
                list(book.rows(index))
    except UnreadableFile as exc:
        assert "damaged.xlsx" in str(exc) or "xls" in str(exc) or "CSV" in str(exc)


@SETTINGS
@given(data=st.binary(max_size=2000), name=st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a.xls"]))
def test_any_bytes_are_read_or_refused_plainly(tmp_path, data, name):
    path = tmp_path / name
    path.write_bytes(data)
    try:
        with open_spreadsheet(path, name) as book:
            list(book.rows())
    except UnreadableFile as exc:
        assert str(exc)


# ---------------------------------------------------------------- numbers


@SETTINGS
@given(
    raw=st.one_of(st.text(max_size=40), st.integers(-(10**20), 10**20), st.floats(allow_nan=True)),
    region=st.sampled_from(["RO", "MD", "UA", "GB", "US", None]),
)
@example(raw="0722 123 456", region="RO")
@example(raw="+40 (0) 722-123-456", region="RO")
def test_a_number_is_e164_or_a_clear_refusal(raw, region):
    try:
        e164 = phone.normalize(raw, region)
    except phone.InvalidNumber as exc:
        assert str(exc)
        return
    assert e164.startswith("+") and e164[1:].isdigit() and len(e164) <= 16
    assert phone.normalize(e164, region) == e164  # reading it again changes nothing


# ---------------------------------------------------------------- placeholders

column = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@SETTINGS
@given(
    text=st.text(max_size=80),
    columns=st.lists(column, max_size=5, unique=True),
    values=st.lists(st.text(max_size=10), max_size=6),
)
@example(text="Bună #Prenume, #prenume!", columns=["Prenume"], values=["Ana"])
def test_rendering_keeps_every_literal_and_fills_every_placeholder(text, columns, values):
    template = compile_text(text, columns)
    rendered, empty = template.render(values)
    placeholders = [p for p in template.pieces if not isinstance(p, str)]
    literals = "".join(p for p in template.pieces if isinstance(p, str))
    filled = [(values[p] if p < len(values) else "").strip() for p in placeholders]
    assert len(rendered) == len(literals) + sum(map(len, filled))
    assert empty == sum(1 for v in filled if not v)
    by_name = template.render({c: (values[i] if i < len(values) else "") for i, c in enumerate(columns)})
    assert by_name == (rendered, empty)
    if "#" not in text:
        assert rendered == text and not template.personalised


# ---------------------------------------------------------------- receipts


@SETTINGS
@given(
    short_message=st.one_of(st.binary(max_size=300), st.text(max_size=200)),
    data_coding=st.one_of(st.none(), st.integers(0, 255)),
    receipted_id=st.one_of(st.none(), st.binary(max_size=70), st.text(max_size=70)),
    state=st.one_of(st.none(), st.integers(-5, 300), st.binary(max_size=2), st.text(max_size=3)),
)
@example(
    short_message=b"id:0A1B2C sub:001 dlvrd:001 submit date:2612051200 done date:2612051201 stat:DELIVRD "
    b"err:000 text:\x00B\x00u\x00n\x01\x03",
    data_coding=8,
    receipted_id=None,
    state=None,
)
@example(short_message=b"\x00i\x00d\x00:\x001", data_coding=8, receipted_id=None, state=None)
def test_any_receipt_is_read_and_stored_safely(short_message, data_coding, receipted_id, state):
    reading = read_receipt(short_message, data_coding, receipted_id, state)
    assert "\x00" not in reading.raw
    reading.raw.encode("utf-8")  # no lone surrogate: PostgreSQL and UTF-8 take it
    if reading.parsed is not None:
        assert 0 < len(reading.parsed.upstream_id) <= ID_MAX and 0 < len(reading.parsed.stat) <= STAT_MAX
        assert reading.parsed.error_code is None or len(reading.parsed.error_code) <= ERR_MAX


ids = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


@SETTINGS
@given(
    upstream_id=ids,
    stat=st.sampled_from(["DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "delivrd", "Delivered"]),
    err=st.text("0123456789", min_size=3, max_size=3),
    text=st.text(max_size=20),
)
def test_a_well_formed_receipt_gives_back_its_id_and_state(upstream_id, stat, err, text):
    body = f"id:{upstream_id} sub:001 dlvrd:001 submit date:2612051200 done date:2612051201 stat:{stat} err:{err} text:{text}"
    parsed = parse_receipt(body)
    assert parsed is not None and parsed.upstream_id == upstream_id
    assert parsed.stat == {"DELIVERED": "DELIVRD"}.get(stat.upper(), stat.upper()) and parsed.error_code == err


# ---------------------------------------------------------------- parts


@SETTINGS
@given(text=st.text(max_size=400))
@example(text="Vă așteptăm 🎭 la premieră!")
def test_the_parts_join_back_to_the_text_and_are_counted_as_billed(text):
    parts = split(text)
    assert "".join(parts) == text
    assert len(parts) == analyze(text).parts
