"""Delivery windows in the recipient's local time (issue 22): "deliver only between 09:00 and
20:00 where the phone is". Plain Python: the standard library's zoneinfo and ``phonenumbers``.

* A :class:`Window` is a wall-clock interval, ``start`` included, ``end`` excluded; an ``end``
  before ``start`` crosses midnight (22:00–06:00 is the night). ``start == end`` is refused: a
  window that is always or never open says nothing.
* The zones come from the number (``phonenumbers.timezone.time_zones_for_number``: the country,
  and the region where the number tells it, e.g. a US area code). **When a number maps to several
  zones (a US mobile number without a region, Russia, Brazil …) the window must hold in all of
  them**: the message goes only when it is inside the window in every zone the number may be in.
  A number that says nothing about its zone is read in the fallback zone given (the account's).
* ``next_allowed(now, zones, window)`` is ``now`` when inside in every zone, else the earliest
  UTC instant at which it is. The window is read on the wall clock of each local day, so DST is
  the clock's business: a start inside a spring-forward gap (03:30 in Bucharest on the last
  Sunday of March) opens when the clock jumps past it (04:00 local), and a start inside an
  autumn overlap opens the first time the clock shows it.
* When the zones' windows never meet (zones far apart and a short window), the message goes at
  the window's next start in the first zone: waiting for an instant that never comes would let
  it expire unsent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as _timezone

from webapp.domain import N_

INVALID = N_("Give the delivery window as two times of day, like 09:00–20:00.")
EMPTY = N_("The delivery window starts and ends at the same time.")

_TIME = r"([01]?\d|2[0-3])[:.h]([0-5]\d)"
_PATTERN = re.compile(rf"^\s*{_TIME}\s*(?:-|–|—|to|\s)\s*{_TIME}\s*$", re.IGNORECASE)
_SEARCH_DAYS = 8  # windows that meet do so within a day or two; a week is plenty


class InvalidWindow(ValueError):
    """What the customer typed is no window; ``message`` is a translatable sentence (N_)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Window:
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise InvalidWindow(EMPTY)

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start

    def holds(self, wall: time) -> bool:
        """Whether a wall-clock time is inside (start included, end excluded)."""
        if self.crosses_midnight:
            return wall >= self.start or wall < self.end
        return self.start <= wall < self.end

    def __str__(self) -> str:
        """The stored and shown form, ``09:00-20:00``."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def shown(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def parse(text: str | None) -> Window | None:
    """``"09:00-20:00"`` (or with an en dash, ``9.00 – 20.00``, ``22:00 to 06:00``) as a Window;
    empty means no window (None). Raises InvalidWindow."""
    if text is None or not text.strip():
        return None
    found = _PATTERN.match(text)
    if not found:
        raise InvalidWindow(INVALID)
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    return Window(time(h1, m1), time(h2, m2))


def from_times(start: str, end: str) -> Window:
    """The API's ``{"start": "09:00", "end": "20:00"}``. Raises InvalidWindow."""
    window = parse(f"{start}-{end}")
    if window is None:
        raise InvalidWindow(INVALID)
    return window


@lru_cache(maxsize=4096)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zones_for_number(e164: str, fallback: str = "UTC") -> list[str]:
    """The IANA zones the number may be in (country, and region where the number tells it);
    ``[fallback]`` when it says nothing (or cannot be read)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return [fallback]
    zones = [z for z in _timezone.time_zones_for_number(number) if z != _timezone.UNKNOWN_TIMEZONE and _zone(z)]
    return zones or [fallback]


def inside(moment: datetime, zones: list[str], window: Window) -> bool:
    """Whether the UTC instant is inside the window on the wall clock of every zone."""
    return all(window.holds(moment.astimezone(_zone_or_utc(z)).time().replace(tzinfo=None)) for z in zones)


def _zone_or_utc(name: str) -> ZoneInfo:
    return _zone(name) or ZoneInfo("UTC")


def _opening(day: date, start: time, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the wall clock of ``zone`` reaches ``start`` on ``day``: one,
    two in an autumn overlap, and the jump's instant when ``start`` falls in a spring gap."""
    instants = set()
    for fold in (0, 1):
        local = datetime.combine(day, start, tzinfo=zone).replace(fold=fold)
        instants.add(local.astimezone(UTC))
    found = sorted(instants)
    if len(found) == 2 and not any(_shows(m, zone, day, start) for m in found):
        # A gap: the clock never shows ``start``; it opens when the clock jumps past it.
        low, high = (int(m.timestamp()) for m in found)
        while high - low > 1:
            middle = (low + high) // 2
            if _reached(datetime.fromtimestamp(middle, UTC), zone, day, start):
                high = middle
            else:
                low = middle
        return [datetime.fromtimestamp(high, UTC)]
    return [m for m in found if _shows(m, zone, day, start)] or found


def _shows(moment: datetime, zone: ZoneInfo, day: date, start: time) -> bool:
    local = moment.astimezone(zone)
    return local.date() == day and local.time().replace(tzinfo=None) == start


def _reached(moment: datetime, zone: ZoneInfo, day: date, start: time) -> bool:
    local = moment.astimezone(zone)
    return (local.date(), local.time().replace(tzinfo=None)) >= (day, start)


def next_allowed(now: datetime, zones: list[str], window: Window) -> datetime:
    """``now`` (UTC, aware) when inside in every zone, else the earliest UTC instant when it is.
    The earliest instant of an intersection of windows is where the last of them opens, so the
    candidates are ``now`` and every zone's openings over the next days."""
    now = now.astimezone(UTC)
    zones = list(dict.fromkeys(zones)) or ["UTC"]
    if inside(now, zones, window):
        return now
    openings = []
    for name in zones:
        zone = _zone_or_utc(name)
        today = now.astimezone(zone).date()
        for offset in range(-1, _SEARCH_DAYS):
            openings += [m for m in _opening(today + timedelta(days=offset), window.start, zone) if m > now]
    openings.sort()
    for moment in openings:
        if inside(moment, zones, window):
            return moment
    return next(m for m in openings if inside(m, zones[:1], window))


def not_before(now: datetime, e164: str, window: Window | None, fallback_zone: str = "UTC") -> datetime | None:
    """When a message to ``e164`` may go: None when now (or no window), else the instant."""
    if window is None:
        return None
    at = next_allowed(now, zones_for_number(e164, fallback_zone), window)
    return at if at > now else None
