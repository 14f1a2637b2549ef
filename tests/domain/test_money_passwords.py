from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from webapp.domain import passwords
from webapp.domain.money import InvalidAmount, from_units, parse_amount, quantize, to_units


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("25", Decimal("25.0000")),
        ("25.5", Decimal("25.5000")),
        ("25,50", Decimal("25.5000")),
        (" 1 000.0350 ", Decimal("1000.0350")),
        ("0.0001", Decimal("0.0001")),
        (7, Decimal("7.0000")),
    ],
)
def test_parse_amount(raw, expected):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("abc", "not an amount"),
        ("1.23456", "more than 4 decimals"),
        ("-5", "negative"),
        ("NaN", "not an amount"),
        ("", "not an amount"),
        ("1e308", "not an amount"),
        ("-1e308", "not an amount"),
        ("١٢", "not an amount"),
        ("1000000000", "not an amount"),
    ],
)
def test_parse_amount_rejects(raw, message):
    with pytest.raises(InvalidAmount, match=message):
        parse_amount(raw)


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        parse_amount(0.1)
    with pytest.raises(TypeError):
        quantize(0.1)


@pytest.mark.parametrize("value, units", [("0.0350", 350), ("25", 250000), ("-3.7450", -37450), ("0", 0)])
def test_units_round_trip(value, units):
    assert to_units(Decimal(value)) == units
    assert from_units(units) == Decimal(value)


@pytest.mark.parametrize(
    "password, username, problems",
    [
        ("Corect-Cal-42", "ana", []),
        ("short1A!", "", [passwords.TOO_SHORT]),
        ("alllowercaseletters", "", [passwords.TOO_SIMPLE]),
        ("lowercase and digits 123", "", []),  # lower, digit, symbol (space)
        ("Password123", "", [passwords.TOO_COMMON]),
        ("ionescu-Pass-2026", "ionescu", [passwords.HAS_USERNAME]),
        ("aaaaaaAAAA1111", "", [passwords.TOO_REPETITIVE]),
        ("A1!" + "x" * 130, "", [passwords.TOO_LONG]),
    ],
)
def test_password_problems(password, username, problems):
    assert passwords.password_problems(password, username=username) == problems


def test_messages_state_the_limits():
    assert str(passwords.MIN_LENGTH) in passwords.TOO_SHORT
    assert str(passwords.MAX_LENGTH) in passwords.TOO_LONG


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "age, expired",
    [
        (None, True),
        (timedelta(0), False),
        (timedelta(days=29, hours=23), False),
        (timedelta(days=30), True),
        (timedelta(days=400), True),
    ],
)
def test_password_expiry_every_30_days(age, expired):
    changed = None if age is None else NOW - age
    assert passwords.is_password_expired(changed, NOW, 30) is expired
