"""The periods of Reports → All reports: a preset (today, this week, this month, last month) or
custom days, read in the account's time zone. Pure Python (no Flask, no database).

``period_of(preset, today, day_from=None, day_to=None) -> Period``
    The days a preset covers on ``today`` (the account's local date), both ends included; a
    week starts on Monday. ``custom`` takes ``day_from`` / ``day_to``: a missing end is the
    other one (or today), two ends the wrong way round are swapped, and a period longer than
    :data:`MAX_DAYS` keeps its last :data:`MAX_DAYS` days. An unknown preset is this month.
``bounds(period, tz) -> (start, end)``
    The period as aware UTC instants ``[start, end)``: local midnight of the first day to
    local midnight after the last (a day of 23 or 25 hours when the clocks change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["CUSTOM", "DEFAULT", "MAX_DAYS", "PRESETS", "Period", "bounds", "period_of"]

TODAY, WEEK, MONTH, LAST_MONTH, CUSTOM = "today", "week", "month", "last_month", "custom"
PRESETS = (TODAY, WEEK, MONTH, LAST_MONTH, CUSTOM)
DEFAULT = MONTH
MAX_DAYS = 366  # what a chart by day holds (webapp/domain/charts.py)


@dataclass(frozen=True)
class Period:
    preset: str
    first: date  # included
    last: date  # included

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _month_start(day: date) -> date:
    return day.replace(day=1)


def period_of(preset: str, today: date, day_from: date | None = None, day_to: date | None = None) -> Period:
    """The days of ``preset`` as seen on ``today`` (see the module's docstring)."""
    if preset == TODAY:
        return Period(TODAY, today, today)
    if preset == WEEK:
        return Period(WEEK, today - timedelta(days=today.weekday()), today)
    if preset == LAST_MONTH:
        last = _month_start(today) - timedelta(days=1)
        return Period(LAST_MONTH, _month_start(last), last)
    if preset == CUSTOM and (day_from or day_to):
        first, last = day_from or day_to or today, day_to or day_from or today
        if first > last:
            first, last = last, first
        if (last - first).days + 1 > MAX_DAYS:
            first = last - timedelta(days=MAX_DAYS - 1)
        return Period(CUSTOM, first, last)
    return Period(MONTH, _month_start(today), today)


def bounds(period: Period, tz: str) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC: local midnight of the first day, local midnight after the last."""
    zone = ZoneInfo(tz)
    start = datetime.combine(period.first, time.min, zone)
    end = datetime.combine(period.last + timedelta(days=1), time.min, zone)
    return start.astimezone(UTC), end.astimezone(UTC)
