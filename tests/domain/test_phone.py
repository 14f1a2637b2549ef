"""Tests for webapp.domain.phone (pure Python: no app, no database)."""

from __future__ import annotations

import dataclasses
import decimal
import math
from pathlib import Path

import pytest

from webapp.domain import phone
from webapp.domain.phone import (
    REJECT_NON_MOBILE,
    InvalidNumber,
    NumberInfo,
    describe,
    normalize,
    region_of,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
from tests.samples import SAMPLES  # noqa: E402  (copies of ../shared/samples)

# ---------------------------------------------------------------------------
# Valid input
# ---------------------------------------------------------------------------

VALID = [
    # Romanian mobile written in every way people and Excel write it
    ("0722 123 456", "RO", "+40722123456"),
    ("0722123456", "RO", "+40722123456"),
    ("0722.123.456", "RO", "+40722123456"),
    ("0722-123-456", "RO", "+40722123456"),
    ("0722/123456", "RO", "+40722123456"),
    ("(0722) 123 456", "RO", "+40722123456"),
    ("[0722] 123 456", "RO", "+40722123456"),
    ("+40 722 123 456", "RO", "+40722123456"),
    ("+40.722.123.456", "RO", "+40722123456"),
    ("+40-722-123-456", "RO", "+40722123456"),
    ("(+40) 722 123 456", "RO", "+40722123456"),
    ("+40 (0) 722 123 456", "RO", "+40722123456"),
    ("+40 0722 123 456", "RO", "+40722123456"),
    ("0040722123456", "RO", "+40722123456"),
    ("0040 722 123 456", "RO", "+40722123456"),
    ("40722123456", "RO", "+40722123456"),
    ("722123456", "RO", "+40722123456"),
    (" 0722\u00a0123\u00a0456 ", "RO", "+40722123456"),
    ("\t0722\u202f123\u2009456\n", "RO", "+40722123456"),
    ("\u200e+40722123456\ufeff", "RO", "+40722123456"),
    ("0722\u2013123\u2013456", "RO", "+40722123456"),  # en dashes
    ("\uff10\uff17\uff12\uff12\uff11\uff12\uff13\uff14\uff15\uff16", "RO", "+40722123456"),
    ("tel: +40 722 123 456", "RO", "+40722123456"),
    ("Tel.0722 123 456", "RO", "+40722123456"),
    ("Telefon mobil: 0722 123 456", "RO", "+40722123456"),
    ("tel:+40722123456", "RO", "+40722123456"),
    # spreadsheet artefacts
    (40722123456, "RO", "+40722123456"),
    (40722123456.0, "RO", "+40722123456"),
    (722123456, "RO", "+40722123456"),  # numeric cell lost the leading zero
    (722123456.0, "RO", "+40722123456"),
    (decimal.Decimal("40722123456"), "RO", "+40722123456"),
    ("40722123456.0", "RO", "+40722123456"),
    ("4.0722123456E+10", "RO", "+40722123456"),
    ("722,123,456", "RO", "+40722123456"),
    ('="0722123456"', "RO", "+40722123456"),
    ("'0722123456", "RO", "+40722123456"),
    ('"0722 123 456"', "RO", "+40722123456"),
    # other networks / countries
    ("0742 123 456", "RO", "+40742123456"),
    ("0770 753 292", "RO", "+40770753292"),
    ("380501234567", "RO", "+380501234567"),
    ("+380 50 123 4567", "RO", "+380501234567"),
    ("00380 50 123 4567", "RO", "+380501234567"),
    (380501234567, "RO", "+380501234567"),
    ("0501234567", "UA", "+380501234567"),
    ("050 123 45 67", "UA", "+380501234567"),
    ("501234567", "UA", "+380501234567"),
    ("+44 7911 123456", "RO", "+447911123456"),
    ("+44 (0) 7911 123456", "RO", "+447911123456"),
    ("447911123456", "RO", "+447911123456"),
    ("07911 123456", "GB", "+447911123456"),
    ("+49 151 23456789", "RO", "+4915123456789"),
    ("0151 23456789", "DE", "+4915123456789"),
    ("0049 1512 3456789", "RO", "+4915123456789"),
    ("+373 69 123 456", "RO", "+37369123456"),  # Moldova
    ("+1 (212) 555-0123", "RO", "+12125550123"),  # US: fixed-line-or-mobile
    ("212-555-0123", "US", "+12125550123"),
    ("011 44 7911 123456", "US", "+447911123456"),  # US international prefix
    # default region in lower case
    ("0722 123 456", "ro", "+40722123456"),
    # no default region: the country code is required, '+' still optional
    ("+40 722 123 456", None, "+40722123456"),
    ("40722123456", None, "+40722123456"),
]


@pytest.mark.parametrize(("raw", "region", "expected"), VALID)
def test_normalize_valid(raw, region, expected):
    assert normalize(raw, region) == expected


def test_default_region_is_romania():
    assert normalize("0722 123 456") == "+40722123456"
    assert normalize(722123456) == "+40722123456"


def test_normalize_is_idempotent():
    for _raw, region, expected in VALID:
        assert normalize(expected, region) == expected
        assert normalize(expected, "UA") == expected


# ---------------------------------------------------------------------------
# Invalid input: the message must say what is wrong
# ---------------------------------------------------------------------------

INVALID = [
    ("", "RO", "empty"),
    ("   ", "RO", "empty"),
    ("\u00a0", "RO", "empty"),
    (None, "RO", "empty"),
    (float("nan"), "RO", "empty"),
    (decimal.Decimal("NaN"), "RO", "empty"),
    ("abc", "RO", "contains letters: 'abc'"),
    ("tel?", "RO", "contains letters"),
    ("0722 12a 456", "RO", "contains letters: '0722 12a 456'"),
    ("0722 123 456 ext. 12", "RO", "contains letters"),
    ("0722", "RO", "too short"),
    ("12345", "RO", "too short"),
    ("0722 123", "RO", "too short"),
    ("07221234567890", "RO", "too long"),
    ("0722 123 4567", "RO", "too long"),
    ("1234567890123456789012", "RO", "too long"),
    ("000000000", "RO", "not a valid number in Romania"),
    ("0622 123 456", "RO", "not a valid number in Romania"),
    ("+40 722 123", "RO", "too short for a number in Romania"),
    ("+44 7911 12345", "RO", "too short for a number in United Kingdom"),
    ("+999 123", "RO", "unknown country code 999"),
    ("+999 1234567", "RO", "unknown country code 999"),
    ("+0722123456", "RO", "no country code"),
    ("0722123456", None, "missing the country code"),
    ("+380 50 123", "RO", "too short for a number in Ukraine"),
    ("38050123456", "RO", "too short for a number in Ukraine"),  # '+' left out
    ("7221234567", "RO", "too long for a number in Romania"),  # not "+7 ..."
    ("x" * 200, "RO", "contains letters"),
    ("1" * 200, "RO", "too long"),
    ("0722 123 456 / 0733 123 456", "RO", "more than one number"),
    ("0722123456, 0733123456", "RO", "more than one number"),
    ("0722123456 sau 0733123456", "RO", "more than one number"),
    ("0722#123456", "RO", "contains invalid characters '#'"),
    ("0722 123 456+", "RO", "contains invalid characters '+'"),
    ("4.07221E+10", "RO", "scientific notation"),
    (722123456.5, "RO", "not a whole number"),
    (-722123456, "RO", "negative"),
    (float("inf"), "RO", "not a phone number"),
    (True, "RO", "not a phone number"),
    (["0722123456"], "RO", "not a phone number"),
]
if REJECT_NON_MOBILE:
    INVALID += [
        ("0212345678", "RO", "not a mobile number (landline)"),  # Bucharest
        ("+40 21 234 5678", "RO", "not a mobile number"),
        ("0264 123 456", "RO", "not a mobile number (landline)"),  # Cluj
        ("0800 800 800", "RO", "not a mobile number (toll-free)"),
        ("0900 123 456", "RO", "not a mobile number (premium-rate)"),
        ("+44 20 7946 0958", "RO", "not a mobile number (landline)"),
        ("030 12345678", "DE", "not a mobile number (landline)"),
    ]


@pytest.mark.parametrize(("raw", "region", "message"), INVALID)
def test_normalize_invalid(raw, region, message):
    with pytest.raises(InvalidNumber) as excinfo:
        normalize(raw, region)
    assert message in str(excinfo.value)
    assert excinfo.value.raw is raw


def test_invalid_number_is_a_value_error():
    assert issubclass(InvalidNumber, ValueError)
    with pytest.raises(ValueError):
        normalize("abc")


def test_unknown_default_region_is_a_programming_error():
    with pytest.raises(ValueError) as excinfo:
        normalize("0722123456", "XX")
    assert not isinstance(excinfo.value, InvalidNumber)


def test_messages_are_short_plain_text():
    for raw, region, _message in INVALID:
        with pytest.raises(InvalidNumber) as excinfo:
            normalize(raw, region)
        text = str(excinfo.value)
        assert text and "\n" not in text and len(text) < 120
        assert "NumberParseException" not in text and "Traceback" not in text


# ---------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------


def test_non_mobile_numbers_are_rejected_by_default():
    """Decision: only SMS-capable numbers pass (see REJECT_NON_MOBILE)."""
    assert phone.REJECT_NON_MOBILE is True
    with pytest.raises(InvalidNumber, match="not a mobile number"):
        normalize("0212345678", "RO")


def test_non_mobile_numbers_pass_when_the_switch_is_off(monkeypatch):
    monkeypatch.setattr(phone, "REJECT_NON_MOBILE", False)
    assert normalize("0212345678", "RO") == "+40212345678"
    assert normalize("0800 800 800", "RO") == "+40800800800"
    with pytest.raises(InvalidNumber, match="too short"):
        normalize("0722", "RO")


def test_number_without_trunk_zero_is_national_for_the_default_region():
    """Decision: digits with neither trunk 0 nor country code are first read
    as a national number of the default region (Excel drops the leading 0)."""
    assert normalize(722123456, "RO") == "+40722123456"
    assert normalize("722123456", "RO") == "+40722123456"
    assert normalize(501234567, "UA") == "+380501234567"
    # the same nine digits are not a number in another region
    with pytest.raises(InvalidNumber, match="not a valid number in Romania"):
        normalize(501234567, "RO")


def test_national_reading_is_tried_first():
    # a UK mobile without its trunk 0 is national in GB ...
    assert normalize("7911123456", "GB") == "+447911123456"
    # ... while in RO the same digits are neither a Romanian number nor,
    # read as "+7 911 123 456", a Russian one
    with pytest.raises(InvalidNumber, match="too long for a number in Romania"):
        normalize("7911123456", "RO")


def test_international_reading_when_national_fails():
    assert normalize("40722123456", "RO") == "+40722123456"
    assert normalize("380501234567", "RO") == "+380501234567"
    assert normalize("447911123456", "RO") == "+447911123456"


def test_same_number_written_differently_gives_one_key():
    spellings = [
        "0722 123 456",
        "0722.123.456",
        "0722-123-456",
        "(0722) 123 456",
        "+40 722 123 456",
        "0040722123456",
        "40722123456",
        40722123456,
        40722123456.0,
        722123456,
        " 0722\u00a0123\u00a0456 ",
        "tel: +40 722 123 456",
    ]
    assert {normalize(s, "RO") for s in spellings} == {"+40722123456"}


# ---------------------------------------------------------------------------
# describe / region_of
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("e164", ["+40722123456", "+40742123456"])
def test_describe_romanian_mobile(e164):
    info = describe(e164)
    assert isinstance(info, NumberInfo)
    assert info.e164 == e164
    assert info.country == "RO"
    assert info.country_code == 40
    assert info.national_format.replace(" ", "") == "0" + e164[3:]
    assert info.international_format.startswith("+40 7")
    assert info.international_format.replace(" ", "") == e164
    assert info.number_type == "MOBILE"
    assert isinstance(info.carrier, str) and info.carrier
    assert info.time_zones == ("Europe/Bucharest",)


def test_describe_is_frozen():
    info = describe("+40722123456")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.country = "UA"  # type: ignore[misc]


def test_describe_other_countries():
    ua = describe("+380501234567")
    assert (ua.country, ua.country_code, ua.number_type) == ("UA", 380, "MOBILE")
    assert ua.time_zones == ("Europe/Kyiv",) or ua.time_zones == ("Europe/Kiev",)
    us = describe("+12125550123")
    assert us.country == "US"
    assert us.number_type == "FIXED_LINE_OR_MOBILE"
    assert us.carrier is None
    assert us.time_zones == ("America/New_York",)
    landline = describe("+40212345678")
    assert landline.number_type == "FIXED_LINE"
    assert landline.carrier is None


@pytest.mark.parametrize("bad", ["0722123456", "", "+", "+999 1234567", None])
def test_describe_rejects_non_e164(bad):
    with pytest.raises(InvalidNumber):
        describe(bad)


@pytest.mark.parametrize(
    ("e164", "region"),
    [
        ("+40722123456", "RO"),
        ("+380501234567", "UA"),
        ("+447400123456", "GB"),
        ("+447911123456", "GG"),  # phonenumbers places 7911 in Guernsey
        ("+4915123456789", "DE"),
        ("+37369123456", "MD"),
        ("+12125550123", "US"),
    ],
)
def test_region_of(e164, region):
    assert region_of(e164) == region


# ---------------------------------------------------------------------------
# Customer spreadsheets in tests/samples
# ---------------------------------------------------------------------------


def _rows(name: str):
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"sample spreadsheet {path} is not available")
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(workbook.active.iter_rows(values_only=True))
    finally:
        workbook.close()


def test_address_book_counts():
    rows = _rows("address_book.xlsx")
    # a title line, an empty line, the column titles, then the contacts
    assert all(cell is None for cell in rows[1])
    header = [str(c).strip() if c is not None else "" for c in rows[2]]
    assert header[:4] == ["Nume", "Prenume", "Telefon", "Oraș"]
    column = header.index("Telefon")
    contacts = [row for row in rows[3:] if any(cell is not None for cell in row)]
    assert len(contacts) == 1000

    valid: list[str] = []
    invalid: list[tuple[object, str]] = []
    for row in contacts:
        try:
            valid.append(normalize(row[column], "RO"))
        except InvalidNumber as exc:
            invalid.append((row[column], str(exc)))

    distinct = set(valid)
    assert len(distinct) == 942
    assert len(invalid) == 7, invalid
    assert len(valid) - len(distinct) == 51
    assert all(e164.startswith("+40") for e164 in distinct)
    assert all(message for _raw, message in invalid)


def test_batch_numeric_cells_all_normalise():
    rows = _rows("batch.xlsx")
    header = [str(c).strip() for c in rows[0]]
    assert header == ["Telefon", "Mesaj", "Referinta"]
    cells = [row[0] for row in rows[1:] if any(cell is not None for cell in row)]
    assert len(cells) == 500

    numeric = [c for c in cells if isinstance(c, (int, float))]
    assert numeric, "batch.xlsx is expected to hold numeric phone cells"

    normalised = [normalize(c, "RO") for c in cells]  # every phone must pass
    assert len(set(normalised)) == 500  # one row per recipient, no duplicates
    assert all(e164.startswith("+40") for e164 in normalised)
    for cell in numeric:
        # Excel keeps "40722..." as a number: the country code is kept, the
        # '+' is not; the normalised form is exactly that number with a '+'.
        assert normalize(cell, "RO") == "+" + str(int(cell))
        assert math.isclose(cell, int(cell))


@pytest.mark.parametrize(
    "raw, region, expected",
    [
        ("0722 123 456", "RO", ("+40722123456", "RO")),
        ("0040 722 123 456", "RO", ("+40722123456", "RO")),
        ("069 123 456", "MD", ("+37369123456", "MD")),
        ("+380 50 123 4567", "RO", ("+380501234567", "UA")),
        ("+49 1512 3456789", "RO", ("+4915123456789", "DE")),
    ],
)
def test_normalize_with_region_is_normalize_and_region_of_in_one_reading(raw, region, expected):
    assert phone.normalize_with_region(raw, region) == expected
    assert (phone.normalize(raw, region), phone.region_of(phone.normalize(raw, region))) == expected


@pytest.mark.parametrize("raw", ["0722", "not a number", "", "0212 345 678"])
def test_normalize_with_region_refuses_what_normalize_refuses(raw):
    with pytest.raises(phone.InvalidNumber) as both:
        phone.normalize_with_region(raw, "RO")
    with pytest.raises(phone.InvalidNumber) as alone:
        phone.normalize(raw, "RO")
    assert str(both.value) == str(alone.value)


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ("40722123456", "+40722123456"),  # SMPP source_addr: international without the +
        ("+40722123456", "+40722123456"),
        ("0040722123456", "+40722123456"),
        ("0722123456", "+40722123456"),  # national, read in the account's country
        ("  +40 722 123 456 ", "+40722123456"),
        ("447911123456", "+447911123456"),
        ("37360123456", "+37360123456"),
        ("1899", "1899"),  # a short code: kept as given
        ("INFO", "INFO"),  # an alphanumeric sender
        ("", ""),
    ],
)
def test_a_reply_sender_is_read_as_e164_when_it_is_a_number(raw, read):
    from webapp.domain.phone import reply_sender

    assert reply_sender(raw) == read
