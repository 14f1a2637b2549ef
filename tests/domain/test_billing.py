"""Billing rules: top-up amounts and minimums, VAT by country and status, fiscal codes, invoice numbers."""

from decimal import Decimal as D

import pytest

from webapp.domain import billing
from webapp.domain.billing import CARD, TRANSFER, BillingError

RO_RATE = D("0.21")


@pytest.mark.parametrize(
    "text, method, expected",
    [
        ("10", CARD, D("10")),
        ("49,90", CARD, D("49.90")),
        (" 1 000 ", TRANSFER, D("1000")),
        ("25.5", TRANSFER, D("25.5")),
    ],
)
def test_top_up_amounts(text, method, expected):
    assert billing.top_up_amount(text, method) == expected


@pytest.mark.parametrize(
    "text, method, message",
    [
        ("9.99", CARD, "least you can buy this way is 10"),
        ("24.99", TRANSFER, "least you can buy this way is 25"),
        ("10.001", CARD, "Give the amount in euro"),
        ("-50", CARD, "Give the amount in euro"),
        ("ten", CARD, "Give the amount in euro"),
        ("", TRANSFER, "Give the amount in euro"),
        ("50001", TRANSFER, "please contact us"),
    ],
)
def test_top_up_amounts_refused(text, method, message):
    with pytest.raises(BillingError, match=message):
        billing.top_up_amount(text, method)


@pytest.mark.parametrize(
    "country, business, vat_number, rate, reverse, note",
    [
        ("RO", True, "RO14399840", RO_RATE, False, ""),
        ("RO", False, "", RO_RATE, False, ""),
        ("DE", True, "DE123456789", D("0"), True, "Reverse charge"),
        ("DE", True, "", RO_RATE, False, ""),  # a business without a VAT number pays VAT
        ("FR", False, "", RO_RATE, False, ""),  # an EU consumer pays the home rate
        ("MD", True, "1003600012345", D("0"), False, "Outside the scope"),
        ("UA", False, "", D("0"), False, "Outside the scope"),
        ("", False, "", RO_RATE, False, ""),  # no country yet: treated as home
    ],
)
def test_vat_by_country_and_status(country, business, vat_number, rate, reverse, note):
    vat = billing.vat_for(country, business, vat_number, RO_RATE)
    assert vat.rate == rate and vat.reverse_charge is reverse and vat.note.startswith(note)


@pytest.mark.parametrize(
    "net, rate, vat, total",
    [
        (D("10"), RO_RATE, D("2.10"), D("12.10")),
        (D("49.90"), RO_RATE, D("10.48"), D("60.38")),  # 10.479 → 10.48
        (D("33.33"), D("0.19"), D("6.33"), D("39.66")),  # 6.3327 → 6.33
        (D("0.05"), D("0.21"), D("0.01"), D("0.06")),  # 0.0105 → 0.01
        (D("100"), D("0"), D("0.00"), D("100.00")),
    ],
)
def test_amounts_to_the_cent(net, rate, vat, total):
    result = billing.amounts(net, rate)
    assert (result.vat, result.total) == (vat, total) and result.net + result.vat == result.total


@pytest.mark.parametrize(
    "text, expected",
    [
        ("14399840", "14399840"),  # real codes: eMAG, Orange România, BRD, Petrom
        ("RO14399840", "14399840"),
        ("ro 9010105", "9010105"),
        ("361579", "361579"),
        ("1.590.082", "1590082"),
    ],
)
def test_romanian_cui_checksum(text, expected):
    assert billing.romanian_cui(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("14399841", "control digit"),
        ("123", "control digit"),
        ("1", "2 to 10 digits"),
        ("12345678901", "2 to 10 digits"),
        ("RO12AB", "2 to 10 digits"),
        ("", "2 to 10 digits"),
    ],
)
def test_romanian_cui_refused(text, message):
    with pytest.raises(BillingError, match=message):
        billing.romanian_cui(text)


@pytest.mark.parametrize(
    "country, text, expected",
    [
        ("RO", "RO14399840", "RO14399840"),
        ("RO", "14399840", "14399840"),
        ("DE", "DE 123 456 789", "DE123456789"),
        ("DE", "123456789", "DE123456789"),
        ("GR", "EL123456789", "EL123456789"),
        ("NL", "NL123456789B01", "NL123456789B01"),
        ("MD", "1003600012345", "1003600012345"),
    ],
)
def test_fiscal_codes(country, text, expected):
    assert billing.fiscal_code(country, text) == expected


@pytest.mark.parametrize(
    "country, text", [("DE", "DE12345678"), ("NL", "NL123456789"), ("FR", "FR1"), ("MD", " "), ("RO", "RO14399841")]
)
def test_fiscal_codes_refused(country, text):
    with pytest.raises(BillingError):
        billing.fiscal_code(country, text)


@pytest.mark.parametrize(
    "series, number, printed", [("SMS", 1, "SMS-000001"), ("PRO", 42, "PRO-000042"), ("SMS", 1234567, "SMS-1234567")]
)
def test_invoice_numbers(series, number, printed):
    assert billing.invoice_number(series, number) == printed


@pytest.mark.parametrize(
    "balance, threshold, step, bought",
    [
        ("4.99", "5", "20", "20"),
        ("-3", "5", "20", "20"),
        ("0", "50", "10", "60"),  # 50 would only reach the threshold
        ("0.01", "50", "10", "50"),
        ("30", "100", "25", "75"),
        ("0", "100000", "10000", "50000"),  # never more than the most bought at once
        ("0", "100000", "30000", "30000"),
    ],
)
def test_an_automatic_top_up_buys_enough_to_get_back_over_the_threshold(balance, threshold, step, bought):
    assert billing.automatic_top_up(D(balance), D(threshold), D(step)) == D(bought)
