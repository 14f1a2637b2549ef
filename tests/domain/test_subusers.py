"""Subusers' rules: transfer amounts, what can be given, spend caps and their periods."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from webapp.domain import subusers as rules

D = Decimal


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("25", D("25.00")),
        ("25.5", D("25.50")),
        ("25,50", D("25.50")),
        (" 1 000 ", D("1000.00")),
        ("0.01", D("0.01")),
        ("€7", D("7.00")),
        (D("3.10"), D("3.10")),
    ],
)
def test_transfer_amounts(raw, expected):
    assert rules.parse_transfer_amount(raw) == expected


@pytest.mark.parametrize(
    "raw, problem",
    [
        ("", rules.NOT_AN_AMOUNT),
        ("abc", rules.NOT_AN_AMOUNT),
        ("NaN", rules.NOT_AN_AMOUNT),
        ("Infinity", rules.NOT_AN_AMOUNT),
        ("0", rules.NOT_POSITIVE),
        ("-5", rules.NOT_POSITIVE),
        ("0.00", rules.NOT_POSITIVE),
        ("1.005", rules.TOO_PRECISE),
        ("0.001", rules.TOO_PRECISE),
        ("1e9", rules.NOT_AN_AMOUNT),
        ("1e308", rules.NOT_AN_AMOUNT),
        ("١٢", rules.NOT_AN_AMOUNT),
        ("１２", rules.NOT_AN_AMOUNT),  # Arabic-Indic, full-width
    ],
)
def test_bad_transfer_amounts(raw, problem):
    with pytest.raises(rules.BadAmount) as exc:
        rules.parse_transfer_amount(raw)
    assert exc.value.args[0] == problem


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        rules.parse_transfer_amount(1.5)


@pytest.mark.parametrize("raw, expected", [("", None), ("  ", None), (None, None), ("50", D("50.00"))])
def test_caps(raw, expected):
    assert rules.parse_cap(raw) == expected


@pytest.mark.parametrize(
    "balance, most",
    [
        (D("10.0000"), D("10.00")),
        (D("10.3499"), D("10.34")),
        (D("0.0099"), D("0.00")),
        (D("-2.5000"), D("0.00")),
    ],
)
def test_transferable_is_whole_cents_never_negative(balance, most):
    assert rules.transferable(balance) == most


@pytest.mark.parametrize(
    "cost, today, month, daily, monthly, breached",
    [
        (D("1"), D("0"), D("0"), None, None, None),
        (D("1"), D("9"), D("9"), D("10"), None, None),  # reaching the cap exactly is fine
        (D("1.0001"), D("9"), D("9"), D("10"), None, "daily"),
        (D("0.0350"), D("10"), D("10"), D("10"), D("100"), "daily"),
        (D("5"), D("0"), D("96"), D("10"), D("100"), "monthly"),
        (D("4"), D("0"), D("96"), D("10"), D("100"), None),
        (D("20"), D("0"), D("96"), D("10"), D("100"), "daily"),  # both: the daily one is named
        (D("0"), D("50"), D("500"), D("10"), D("100"), None),  # nothing to spend, nothing refused
        (D("1"), D("-2"), D("0"), D("0"), None, None),  # refunds today gave room back
    ],
)
def test_cap_breach(cost, today, month, daily, monthly, breached):
    breach = rules.cap_breach(cost, spent_today=today, spent_month=month, daily_cap=daily, monthly_cap=monthly)
    if breached is None:
        assert breach is None
    else:
        assert breach.message == (rules.DAILY_CAP if breached == "daily" else rules.MONTHLY_CAP)


def test_cap_message_names_the_amounts():
    breach = rules.cap_breach(
        D("0.0350"), spent_today=D("9.98"), spent_month=D("9.98"), daily_cap=D("10"), monthly_cap=None
    )
    assert breach.text() == ("This would pass the daily spend cap of €10.00: €9.98 spent today, this costs €0.035.")


@pytest.mark.parametrize(
    "now, tz, day, month",
    [
        # 22:30 UTC on 31 March is 1 April 01:30 in Bucharest (UTC+3 in summer time).
        (
            datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
            "Europe/Bucharest",
            "2026-04-01T00:00:00+03:00",
            "2026-04-01T00:00:00+03:00",
        ),
        (
            datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
            "Europe/Bucharest",
            "2026-01-15T00:00:00+02:00",
            "2026-01-01T00:00:00+02:00",
        ),
        (
            datetime(2026, 3, 1, 3, 0, tzinfo=UTC),
            "America/New_York",
            "2026-02-28T00:00:00-05:00",
            "2026-02-01T00:00:00-05:00",
        ),
    ],
)
def test_periods_are_in_the_accounts_time_zone(now, tz, day, month):
    got_day, got_month = rules.period_starts(now, tz)
    assert (got_day.isoformat(), got_month.isoformat()) == (day, month)
