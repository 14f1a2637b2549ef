"""Errors raised below the views read in the customer's language (issue 19): a number problem,
a sheet error and a ledger reason carry a message id and parameters (webapp/domain/texts.py),
str() stays the English text, and with the Romanian catalogue they render in Romanian. Pure
Python: the catalogue is read from the .po, no app."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from webapp.domain import ledger_reasons
from webapp.domain.phone import InvalidNumber, normalize
from webapp.domain.sheet_limits import too_many_columns, too_many_rows
from webapp.domain.sheets import UnreadableFile, open_spreadsheet
from webapp.domain.texts import Country, Text

PO = Path(__file__).resolve().parents[2] / "webapp" / "translations" / "ro" / "LC_MESSAGES" / "messages.po"


@cache
def _catalogue() -> dict[str, str]:
    with PO.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if isinstance(m.id, str) and m.string}


def romanian(text: Text) -> str:
    return text.render(lambda msgid: _catalogue().get(msgid, msgid), "ro")


def _problem(raw: str, region: str | None = "RO") -> InvalidNumber:
    with pytest.raises(InvalidNumber) as caught:
        normalize(raw, region)
    return caught.value


NUMBERS = [
    # typed, region, English (str(exc), as before), Romanian
    ("021 234 5678", "RO", "not a mobile number (landline)", "nu este un număr de mobil (fix)"),
    ("0722 123", "RO", "too short for a number in Romania", "prea scurt pentru un număr din România"),
    ("+49 1512 34", "RO", "too short for a number in Germany", "prea scurt pentru un număr din Germania"),
    ("0722 12a 456", "RO", "contains letters: '0722 12a 456'", "conține litere: „0722 12a 456”"),
    ("0722 123 456, 0733 123 456", "RO", "more than one number", "mai multe numere"),
    ("0800 123 456", "RO", "not a mobile number (toll-free)", "nu este un număr de mobil (apel gratuit)"),
    ("722123456", None, "missing the country code (e.g. +40)", "lipsește prefixul țării (de exemplu +40)"),
    ("", "RO", "empty", "gol"),
]


@pytest.mark.parametrize(("raw", "region", "english", "romanian_text"), NUMBERS, ids=[n[0] or "empty" for n in NUMBERS])
def test_a_number_problem_reads_in_english_and_in_romanian(raw, region, english, romanian_text):
    exc = _problem(raw, region)
    assert english in str(exc) and english in exc.message
    assert romanian_text in romanian(exc.text)


def test_the_country_is_named_in_the_readers_language():
    assert Country("DE").name("ro") == "Germania" and Country("DE").name("en") == "Germany"
    assert Country("RO").name("xx-not-a-language") == "Romania"


def test_user_data_is_put_in_after_the_translation_and_never_looked_up():
    exc = _problem("%(value)s abc")
    looked_up: list[str] = []
    exc.text.render(lambda msgid: looked_up.append(msgid) or msgid, "ro")
    assert looked_up == ["contains letters: '%(value)s'"]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


SHEETS = [
    # file name, content, English, Romanian
    ("gol.csv", b"", "“gol.csv” is empty.", "„gol.csv” este gol."),
    (
        "poze.png",
        b"\x89PNG",
        "cannot be read: upload an Excel workbook",
        "nu poate fi citit: încărcați un registru Excel",
    ),
    (
        "vechi.xls",
        b"\xd0\xcf\x11\xe0" + b"\0" * 100,
        "Excel 97–2003 (.xls) files cannot be read",
        "Fișierele Excel 97–2003 (.xls) nu pot fi citite",
    ),
    (
        "rupt.xlsx",
        b"PK\x03\x04 broken",
        "“rupt.xlsx” is damaged or not an Excel workbook.",
        "„rupt.xlsx” este deteriorat sau nu este un registru Excel.",
    ),
    ("date.csv", b"\x00\x01\x02binary", "is not a text (CSV) file", "nu este un fișier text (CSV)"),
]


@pytest.mark.parametrize(("name", "data", "english", "romanian_text"), SHEETS, ids=[s[0] for s in SHEETS])
def test_a_sheet_error_reads_in_english_and_in_romanian(tmp_path, name, data, english, romanian_text):
    with pytest.raises(UnreadableFile) as caught:
        open_spreadsheet(_write(tmp_path, name, data), name).close()
    assert english in str(caught.value)
    assert romanian_text in romanian(caught.value.text)


def test_size_limits_group_their_numbers_as_the_language_does():
    rows = too_many_rows("mare.xlsx")
    assert "more than 1,048,576 rows" in str(rows)
    assert romanian(rows.text).startswith("„mare.xlsx” are peste 1.048.576 rânduri")
    columns = too_many_columns("lat.csv", 2, 300)
    assert "has a value in column 300; at most 256 columns" in str(columns)
    assert "Rândul 2 din „lat.csv” are o valoare în coloana 300" in romanian(columns.text)


LEDGER = [
    ("Campaign “Primăvara 50%” cancelled: unsent messages", "Campania „Primăvara 50%” anulată: mesaje netrimise"),
    ("Campaign “Primăvara”", "Campania „Primăvara”"),
    ("SMS to +40722123456, 2 parts", "SMS către +40722123456, 2 părți"),
    ("SMS to +40722123456, 1 part", "SMS către +40722123456, 1 parte"),
    ("SMS to +40722123456", "SMS către +40722123456"),
    ("Not delivered (UNDELIV)", "Nelivrat (UNDELIV)"),
    ("Top-up by card", "Alimentare cu cardul"),
    ("Top-up refunded (credit note RO-2026-0007)", "Alimentare rambursată (factura de stornare RO-2026-0007)"),
    ("Transfer to subuser ana", "Transfer către subutilizatorul ana"),
    ("expired", "Expirat înainte de a fi trimis"),
    ("Goodwill credit after the outage of 3 May", "Goodwill credit after the outage of 3 May"),  # typed by staff
]


@pytest.mark.parametrize(("stored", "romanian_text"), LEDGER, ids=[row[0] for row in LEDGER])
def test_a_stored_ledger_reason_reads_in_romanian(stored, romanian_text):
    assert romanian(ledger_reasons.read(stored)) == romanian_text


@pytest.mark.parametrize("msgid", ledger_reasons.SHAPES)
def test_every_shape_is_read_back_as_itself(msgid):
    """What a writer stores (the English shape filled in) is recognised as that shape, values kept."""
    values = {"name": "Ana “Mare”", "number": "+40722123456", "parts": "3", "status": "EXPIRED"}
    stored = msgid % {k: v for k, v in values.items() if f"%({k})s" in msgid}
    read = ledger_reasons.read(stored)
    assert read.msgid == msgid and str(read) == stored
