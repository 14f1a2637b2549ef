"""Statement rules: periods in the account's time zone, and printing cents that add up."""

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest

from webapp.domain import statements as rules


@pytest.mark.parametrize(
    "values, total, expected",
    [
        # Half-up on its own would print 0.04 + 0.07 = 0.11 for a total of 0.10.
        (["0.0350", "0.0650"], "0.10", ["0.04", "0.06"]),
        (["0.0350", "0.0350", "0.0350"], "0.11", ["0.04", "0.04", "0.03"]),
        (["1.2345", "2.3456", "3.4567"], "7.04", ["1.23", "2.35", "3.46"]),
        (["10", "20.50"], "30.50", ["10.00", "20.50"]),  # whole cents stay as they are
        (["-3.7450", "10.0050"], "6.26", ["-3.75", "10.01"]),  # ties: as half-up prints them
        (["-3.7450", "10.0040"], "6.26", ["-3.74", "10.00"]),
        (["-0.0049", "-0.0049", "0.0098"], "0.00", ["0.00", "-0.01", "0.01"]),
        (["0.0049"] * 4, "0.02", ["0.01", "0.01", "0.00", "0.00"]),
        (["5.0050", "-5.0050"], "0.00", ["5.01", "-5.01"]),
        ([], "0.00", []),
    ],
)
def test_allocated_cents_add_up_to_the_total(values, total, expected):
    result = rules.allocate([D(v) for v in values], D(total))
    assert [str(r) for r in result] == expected
    assert sum(result, D(0)) == D(total)
    assert all(abs(r - D(v)) < D("0.01") for r, v in zip(result, values))


def test_allocation_of_many_sub_cent_costs_stays_within_a_cent_of_each():
    values = [D("0.0350") * n for n in range(1, 200)]
    total = rules.cents(sum(values, D(0)))
    naive = [v.quantize(D("0.01"), rounding=ROUND_HALF_UP) for v in values]
    assert sum(naive, D(0)) != total  # why allocation is needed at all
    result = rules.allocate(values, total)
    assert sum(result, D(0)) == total
    assert max(abs(r - v) for r, v in zip(result, values)) < D("0.01")


@pytest.mark.parametrize(
    "first, last, today, expected",
    [
        (date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 2), (date(2026, 3, 1), date(2026, 4, 1))),
        (date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 1), (date(2026, 3, 1), date(2026, 3, 2))),  # today so far
        (date(2025, 3, 1), date(2026, 3, 31), date(2026, 4, 2), (date(2025, 3, 1), date(2026, 4, 1))),  # 13 months
        (date(2026, 3, 2), date(2026, 3, 1), date(2026, 4, 2), "start"),  # first after last
        (date(2026, 3, 1), date(2026, 4, 3), date(2026, 4, 2), "end"),  # in the future
        (date(2025, 2, 28), date(2026, 3, 31), date(2026, 4, 2), "start"),  # over 13 months
    ],
)
def test_a_chosen_period_is_checked(first, last, today, expected):
    if isinstance(expected, str):
        with pytest.raises(rules.InvalidPeriod) as caught:
            rules.check_period(first, last, today)
        assert caught.value.field == expected
    else:
        assert rules.check_period(first, last, today) == expected


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 1), -1, date(2026, 2, 1)),
        (date(2026, 1, 1), -1, date(2025, 12, 1)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2025, 3, 1), 13, date(2026, 4, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert rules.add_months(day, months) == expected


@pytest.mark.parametrize(
    "today, expected",
    [
        (date(2026, 4, 1), (date(2026, 3, 1), date(2026, 4, 1))),
        (date(2026, 1, 15), (date(2025, 12, 1), date(2026, 1, 1))),
    ],
)
def test_previous_month(today, expected):
    assert rules.previous_month(today) == expected


@pytest.mark.parametrize(
    "day, tz, utc",
    [
        (date(2026, 3, 1), "Europe/Bucharest", datetime(2026, 2, 28, 22, 0)),  # winter: UTC+2
        (date(2026, 4, 1), "Europe/Bucharest", datetime(2026, 3, 31, 21, 0)),  # summer: UTC+3
        (date(2026, 3, 1), "America/New_York", datetime(2026, 3, 1, 5, 0)),
        (date(2026, 3, 1), "UTC", datetime(2026, 3, 1, 0, 0)),
        (date(2026, 3, 1), "Asia/Kolkata", datetime(2026, 2, 28, 18, 30)),
        # Chile's clocks jump from 00:00 to 01:00 in September: the day starts at the jump.
        (date(2026, 9, 6), "America/Santiago", datetime(2026, 9, 6, 4, 0)),
    ],
)
def test_a_day_starts_at_local_midnight(day, tz, utc):
    assert rules.local_midnight(day, tz) == utc.replace(tzinfo=UTC)


def test_days_of_a_month_with_a_clock_change_are_23_to_25_hours():
    starts = rules.day_starts(date(2026, 3, 1), date(2026, 4, 1), "Europe/Bucharest")
    lengths = [(b - a).total_seconds() / 3600 for a, b in zip(starts, starts[1:])]
    assert len(lengths) == 31 and lengths.count(23) == 1 and lengths.count(24) == 30


def figures(**overrides):
    base = {
        "opening": "9.9650",
        "closing": "9.8600",
        "lines": [
            {"key": "topups", "amount": "0.0000", "count": 0},
            {"key": "topups_refunded", "amount": "0.0000", "count": 0},
            {"key": "sms_sent", "amount": "-0.1350", "count": 3},
            {"key": "sms_refunds", "amount": "0.0650", "count": 1},
            {"key": "charge_timing", "amount": "0.0000", "count": 0},
            {"key": "held", "amount": "-0.0350", "count": 0},
            {"key": "adjustments", "amount": "0.0000", "count": 0},
        ],
        "by_country": [
            {"country": "RO", "messages": 2, "parts": 2, "sent": "0.0700", "refunded": "0.0000"},
            {"country": "MD", "messages": 1, "parts": 1, "sent": "0.0650", "refunded": "0.0650"},
        ],
        "by_day": [
            {"day": "2026-03-01", "messages": 1, "parts": 1, "sent": "0.0350", "refunded": "0.0000"},
            {"day": "2026-03-05", "messages": 2, "parts": 2, "sent": "0.1000", "refunded": "0.0650"},
        ],
        "entries": [],
    }
    return {**base, **overrides}


def test_printed_figures_add_up_everywhere():
    view = rules.printed(figures())
    assert (view.opening, view.closing) == (D("9.97"), D("9.86"))
    assert [line.key for line in view.lines] == ["topups", "sms_sent", "sms_refunds", "held", "adjustments"]
    assert view.opening + sum(line.amount for line in view.lines) == view.closing
    assert (
        -view.line("sms_sent").amount
        == view.total.sent
        == sum(r.sent for r in view.by_country)
        == sum(r.sent for r in view.by_day)
    )
    assert view.line("sms_refunds").amount == view.total.refunded == sum(r.refunded for r in view.by_day)
    assert view.total.net == view.total.sent - view.total.refunded
    assert (view.total.messages, view.total.parts) == (3, 3)


def test_listed_entries_add_up_to_their_line():
    view = rules.printed(
        figures(
            opening="0.0000",
            closing="4.0100",
            lines=[
                {"key": "topups", "amount": "4.0150", "count": 2},
                {"key": "adjustments", "amount": "-0.0050", "count": 1},
                {"key": "sms_sent", "amount": "0.0000", "count": 0},
                {"key": "sms_refunds", "amount": "0.0000", "count": 0},
            ],
            by_country=[],
            by_day=[],
            entries=[
                {
                    "at": "2026-03-02T10:00:00+00:00",
                    "kind": "topup",
                    "line": "topups",
                    "amount": "2.0075",
                    "reason": "",
                    "reference": "",
                },
                {
                    "at": "2026-03-03T10:00:00+00:00",
                    "kind": "adjustment",
                    "line": "adjustments",
                    "amount": "-0.0050",
                    "reason": "",
                    "reference": "",
                },
                {
                    "at": "2026-03-04T10:00:00+00:00",
                    "kind": "topup",
                    "line": "topups",
                    "amount": "2.0075",
                    "reason": "",
                    "reference": "",
                },
            ],
        )
    )
    topups = [e.amount for e in view.entries if e.line == "topups"]
    assert sum(topups, D(0)) == view.line("topups").amount
    assert view.opening + sum(line.amount for line in view.lines) == view.closing == D("4.01")
    assert [e.at[:10] for e in view.entries] == ["2026-03-02", "2026-03-03", "2026-03-04"]


def test_each_line_is_rounded_half_up_as_the_pages_round_it_with_a_rounding_line_when_needed():
    """A subuser's month: 2.00 in, one SMS at 0.035 out. The dashboard says 0.04 spent and the
    balance 1.97 (1.965 half up); the statement prints both and a cent of rounding between them."""
    view = rules.printed(
        figures(
            opening="2.0000",
            closing="1.9650",
            lines=[
                {"key": "topups", "amount": "0.0000", "count": 0},
                {"key": "sms_sent", "amount": "-0.0350", "count": 1},
                {"key": "sms_refunds", "amount": "0.0000", "count": 0},
            ],
            by_country=[{"country": "RO", "messages": 1, "parts": 1, "sent": "0.0350", "refunded": "0.0000"}],
            by_day=[{"day": "2026-03-02", "messages": 1, "parts": 1, "sent": "0.0350", "refunded": "0.0000"}],
        )
    )
    assert (view.opening, view.closing) == (D("2.00"), D("1.97"))
    assert view.line("sms_sent").amount == -rules.cents(D("0.0350")) == D("-0.04")
    assert view.line(rules.ROUNDING).amount == D("0.01") and view.lines[-1].key == rules.ROUNDING
    assert view.opening + sum(line.amount for line in view.lines) == view.closing
    assert view.total.sent == sum(r.sent for r in view.by_country) == D("0.04")
    assert rules.ROUNDING not in [line.key for line in rules.printed(figures()).lines]  # only when needed
