"""The periods of Reports → All reports: presets on a given local day, custom days, UTC bounds."""

from datetime import UTC, date, datetime

import pytest

from webapp.domain.report_periods import MAX_DAYS, Period, bounds, period_of

WED = date(2026, 3, 18)  # a Wednesday


@pytest.mark.parametrize(
    ("preset", "today", "day_from", "day_to", "expected"),
    [
        ("today", WED, None, None, Period("today", WED, WED)),
        ("week", WED, None, None, Period("week", date(2026, 3, 16), WED)),  # from Monday
        ("week", date(2026, 3, 16), None, None, Period("week", date(2026, 3, 16), date(2026, 3, 16))),
        ("week", date(2026, 3, 22), None, None, Period("week", date(2026, 3, 16), date(2026, 3, 22))),  # Sunday
        ("week", date(2026, 1, 2), None, None, Period("week", date(2025, 12, 29), date(2026, 1, 2))),  # across a year
        ("month", WED, None, None, Period("month", date(2026, 3, 1), WED)),
        ("month", date(2026, 3, 1), None, None, Period("month", date(2026, 3, 1), date(2026, 3, 1))),
        ("last_month", WED, None, None, Period("last_month", date(2026, 2, 1), date(2026, 2, 28))),
        ("last_month", date(2024, 3, 31), None, None, Period("last_month", date(2024, 2, 1), date(2024, 2, 29))),
        ("last_month", date(2026, 1, 15), None, None, Period("last_month", date(2025, 12, 1), date(2025, 12, 31))),
        ("custom", WED, date(2026, 1, 5), date(2026, 1, 9), Period("custom", date(2026, 1, 5), date(2026, 1, 9))),
        ("custom", WED, date(2026, 1, 9), date(2026, 1, 5), Period("custom", date(2026, 1, 5), date(2026, 1, 9))),
        ("custom", WED, date(2026, 1, 9), None, Period("custom", date(2026, 1, 9), date(2026, 1, 9))),
        ("custom", WED, None, date(2026, 1, 9), Period("custom", date(2026, 1, 9), date(2026, 1, 9))),
        ("custom", WED, None, None, Period("month", date(2026, 3, 1), WED)),  # no days: this month
        (
            "custom",
            WED,
            date(2020, 1, 1),
            date(2026, 3, 1),
            Period("custom", date(2026, 3, 1).replace(year=2025), date(2026, 3, 1)),
        ),  # at most MAX_DAYS, the last ones
        ("bogus", WED, None, None, Period("month", date(2026, 3, 1), WED)),
        ("today", WED, date(2026, 1, 5), date(2026, 1, 9), Period("today", WED, WED)),  # a preset ignores the days
    ],
)
def test_presets(preset, today, day_from, day_to, expected):
    period = period_of(preset, today, day_from, day_to)
    assert period == expected
    assert period.days <= MAX_DAYS


@pytest.mark.parametrize(
    ("period", "tz", "start", "end"),
    [
        (
            Period("today", WED, WED),
            "Europe/Bucharest",
            datetime(2026, 3, 17, 22, tzinfo=UTC),
            datetime(2026, 3, 18, 22, tzinfo=UTC),
        ),
        # the clocks go forward on 29 March 2026 in Bucharest: a day of 23 hours
        (
            Period("custom", date(2026, 3, 29), date(2026, 3, 29)),
            "Europe/Bucharest",
            datetime(2026, 3, 28, 22, tzinfo=UTC),
            datetime(2026, 3, 29, 21, tzinfo=UTC),
        ),
        (
            Period("month", date(2026, 3, 1), date(2026, 3, 31)),
            "Europe/Bucharest",
            datetime(2026, 2, 28, 22, tzinfo=UTC),
            datetime(2026, 3, 31, 21, tzinfo=UTC),
        ),
        (Period("today", WED, WED), "UTC", datetime(2026, 3, 18, tzinfo=UTC), datetime(2026, 3, 19, tzinfo=UTC)),
        (
            Period("today", WED, WED),
            "Asia/Kolkata",
            datetime(2026, 3, 17, 18, 30, tzinfo=UTC),
            datetime(2026, 3, 18, 18, 30, tzinfo=UTC),
        ),
        (
            Period("today", WED, WED),
            "America/New_York",
            datetime(2026, 3, 18, 4, tzinfo=UTC),
            datetime(2026, 3, 19, 4, tzinfo=UTC),
        ),
    ],
)
def test_bounds_in_the_time_zone(period, tz, start, end):
    assert bounds(period, tz) == (start, end)
    assert bounds(period, tz)[0].tzinfo is UTC
