"""A route's provider costs as operators type them, and the margin (webapp/domain/route_costs.py)."""

from decimal import Decimal

import pytest

from webapp.domain.route_costs import InvalidCosts, costs_text, margin_percent, parse_costs

COUNTRIES = frozenset({"RO", "MD", "DE"})
D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RO = 0.0200", {"RO": D("0.0200")}),
        ("ro=0,015\n\n* = 0.03  # the rest\nMD = 0", {"RO": D("0.015"), "*": D("0.03"), "MD": D("0")}),
        ("", {}),
    ],
)
def test_costs_are_read(text, expected):
    assert parse_costs(text, COUNTRIES) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("RO 0.02", "line 1: write COUNTRY = cost"),
        ("XX = 0.02", "line 1: 'XX' is not a country code"),
        ("RO = cheap", "line 1: 'cheap' is not an amount"),
        ("RO = -1", "line 1: a cost per part from 0"),
        ("RO = 0.00001", "at most 4 decimals"),
        ("RO = 0.02\nRO = 0.03", "line 2: RO is given twice"),
        ("RO = 0.02\nXX = 1\nMD = x", "line 2: 'XX' is not a country code.*; line 3: 'x' is not an amount"),
    ],
)
def test_bad_lines_are_named(text, problem):
    with pytest.raises(InvalidCosts, match=problem):
        parse_costs(text, COUNTRIES)


def test_the_text_comes_back_as_typed():
    costs = {"*": D("0.03"), "RO": D("0.02"), "MD": D("0.025")}
    assert costs_text(costs) == "MD = 0.0250\nRO = 0.0200\n* = 0.0300\n"
    assert parse_costs(costs_text(costs), COUNTRIES) == costs


@pytest.mark.parametrize(
    ("revenue", "cost", "expected"),
    [(D("10"), D("7"), D("30.0")), (D("10"), D("12"), D("-20.0")), (D("0"), D("1"), None), (D("3"), D("1"), D("66.7"))],
)
def test_margin_percent(revenue, cost, expected):
    assert margin_percent(revenue, cost) == expected
