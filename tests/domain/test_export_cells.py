"""Export cells by column kind: formula-like text is neutralised, numbers stay numbers (issue 18)."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from webapp.domain.export_cells import (
    Column,
    Kind,
    Totals,
    csv_cell,
    csv_cells,
    csv_row,
    money_text,
    needs_quote_prefix,
    neutralise,
)

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(
    "text,expected",
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+40722123456", "'+40722123456"),  # E.164: text in a text column, so quoted
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("Ana", "Ana"),
        ("", ""),
        ("a=b", "a=b"),
        (" =1", " =1"),  # a leading space: not a formula in Excel
        ("Ședință mâine 😀", "Ședință mâine 😀"),
        ("'already quoted", "'already quoted"),
    ],
)
def test_text_that_would_run_as_a_formula_gets_a_single_quote(text, expected):
    assert neutralise(text) == expected
    assert csv_cell(Kind.TEXT, text) == expected
    assert needs_quote_prefix(Kind.TEXT, text) is (expected != text)


@pytest.mark.parametrize(
    "kind,value,separator,expected",
    [
        (Kind.INT, 3, ";", "3"),
        (Kind.INT, -3, ";", "-3"),  # a number, never quoted
        (Kind.MONEY, Decimal("-3.7450"), ";", "-3,745"),
        (Kind.MONEY, Decimal("-3.7450"), ",", "-3.745"),
        (Kind.MONEY, Decimal("0.0350"), ";", "0,035"),
        (Kind.MONEY, Decimal("12.5000"), ",", "12.50"),
        (Kind.MONEY, Decimal("263.8050"), ",", "263.805"),
        (Kind.MONEY, Decimal("0"), ",", "0.00"),
        (Kind.MONEY, Decimal("1E+2"), ",", "100.00"),
        (Kind.PRICE, Decimal("0.035"), ";", "0,0350"),
        (Kind.PRICE, Decimal("-0.0350"), ",", "-0.0350"),
        (Kind.DATE, date(2026, 3, 5), ";", "2026-03-05"),
        (Kind.DATETIME, datetime(2026, 3, 5, 14, 7, 9), ";", "2026-03-05 14:07:09"),
        (Kind.TEXT, None, ";", ""),
        (Kind.MONEY, None, ";", ""),
    ],
)
def test_numbers_and_dates_are_written_as_such(kind, value, separator, expected):
    assert csv_cell(kind, value, separator) == expected
    assert not needs_quote_prefix(kind, value)


@pytest.mark.parametrize(
    "kind,value",
    [
        (Kind.MONEY, 0.035),  # money is never a float
        (Kind.PRICE, 1),
        (Kind.MONEY, Decimal("NaN")),
        (Kind.INT, True),
        (Kind.INT, "3"),
        (Kind.TEXT, 3),
        (Kind.DATE, datetime(2026, 3, 5)),
        (Kind.DATETIME, date(2026, 3, 5)),
        (Kind.DATETIME, datetime.fromisoformat("2026-03-05T10:00:00+02:00")),  # local, naive: XLSX has no zones
    ],
)
def test_a_value_of_the_wrong_kind_is_refused(kind, value):
    with pytest.raises(TypeError):
        csv_cell(kind, value)


def test_money_text_keeps_every_decimal_it_has():
    assert money_text(Decimal("0.0001")) == "0.0001"
    assert money_text(Decimal("-0.10")) == "-0.10"


COLUMNS = [
    Column("Date", Kind.DATETIME),
    Column("To"),
    Column("Parts", Kind.INT),
    Column("Price", Kind.PRICE),
    Column("Cost", Kind.MONEY),
]


def test_totals_add_counts_and_amounts_but_not_prices():
    totals = Totals(COLUMNS)
    rows = [
        [datetime(2026, 3, 5), "+40722000001", 1, Decimal("0.0350"), Decimal("0.0350")],
        [datetime(2026, 3, 5), HYPERLINK, 2, Decimal("0.0350"), Decimal("0.0700")],
        [datetime(2026, 3, 6), "+40722000003", 1, Decimal("0.0350"), Decimal("-3.7450")],
        [datetime(2026, 3, 6), "+40722000004", 1, Decimal("0.0350"), None],
    ]
    for row in rows:
        totals.add(row)
    assert totals.rows == 4
    assert totals.row("Total") == [
        (Kind.TEXT, "Total"),
        (Kind.TEXT, None),
        (Kind.INT, 5),
        (Kind.PRICE, None),
        (Kind.MONEY, Decimal("-3.6400")),
    ]
    assert csv_cells(totals.row("Total"), ";") == ["Total", "", "5", "", "-3,64"]
    assert csv_row(COLUMNS, rows[1], ",") == ["2026-03-05 00:00:00", "'" + HYPERLINK, "2", "0.0350", "0.07"]


def test_an_id_column_is_not_summed():
    columns = [Column("To"), Column("Parts", Kind.INT), Column("ID", Kind.INT, summed=False)]
    totals = Totals(columns)
    totals.add(["x", 2, 41])
    totals.add(["y", 1, 42])
    assert totals.row("Total") == [(Kind.TEXT, "Total"), (Kind.INT, 3), (Kind.INT, None)]


def test_totals_of_no_rows_are_zero():
    assert Totals(COLUMNS).row("Σ") == [
        (Kind.TEXT, "Σ"),
        (Kind.TEXT, None),
        (Kind.INT, 0),
        (Kind.PRICE, None),
        (Kind.MONEY, Decimal("0")),
    ]


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError):
        csv_row(COLUMNS, ["x"])
