"""An uploaded sheet's layout guessed from its first rows, so that the wizards (a contact import,
a campaign from a file) open their first-row and column steps with a choice already made: the
customer confirms it instead of making it.

The first data row is the row under a header row: a row of text cells (a letter in each, none
like a phone number) followed by a row with a phone-number-like cell, under a title. Columns are
recognised by their titles, case, diacritics and punctuation ignored ("Număr telefon",
"NUMAR TELEFON:", "numar telefon" are one title). Nothing is guessed from a sheet without
such a header: the wizards then ask as before.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from webapp.domain.search_text import fold

PHONE, MESSAGE, FIRST_NAME, LAST_NAME, NAME = "phone", "message", "first_name", "last_name", "name"

# Folded titles (see title_key) and the role of the column they name.
TITLES: dict[str, str] = {
    **dict.fromkeys(
        (
            "telefon",
            "telefoane",
            "tel",
            "nr tel",
            "nr telefon",
            "nr de telefon",
            "numar",
            "numar telefon",
            "numar de telefon",
            "numar mobil",
            "telefon mobil",
            "mobil",
            "gsm",
            "nr",
            "phone",
            "phone number",
            "telephone",
            "mobile",
            "mobile number",
            "mobile phone",
            "cell",
            "cell phone",
            "number",
            "msisdn",
            "телефон",
        ),
        PHONE,
    ),
    **dict.fromkeys(
        ("mesaj", "mesajul", "mesaje", "text", "text mesaj", "text sms", "sms", "message", "messages", "continut"),
        MESSAGE,
    ),
    **dict.fromkeys(
        ("nume", "nume de familie", "last", "last name", "lastname", "surname", "family name", "фамилия", "прізвище"),
        LAST_NAME,
    ),
    **dict.fromkeys(("prenume", "first", "first name", "firstname", "given name", "имя", "ім'я"), FIRST_NAME),
    **dict.fromkeys(("nume complet", "nume si prenume", "name", "full name"), NAME),
}
# A role the wizard does not offer, and the one that stands for it: a contact has no full name, so
# a "Name" column is its last name (as the contact import always guessed).
_STAND_INS = {NAME: LAST_NAME}
_PUNCTUATION = re.compile(r"[^\w' ]+")
_PHONE_MARKS = re.compile(r"[\s\-./()]+")
_DATE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2}")


def title_key(title: str) -> str:
    """A title as TITLES holds it: "  Număr  telefon: " -> "numar telefon", "Nr." -> "nr"."""
    return " ".join(_PUNCTUATION.sub(" ", fold(title)).replace("_", " ").split())


def title_role(title: str) -> str | None:
    """The role a column's title names, if it names one: "Mobil" -> "phone"."""
    return TITLES.get(title_key(title))


def looks_like_phone(cell: str) -> bool:
    """A cell that could be a phone number: 7 to 15 digits, with the usual separators and a
    leading + ("0722 123 456", "+40 (722) 123-456", "40722123456"), not a date ("20.10.2016").
    Loose on purpose: this only finds where the numbers start; every number is checked later.
    A leading apostrophe is the text marker of a CSV the app wrote ("'+40722123456": see
    domain/spreadsheet_cells.py), so an exported list reads back like any other sheet."""
    cell = cell.strip().removeprefix("'")
    if _DATE.fullmatch(cell):
        return False
    bare = _PHONE_MARKS.sub("", cell)
    bare = bare[1:] if bare.startswith("+") else bare
    return bare.isdigit() and 7 <= len(bare) <= 15


def _is_title(cell: str) -> bool:
    return any(ch.isalpha() for ch in cell) and not looks_like_phone(cell)


def _is_header(cells: Sequence[str]) -> bool:
    filled = [cell for cell in cells if cell.strip()]
    return bool(filled) and all(_is_title(cell) for cell in filled)


def first_data_row(rows: Sequence[tuple[int, Sequence[str]]]) -> int | None:
    """The number of the first row under a header row, among a sheet's first ``rows`` (row number,
    cell texts; empty rows left out): the header's cells are all text and the row under it has a
    phone-number-like cell under a title. None when no row looks like a header."""
    for (_, above), (number, cells) in zip(rows, rows[1:], strict=False):
        if not _is_header(above):
            continue
        if any(looks_like_phone(cell) and i < len(above) and above[i].strip() for i, cell in enumerate(cells)):
            return number
    return None


def guess_columns(
    titles: Sequence[str], offered: Collection[str], samples: Sequence[Sequence[str]] = ()
) -> dict[str, int]:
    """Role -> column index, for the roles in ``offered`` that a column's title names; a column
    has one role, a role one column. When two titles name the phone ("Nr" and "Telefon"), the
    column whose ``samples`` (the first data rows) hold more phone-number-like cells wins, then
    the first."""
    found: dict[str, list[int]] = {}
    for index, title in enumerate(titles):
        role = title_role(title)
        if role is not None and role not in offered:
            role = _STAND_INS.get(role)
        if role is not None and role in offered:
            found.setdefault(role, []).append(index)

    def phones_in(index: int) -> int:
        return sum(1 for row in samples if index < len(row) and looks_like_phone(row[index]))

    guessed: dict[str, int] = {}
    for role, columns in found.items():
        guessed[role] = max(columns, key=lambda i: (phones_in(i), -i)) if role == PHONE else columns[0]
    return guessed
