"""The wizards' guesses from a sheet's first rows: the first data row under a header row, and the
columns by their titles, case and diacritics ignored (issue 19)."""

from pathlib import Path

import pytest

from webapp.domain.sheet_headers import (
    FIRST_NAME,
    LAST_NAME,
    MESSAGE,
    NAME,
    PHONE,
    first_data_row,
    guess_columns,
    looks_like_phone,
    title_key,
    title_role,
)
from webapp.domain.sheets import open_spreadsheet

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.mark.parametrize(
    "title,role",
    [
        ("Telefon", PHONE),
        ("TELEFON", PHONE),
        ("Phone", PHONE),
        ("Mobil", PHONE),
        ("Mobile", PHONE),
        ("Nr", PHONE),
        ("Nr.", PHONE),
        ("Număr", PHONE),
        ("NUMĂR TELEFON", PHONE),
        ("Numar telefon", PHONE),
        ("Număr de telefon:", PHONE),
        (" phone  number ", PHONE),
        ("Телефон", PHONE),
        ("Mesaj", MESSAGE),
        ("message", MESSAGE),
        ("Text", MESSAGE),
        ("SMS", MESSAGE),
        ("Conținut", MESSAGE),
        ("Nume", LAST_NAME),
        ("Last name", LAST_NAME),
        ("Last_Name", LAST_NAME),
        ("Surname", LAST_NAME),
        ("Prenume", FIRST_NAME),
        ("First name", FIRST_NAME),
        ("FirstName", FIRST_NAME),
        ("Nume complet", NAME),
        ("Name", NAME),
        ("Nume și prenume", NAME),
        ("Nume şi prenume", NAME),  # ş with a cedilla
        ("Oraș", None),
        ("Referinta", None),
        ("Telefon 2", None),
        ("", None),
    ],
)
def test_title_role(title, role):
    assert title_role(title) == role


def test_title_key_folds_case_diacritics_punctuation_and_spaces():
    assert title_key("  Număr  telefon: ") == "numar telefon"
    assert title_key("NR.") == "nr"


@pytest.mark.parametrize(
    "cell,expected",
    [
        ("0722 123 456", True),
        ("0722123456", True),
        ("+40 (722) 123-456", True),
        ("40722123456", True),
        ("0722.123.456", True),
        ("0040722123456", True),
        ("'+40722123456", True),  # a number in a CSV the app wrote: behind its text marker
        ("'Telefon", False),
        ("123", False),
        ("12345678901234567", False),
        ("20.10.2016", False),
        ("2026-12-09", False),
        ("09/12/2026", False),
        ("Telefon", False),
        ("0722 ABC", False),
        ("", False),
    ],
)
def test_looks_like_phone(cell, expected):
    assert looks_like_phone(cell) is expected


def rows(*cells_per_row):
    return [(i + 1, list(cells)) for i, cells in enumerate(cells_per_row)]


@pytest.mark.parametrize(
    "sheet,expected",
    [
        (rows(["Telefon", "Prenume", "Nume"], ["0722123456", "Ion", "Popescu"]), 2),
        # a title line, a blank row (left out by the reader: row 2), the header, the data
        ([(1, ["Clienți – export CRM", ""]), (3, ["Nume", "Telefon"]), (4, ["Pop", "0722 123 456"])], 4),
        # the header names the phone column, whatever its words
        (rows(["Cine", "Unde"], ["Ana", "+40722123456"]), 2),
        # no header: the data starts at once; the wizard asks as before
        (rows(["Ion", "0722123456"], ["Ana", "0733123456"]), None),
        # a row of text over a number in a column it does not name: a contact with no number
        (rows(["Ion", "Pop", ""], ["Ana", "Pop", "0733123456"]), None),
        # text over text, then numbers under a header with a number in it
        (rows(["Raport 2026"], ["Telefon"], ["0722123456"]), 3),
        (rows(["Nume", "Data"], ["Ion", "20.10.2016"]), None),  # a date is not a phone number
        (rows(["Telefon"]), None),
        ([], None),
    ],
)
def test_first_data_row(sheet, expected):
    assert first_data_row(sheet) == expected


CONTACT_ROLES = (PHONE, FIRST_NAME, LAST_NAME)
BATCH_ROLES = (PHONE, MESSAGE)


@pytest.mark.parametrize(
    "titles,offered,samples,expected",
    [
        (["Telefon", "Prenume", "Nume"], CONTACT_ROLES, [], {PHONE: 0, FIRST_NAME: 1, LAST_NAME: 2}),
        (["PRENUME", "nume", "Mobil", "Oraș"], CONTACT_ROLES, [], {FIRST_NAME: 0, LAST_NAME: 1, PHONE: 2}),
        # the contacts have no full name: a "Name" column is their last name
        (["Name", "Phone"], CONTACT_ROLES, [], {LAST_NAME: 0, PHONE: 1}),
        (["Nume complet", "Phone"], (PHONE, NAME), [], {NAME: 0, PHONE: 1}),
        (["Telefon", "Mesaj", "Referinta"], BATCH_ROLES, [], {PHONE: 0, MESSAGE: 1}),
        (["Message", "Number"], BATCH_ROLES, [], {MESSAGE: 0, PHONE: 1}),
        (["Nume", "Telefon"], BATCH_ROLES, [], {PHONE: 1}),  # roles not offered are left out
        # "Nr" counting the rows and "Telefon" holding the numbers: the numbers win
        (["Nr", "Telefon"], BATCH_ROLES, [["1", "0722123456"], ["2", "0733123456"]], {PHONE: 1}),
        (["Telefon", "Mobil"], BATCH_ROLES, [], {PHONE: 0}),  # a tie: the first
        (["Text", "SMS"], BATCH_ROLES, [], {MESSAGE: 0}),
        (["Column A", "Column B"], CONTACT_ROLES, [["Ion", "0722123456"]], {}),
        ([], CONTACT_ROLES, [], {}),
    ],
)
def test_guess_columns(titles, offered, samples, expected):
    assert guess_columns(titles, offered, samples) == expected


@pytest.mark.parametrize(
    "name,first_row,titles_row",
    [
        ("address_book.xlsx", 4, ["Nume", "Prenume", "Telefon", "Oraș"]),
        ("batch.xlsx", 2, ["Telefon", "Mesaj", "Referinta"]),
        ("theatre_reservations.xlsx", 2, ["Nume", "Telefon", "Spectacol", "Data", "Ora", "Loc"]),
        ("contacts_excel_export.csv", 2, ["Nume", "Prenume", "Telefon", "Oraș"]),
        ("excel_saved.xlsx", None, None),  # no header: nothing guessed
    ],
)
def test_the_sample_sheets(name, first_row, titles_row):
    with open_spreadsheet(str(SAMPLES / name), name) as book:
        shown = book.preview(0, limit=15)
    assert first_data_row(shown) == first_row
    if titles_row is not None:
        assert [cells for number, cells in shown if number < first_row][-1] == titles_row
