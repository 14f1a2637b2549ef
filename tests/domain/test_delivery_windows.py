"""Delivery windows in the recipient's local time (issue 22): table tests across countries, DST
changes and windows crossing midnight (webapp/domain/delivery_windows.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from webapp.domain import delivery_windows as dw


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


DAY = dw.Window(time(9), time(20))
NIGHT = dw.Window(time(22), time(6))


@pytest.mark.parametrize(
    ("now", "zones", "window", "expected"),
    [
        # Romania in winter (EET, UTC+2): inside, before, after, exactly at the end
        (utc(2026, 12, 7, 10, 0), ["Europe/Bucharest"], DAY, utc(2026, 12, 7, 10, 0)),
        (utc(2026, 12, 7, 5, 0), ["Europe/Bucharest"], DAY, utc(2026, 12, 7, 7, 0)),
        (utc(2026, 12, 7, 19, 0), ["Europe/Bucharest"], DAY, utc(2026, 12, 8, 7, 0)),
        (utc(2026, 12, 7, 18, 0), ["Europe/Bucharest"], DAY, utc(2026, 12, 8, 7, 0)),  # 20:00 is out
        (utc(2026, 12, 7, 7, 0), ["Europe/Bucharest"], DAY, utc(2026, 12, 7, 7, 0)),  # 09:00 is in
        # Bucharest springs forward on the last Sunday of March (28 March 2027, 03:00 → 04:00)
        (utc(2027, 3, 27, 5, 0), ["Europe/Bucharest"], DAY, utc(2027, 3, 27, 7, 0)),  # EET: 09:00 = 07:00 UTC
        (utc(2027, 3, 27, 19, 0), ["Europe/Bucharest"], DAY, utc(2027, 3, 28, 6, 0)),  # EEST: 09:00 = 06:00 UTC
        (utc(2027, 3, 28, 0, 0), ["Europe/Bucharest"], dw.Window(time(3, 30), time(6)), utc(2027, 3, 28, 1, 0)),
        # … and falls back on the last Sunday of October (31 October 2027, 04:00 → 03:00)
        (utc(2027, 10, 30, 19, 0), ["Europe/Bucharest"], DAY, utc(2027, 10, 31, 7, 0)),
        (utc(2027, 10, 30, 5, 0), ["Europe/Bucharest"], DAY, utc(2027, 10, 30, 6, 0)),
        (utc(2027, 10, 30, 23, 0), ["Europe/Bucharest"], dw.Window(time(3, 30), time(5)), utc(2027, 10, 31, 0, 30)),
        # New York: DST from 14 March 2027, back on 7 November 2027
        (utc(2027, 3, 13, 12, 0), ["America/New_York"], DAY, utc(2027, 3, 13, 14, 0)),
        (utc(2027, 3, 14, 12, 0), ["America/New_York"], DAY, utc(2027, 3, 14, 13, 0)),
        (utc(2027, 11, 6, 12, 0), ["America/New_York"], DAY, utc(2027, 11, 6, 13, 0)),
        (utc(2027, 11, 7, 12, 0), ["America/New_York"], DAY, utc(2027, 11, 7, 14, 0)),
        (utc(2027, 3, 14, 6, 30), ["America/New_York"], dw.Window(time(2, 30), time(4)), utc(2027, 3, 14, 7, 0)),
        # Countries without DST, and far east
        (utc(2026, 12, 7, 12, 0), ["Asia/Tokyo"], DAY, utc(2026, 12, 8, 0, 0)),
        (utc(2026, 12, 7, 1, 0), ["Asia/Kolkata"], DAY, utc(2026, 12, 7, 3, 30)),
        (utc(2026, 12, 7, 10, 0), ["America/Sao_Paulo"], DAY, utc(2026, 12, 7, 12, 0)),
        (utc(2027, 6, 1, 22, 0), ["Australia/Sydney"], DAY, utc(2027, 6, 1, 23, 0)),
        # Crossing midnight: 22:00–06:00
        (utc(2026, 12, 7, 12, 0), ["Europe/Bucharest"], NIGHT, utc(2026, 12, 7, 20, 0)),
        (utc(2026, 12, 7, 1, 0), ["Europe/Bucharest"], NIGHT, utc(2026, 12, 7, 1, 0)),
        (utc(2026, 12, 7, 21, 0), ["Europe/Bucharest"], NIGHT, utc(2026, 12, 7, 21, 0)),
        (utc(2026, 12, 7, 4, 0), ["Europe/Bucharest"], NIGHT, utc(2026, 12, 7, 20, 0)),  # 06:00 is out
        (utc(2027, 3, 28, 3, 0), ["Europe/Bucharest"], NIGHT, utc(2027, 3, 28, 19, 0)),  # the short night
        # Several zones: the window must hold in all of them
        (utc(2026, 12, 7, 14, 0), ["America/New_York", "America/Los_Angeles"], DAY, utc(2026, 12, 7, 17, 0)),
        (utc(2026, 12, 7, 18, 0), ["America/New_York", "America/Los_Angeles"], DAY, utc(2026, 12, 7, 18, 0)),
        (utc(2026, 12, 7, 2, 0), ["America/New_York", "America/Los_Angeles"], DAY, utc(2026, 12, 7, 17, 0)),
        (utc(2026, 12, 7, 17, 30), ["Europe/Bucharest", "Europe/Moscow"], DAY, utc(2026, 12, 8, 7, 0)),
        (utc(2026, 12, 7, 12, 0), ["Europe/Bucharest", "Europe/Moscow"], DAY, utc(2026, 12, 7, 12, 0)),
        # Zones whose windows never meet: the first zone's next opening
        (
            utc(2026, 12, 7, 12, 0),
            ["Europe/Bucharest", "Pacific/Auckland"],
            dw.Window(time(9), time(10)),
            utc(2026, 12, 8, 7, 0),
        ),
    ],
)
def test_next_allowed(now, zones, window, expected):
    assert dw.next_allowed(now, zones, window) == expected
    assert dw.inside(expected, zones if "Pacific/Auckland" not in zones else zones[:1], window)


@pytest.mark.parametrize(
    ("number", "zones"),
    [
        ("+40722123456", ["Europe/Bucharest"]),
        ("+12125550123", ["America/New_York"]),  # the area code tells the region
        ("+14155550123", ["America/Los_Angeles"]),
        ("+447911123456", ["Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"]),  # one clock
        ("+4915112345678", ["Europe/Berlin"]),
        ("+819012345678", ["Asia/Tokyo"]),
        ("not a number", ["Europe/Bucharest"]),  # says nothing: the fallback (the account's)
    ],
)
def test_zones_for_number(number, zones):
    assert dw.zones_for_number(number, "Europe/Bucharest") == zones


def test_a_number_in_several_zones_waits_for_all_of_them():
    zones = dw.zones_for_number("+79161234567")  # a Russian mobile: the whole country
    assert len(zones) > 5 and "Europe/Moscow" in zones and "Asia/Vladivostok" in zones
    at = dw.next_allowed(utc(2026, 12, 7, 12, 0), zones, DAY)
    assert dw.inside(at, zones, DAY)
    assert at == utc(2026, 12, 8, 7, 0)  # 09:00 in Bucharest/Kaliningrad … 18:00 in Anadyr (UTC+12)


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("09:00-20:00", DAY),
        ("09:00–20:00", DAY),
        (" 9.00 – 20.00 ", DAY),
        ("22:00 to 06:00", NIGHT),
        ("22h00-06h00", NIGHT),
        ("", None),
        (None, None),
    ],
)
def test_parse(text, window):
    assert dw.parse(text) == window


@pytest.mark.parametrize("text", ["09:00", "25:00-10:00", "09:60-10:00", "nine to five", "09:00-09:00"])
def test_parse_refuses(text):
    with pytest.raises(dw.InvalidWindow):
        dw.parse(text)


def test_window_text_and_midnight():
    assert str(NIGHT) == "22:00-06:00" and NIGHT.shown() == "22:00–06:00"
    assert NIGHT.crosses_midnight and not DAY.crosses_midnight
    assert NIGHT.holds(time(23, 59)) and NIGHT.holds(time(0)) and not NIGHT.holds(time(6))


def test_api_times():
    assert dw.from_times("09:00", "20:00") == DAY
    with pytest.raises(dw.InvalidWindow):
        dw.from_times("20:00", "20:00")


def test_not_before():
    assert dw.not_before(utc(2026, 12, 7, 10), "+40722123456", DAY) is None
    assert dw.not_before(utc(2026, 12, 7, 5), "+40722123456", DAY) == utc(2026, 12, 7, 7)
    assert dw.not_before(utc(2026, 12, 7, 5), "+40722123456", None) is None
