from decimal import Decimal

import pytest

from webapp.domain.pricing import PriceEntry, PriceList, Unroutable, parse_price_csv, quote

D = Decimal
PRICES = PriceList(
    [
        PriceEntry("RO", D("0.0350")),
        PriceEntry("RO", D("0.0300"), "+40722"),
        PriceEntry("RO", D("0.0310"), "+4072"),
        PriceEntry("MD", D("0.0650")),
        PriceEntry("UA", D("0.0520")),
    ],
    overrides=[PriceEntry("UA", D("0.0490")), PriceEntry("DE", D("0.0750"))],
)


@pytest.mark.parametrize(
    "parts, e164, country, price, cost",
    [
        (1, "+40745123456", "RO", "0.0350", "0.0350"),
        (3, "+40745123456", "RO", "0.0350", "0.1050"),
        (2, "+40722123456", "RO", "0.0300", "0.0600"),  # the longest prefix wins
        (2, "+40723123456", "RO", "0.0310", "0.0620"),
        (1, "+37369123456", "MD", "0.0650", "0.0650"),
        (4, "+380501234567", "UA", "0.0490", "0.1960"),  # account override
        (1, "+4915112345678", "DE", "0.0750", "0.0750"),  # only in the overrides
        (10, "+40745123456", "RO", "0.0350", "0.3500"),
    ],
)
def test_quote(parts, e164, country, price, cost):
    q = quote(parts, e164, country, PRICES)
    assert (q.price_per_part, q.cost, q.parts, q.country) == (D(price), D(cost), parts, country)
    assert q.cost.as_tuple().exponent == -4


@pytest.mark.parametrize(
    "e164, country, reason", [("+33612345678", "FR", "no route to FR"), ("+999", None, "country is unknown")]
)
def test_unroutable_destinations_say_why(e164, country, reason):
    with pytest.raises(Unroutable, match=reason):
        quote(1, e164, country, PRICES)


def test_price_csv_keeps_good_rows_and_names_bad_ones():
    text = "\ufeffCountry;Prefix;Price\nRO;;0,0350\nRO;+40722;0.0300\nXX;;1\nMD;;abc\nRO;;0.01\nUA;40;0.05\nBG;;0.048\n"
    entries, errors = parse_price_csv(text)
    assert entries == [
        PriceEntry("RO", D("0.0350")),
        PriceEntry("RO", D("0.0300"), "+40722"),
        PriceEntry("BG", D("0.0480")),
    ]
    assert [str(e) for e in errors] == [
        "row 4, column 'country': 'XX' is not a two-letter country code (ISO 3166)",
        "row 5, column 'price': 'abc' is not an amount",
        "row 6, column 'country': repeats row 2",
        "row 7, column 'prefix': '40' is not a prefix like +40722",
    ]


@pytest.mark.parametrize("text", ["", "tara,pret\nRO,0.03\n"])
def test_price_csv_without_the_columns(text):
    entries, errors = parse_price_csv(text)
    assert entries == [] and errors[0].row == 1 and "missing column" in errors[0].message
