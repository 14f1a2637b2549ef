import json
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from webapp.domain.campaigns import (
    Tally,
    expected_duration,
    is_monitoring_point,
    monitoring_copies,
    paced_allowance,
    start_time,
)

D = Decimal
UTC = UTC
BUCHAREST = "Europe/Bucharest"


# --- monitoring copies -------------------------------------------------------------------


@pytest.mark.parametrize(
    "recipients, every, copies",
    [
        (0, 100, 0),
        (99, 100, 0),
        (100, 100, 1),
        (199, 100, 1),
        (200, 100, 2),
        (1000, 100, 10),
        (12345, 1000, 12),
        (4999, 5000, 0),
        (5000, 5000, 1),
        (10_000, 0, 0),
        (0, 0, 0),
        (500, -1, 0),
    ],
)
def test_monitoring_copies(recipients, every, copies):
    assert monitoring_copies(recipients, every) == copies


@pytest.mark.parametrize(
    "position, every, point",
    [
        (100, 100, True),
        (200, 100, True),
        (99, 100, False),
        (101, 100, False),
        (1, 100, False),
        (0, 100, False),
        (-100, 100, False),
        (100, 0, False),
        (0, 0, False),
        (5000, 5000, True),
        (1, 1, True),
    ],
)
def test_is_monitoring_point(position, every, point):
    assert is_monitoring_point(position, every) is point


@pytest.mark.parametrize("recipients, every", [(0, 100), (1, 1), (250, 100), (1000, 200), (4321, 500), (777, 0)])
def test_monitoring_points_agree_with_the_count(recipients, every):
    points = sum(is_monitoring_point(p, every) for p in range(1, recipients + 1))
    assert points == monitoring_copies(recipients, every)


# --- expected duration -------------------------------------------------------------------


@pytest.mark.parametrize(
    "messages, speed, seconds",
    [
        (0, 10, 0),
        (1, 10, 1),
        (10, 10, 1),
        (11, 10, 2),
        (100, 1, 100),
        (3600, 1, 3600),
        (1001, 1000, 2),
        (10_000, 50, 200),
        (7, 7, 1),
        (8, 7, 2),
    ],
)
def test_expected_duration_rounds_up_to_a_second(messages, speed, seconds):
    assert expected_duration(messages, speed) == timedelta(seconds=seconds)


@pytest.mark.parametrize("speed", [0, -1])
def test_expected_duration_unknown_when_as_fast_as_possible(speed):
    assert expected_duration(1000, speed) is None


# --- start time --------------------------------------------------------------------------

NOW = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)  # 12:00 in Bucharest (EET, UTC+2)


@pytest.mark.parametrize(
    "day, at, tz_name, now, expected",
    [
        (date(2026, 3, 20), time(14, 30), BUCHAREST, NOW, datetime(2026, 3, 20, 12, 30, tzinfo=UTC)),
        (date(2026, 3, 21), time(0, 0), BUCHAREST, NOW, datetime(2026, 3, 20, 22, 0, tzinfo=UTC)),
        (date(2026, 3, 21), None, BUCHAREST, NOW, datetime(2026, 3, 20, 22, 0, tzinfo=UTC)),  # midnight
        (None, time(18, 0), BUCHAREST, NOW, datetime(2026, 3, 20, 16, 0, tzinfo=UTC)),  # today
        # after 21:00 UTC it is already tomorrow in Bucharest: "today" is the local date
        (
            None,
            time(23, 0),
            BUCHAREST,
            datetime(2026, 10, 20, 21, 30, tzinfo=UTC),
            datetime(2026, 10, 21, 20, 0, tzinfo=UTC),
        ),
        (date(2026, 3, 20), time(14, 30), "UTC", NOW, datetime(2026, 3, 20, 14, 30, tzinfo=UTC)),
        (date(2026, 3, 20), time(14, 30), "Europe/Moscow", NOW, datetime(2026, 3, 20, 11, 30, tzinfo=UTC)),
        (date(2026, 3, 20), time(14, 30), "Europe/Chisinau", NOW, datetime(2026, 3, 20, 12, 30, tzinfo=UTC)),
        (date(2026, 3, 20), time(11, 59, 30), BUCHAREST, NOW, datetime(2026, 3, 20, 9, 59, 30, tzinfo=UTC)),  # grace
        # spring forward, 2026-03-29: 03:00 EET becomes 04:00 EEST
        (date(2026, 3, 29), time(2, 30), BUCHAREST, NOW, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)),
        (
            date(2026, 3, 29),
            time(3, 30),
            BUCHAREST,
            NOW,
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ),  # no such time: later
        (date(2026, 3, 29), time(4, 30), BUCHAREST, NOW, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        (date(2026, 3, 29), time(12, 0), BUCHAREST, NOW, datetime(2026, 3, 29, 9, 0, tzinfo=UTC)),
        (date(2026, 3, 28), time(12, 0), BUCHAREST, NOW, datetime(2026, 3, 28, 10, 0, tzinfo=UTC)),
        # fall back, 2026-10-25: 04:00 EEST becomes 03:00 EET; 03:30 happens twice, the first is taken
        (
            date(2026, 10, 24),
            time(12, 0),
            BUCHAREST,
            datetime(2026, 10, 20, tzinfo=UTC),
            datetime(2026, 10, 24, 9, 0, tzinfo=UTC),
        ),
        (
            date(2026, 10, 25),
            time(2, 30),
            BUCHAREST,
            datetime(2026, 10, 20, tzinfo=UTC),
            datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        ),
        (
            date(2026, 10, 25),
            time(3, 30),
            BUCHAREST,
            datetime(2026, 10, 20, tzinfo=UTC),
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        ),
        (
            date(2026, 10, 25),
            time(4, 30),
            BUCHAREST,
            datetime(2026, 10, 20, tzinfo=UTC),
            datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
        ),
        (
            date(2026, 10, 25),
            time(12, 0),
            BUCHAREST,
            datetime(2026, 10, 20, tzinfo=UTC),
            datetime(2026, 10, 25, 10, 0, tzinfo=UTC),
        ),
    ],
)
def test_start_time_in_the_accounts_time_zone(day, at, tz_name, now, expected):
    start = start_time(day, at, tz_name, now)
    assert start == expected
    assert start.utcoffset() == timedelta(0)


def test_start_time_none_means_now():
    assert start_time(None, None, BUCHAREST, NOW) is None


@pytest.mark.parametrize(
    "day, at, now",
    [
        (date(2026, 3, 20), time(11, 0), NOW),  # an hour ago
        (date(2026, 3, 20), time(11, 58), NOW),
        (date(2026, 3, 19), time(23, 0), NOW),
        (date(2025, 3, 20), time(14, 0), NOW),
        (None, time(8, 0), NOW),  # today, already past
        (date(2026, 3, 20), None, NOW),  # today's midnight
        # 12:00 UTC would still be ahead, 12:00 in Bucharest (10:00 UTC) is not
        (date(2026, 3, 20), time(12, 0), datetime(2026, 3, 20, 11, 0, tzinfo=UTC)),
        # 03:30 on the fall-back day is the first 03:30 (00:30 UTC), gone by 01:00 UTC
        (date(2026, 10, 25), time(3, 30), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)),
        (date(1, 1, 1), time(0, 0), NOW),  # before year 1 in UTC: no OverflowError, the same answer
    ],
)
def test_start_time_in_the_past_is_refused(day, at, now):
    with pytest.raises(ValueError, match="already passed"):
        start_time(day, at, BUCHAREST, now)


@pytest.mark.parametrize(
    "day, at",
    [
        (date(2026, 6, 18), time(13, 1)),  # 90 days and a minute (EEST by then)
        (date(2026, 6, 19), time(0, 0)),
        (date(2026, 12, 31), time(12, 0)),
        (date(2027, 3, 20), None),
        (date(9999, 12, 31), time(23, 59)),
    ],
)
def test_start_time_more_than_90_days_ahead_is_refused(day, at):
    with pytest.raises(ValueError, match="90 days"):
        start_time(day, at, BUCHAREST, NOW)


def test_start_time_exactly_90_days_ahead_is_allowed():
    # 2026-06-18 12:00 EEST is 09:00 UTC: 90 days minus an hour after NOW (DST in between)
    assert start_time(date(2026, 6, 18), time(12, 0), BUCHAREST, NOW) == NOW + timedelta(days=90, hours=-1)
    assert start_time(date(2026, 6, 18), time(13, 0), BUCHAREST, NOW) == NOW + timedelta(days=90)


# --- pacing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "speed, elapsed, dispatched, burst, allowance",
    [
        (10, 0.0, 0, 2.0, 10),  # the first tick sends a second's worth
        (10, 0.5, 10, 2.0, 5),
        (10, 1.0, 10, 2.0, 10),
        (10, 1.0, 20, 2.0, 0),  # a second ahead already
        (10, 1.0, 25, 2.0, 0),  # never negative
        (10, 5.0, 10, 2.0, 30),  # late: catch up at most 2 s worth on top of this second
        (10, 100.0, 0, 2.0, 30),
        (10, 100.0, 0, 0.0, 10),
        (10, 100.0, 0, 0.5, 15),
        (1, 0.0, 0, 2.0, 1),
        (1, 0.99, 1, 2.0, 0),
        (1, 1.0, 1, 2.0, 1),
        (1, 60.0, 0, 2.0, 3),
        (7, 2.5, 14, 2.0, 10),  # int(17.5) + 7 - 14
        (1000, 0.25, 1000, 2.0, 250),
        (1000, 10.0, 0, 2.0, 3000),
    ],
)
def test_paced_allowance(speed, elapsed, dispatched, burst, allowance):
    started = 1_780_000_000.0  # a time.time() value, as the worker uses
    assert paced_allowance(speed, started, started + elapsed, dispatched, burst_seconds=burst) == allowance


def _simulate(speed, intervals, burst_seconds=2.0):
    """Ticks at the given gaps, each sending all it is allowed; returns (total, biggest release, ticks)."""
    started = now = 1_780_000_000.0
    dispatched = biggest = 0
    releases = []
    for gap in intervals:
        allowance = paced_allowance(speed, started, now, dispatched, burst_seconds)
        assert allowance >= 0
        dispatched += allowance
        biggest = max(biggest, allowance)
        releases.append((now - started, dispatched))
        now += gap
    return dispatched, biggest, releases


def _irregular_ticks(seed, seconds=60.0, late_every=0):
    """Gaps of 0.2–1.8 s (a tick about once a second), with a 4–8 s stall now and then."""
    rng = random.Random(seed)
    gaps, t, n = [], 0.0, 0
    while True:
        n += 1
        gap = rng.uniform(4.0, 8.0) if late_every and n % late_every == 0 else rng.uniform(0.2, 1.8)
        if t + gap >= seconds:
            gaps.append(gap)  # the tick at t is the last one within the minute
            return gaps
        gaps.append(gap)
        t += gap


@pytest.mark.parametrize("speed", [1, 7, 50, 1000])
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("late_every", [0, 9])
def test_paced_ticks_over_a_minute_hold_the_speed(speed, seed, late_every):
    burst = 2.0
    total, biggest, releases = _simulate(speed, _irregular_ticks(seed, late_every=late_every), burst)
    assert abs(total - speed * 60) <= speed * 60 * 0.10
    assert biggest <= speed * (1 + burst)
    for elapsed, dispatched in releases:  # never more than a second's worth ahead of the average
        assert dispatched <= elapsed * speed + speed


@pytest.mark.parametrize("speed", [1, 7, 50, 1000])
@pytest.mark.parametrize("burst", [0.0, 0.5, 2.0, 5.0])
def test_a_late_tick_is_capped_by_the_burst(speed, burst):
    # ticks every second, then nothing for 30 s, then ticks again
    gaps = [1.0] * 10 + [30.0] + [1.0] * 10
    _, biggest, releases = _simulate(speed, gaps, burst)
    assert biggest <= speed * (1 + burst)
    before, after = releases[10][1], releases[11][1]
    assert after - before == int(speed * (1 + burst))


def test_a_late_tick_catches_up_over_the_next_ticks():
    speed = 50
    gaps = [1.0] * 5 + [10.0] + [1.0] * 30
    total, biggest, releases = _simulate(speed, gaps)
    assert biggest == 150
    elapsed, dispatched = releases[-1]
    assert dispatched == int(elapsed * speed) + speed  # back on schedule


# --- tally -------------------------------------------------------------------------------


def _add(tally, n, parts, characters, cost="0.035", country="RO", empty=0, to=None):
    tally.add(to or f"+4072200{n:04d}", f"text {n}", parts, characters, D(cost), country, empty)


def test_empty_tally():
    assert Tally().as_dict() == {
        "rows": 0,
        "recipients": 0,
        "refused": {},
        "parts": 0,
        "cost": "0",
        "monitoring": 0,
        "monitoring_cost": "0",
        "empty_cells": 0,
        "rows_with_empty_cells": 0,
        "parts_histogram": {},
        "longest": None,
        "typical": None,
        "samples": [],
        "problems": [],
        "countries": {},
        "price_min": None,
        "price_max": None,
        "gsm_replaced": 0,
    }


def test_tally_counts_and_sums():
    tally = Tally()
    _add(tally, 1, 1, 40, "0.0350", "RO")
    _add(tally, 2, 2, 200, "0.0700", "RO", empty=2)
    _add(tally, 3, 1, 60, "0.0650", "MD", empty=1)
    _add(tally, 4, 3, 400, "0.1560", None)
    tally.refuse(5, "abc", "invalid_number")
    tally.refuse(6, "+40722000001", "duplicate")
    tally.refuse(7, "xyz", "invalid_number", "too short")
    tally.add_monitoring(2, D("0.0700"))
    tally.add_monitoring(2, D("0.0700"))
    summary = tally.as_dict()
    assert summary["rows"] == 7
    assert summary["recipients"] == 4
    assert summary["refused"] == {"invalid_number": 2, "duplicate": 1}
    assert summary["parts"] == 1 + 2 + 1 + 3 + 2 + 2
    assert summary["cost"] == "0.4660"  # 0.3260 + 2 × 0.0700
    assert summary["monitoring"] == 2
    assert summary["monitoring_cost"] == "0.1400"
    assert (summary["empty_cells"], summary["rows_with_empty_cells"]) == (3, 2)
    assert summary["parts_histogram"] == {"1": 2, "2": 1, "3": 1}
    assert summary["countries"] == {"RO": 2, "MD": 1, "?": 1}
    assert summary["problems"] == [
        {"row": 5, "value": "abc", "reason": "invalid_number", "detail": ""},
        {"row": 6, "value": "+40722000001", "reason": "duplicate", "detail": ""},
        {"row": 7, "value": "xyz", "reason": "invalid_number", "detail": "too short"},
    ]
    assert tally.cost == D("0.4660") and isinstance(tally.cost, Decimal)
    json.dumps(summary)  # stored as JSON


@pytest.mark.parametrize(
    "costs, total",
    [
        (["0.1", "0.2"], "0.3"),  # exact, no float rounding
        (["0.0350"] * 3, "0.1050"),
        (["0.035", "0.0350"], "0.0700"),
        (["0"], "0"),
        (["1.10", "2.20", "3.30"], "6.60"),
    ],
)
def test_tally_cost_is_an_exact_decimal_string(costs, total):
    tally = Tally()
    for n, cost in enumerate(costs):
        _add(tally, n, 1, 10, cost)
    assert tally.as_dict()["cost"] == total
    assert tally.as_dict()["samples"][0]["cost"] == costs[0]


def test_monitoring_copies_are_costed_but_are_not_recipients():
    tally = Tally()
    _add(tally, 1, 1, 10, "0.05")
    tally.add_monitoring(3, D("0.15"))
    summary = tally.as_dict()
    assert (summary["rows"], summary["recipients"], summary["monitoring"]) == (1, 1, 1)
    assert (summary["parts"], summary["cost"], summary["monitoring_cost"]) == (4, "0.20", "0.15")
    assert summary["parts_histogram"] == {"1": 1} and summary["samples"][0]["text"] == "text 1"
    assert summary["countries"] == {"RO": 1}


@pytest.mark.parametrize(
    "messages, longest",
    [
        ([(1, 100)], 0),
        ([(1, 100), (2, 150)], 1),  # more parts wins
        ([(2, 150), (1, 160)], 0),  # parts before characters
        ([(2, 150), (2, 160), (2, 155)], 1),  # then more characters
        ([(1, 70), (1, 70)], 0),  # a tie keeps the first
        ([(1, 10), (3, 300), (2, 306), (3, 301), (3, 299)], 3),
    ],
)
def test_longest_is_most_parts_then_most_characters(messages, longest):
    tally = Tally()
    for n, (parts, characters) in enumerate(messages):
        _add(tally, n, parts, characters)
    assert tally.as_dict()["longest"] == {
        "to": f"+4072200{longest:04d}",
        "text": f"text {longest}",
        "parts": messages[longest][0],
        "characters": messages[longest][1],
        "cost": "0.035",
    }


@pytest.mark.parametrize(
    "parts_sequence",
    [
        [1],
        [1, 1, 2],
        [2, 1, 1],
        [2, 1, 1, 2, 2],
        [3, 3, 1, 1, 1, 2, 2, 2, 2],
        [1, 2, 3, 4, 4],
        [2, 2, 1, 1, 1, 1, 3, 3, 3, 3, 3],
        [5, 4, 3, 2, 1, 1],
    ],
)
def test_typical_has_the_most_common_part_count(parts_sequence):
    tally = Tally()
    for n, parts in enumerate(parts_sequence):
        _add(tally, n, parts, parts * 100)
        histogram = tally.parts_histogram
        top = max(histogram.values())
        assert histogram[tally.typical["parts"]] == top  # at every step, not only at the end
    typical = tally.as_dict()["typical"]
    index = int(typical["text"].split()[1])
    assert parts_sequence[index] == typical["parts"]  # a real example, not a mix


@pytest.mark.parametrize("seed", range(10))
def test_typical_stays_most_common_for_random_sequences(seed):
    rng = random.Random(seed)
    tally = Tally()
    for n in range(300):
        _add(tally, n, rng.choice([1, 1, 2, 2, 3, 4]), 50)
        assert tally.parts_histogram[tally.typical["parts"]] == max(tally.parts_histogram.values())


@pytest.mark.parametrize("count, kept", [(0, 0), (1, 1), (5, 5), (6, 5), (100, 5)])
def test_samples_are_the_first_five(count, kept):
    tally = Tally()
    for n in range(count):
        _add(tally, n, 1, 10)
    samples = tally.as_dict()["samples"]
    assert [s["text"] for s in samples] == [f"text {n}" for n in range(kept)]
    assert tally.recipients == count


@pytest.mark.parametrize("count, kept", [(0, 0), (1, 1), (50, 50), (51, 50), (1000, 50)])
def test_problems_are_capped_at_fifty_but_all_are_counted(count, kept):
    tally = Tally()
    for n in range(count):
        tally.refuse(n + 2, f"bad{n}", "invalid_number" if n % 3 else "blocked")
    summary = tally.as_dict()
    assert [p["row"] for p in summary["problems"]] == list(range(2, kept + 2))
    assert sum(summary["refused"].values()) == summary["rows"] == count
    assert summary["recipients"] == 0 and summary["samples"] == []


def test_countries_are_counted_most_common_first():
    tally = Tally()
    for n, country in enumerate(["MD", "RO", "RO", None, "UA", "RO", "MD", ""]):
        _add(tally, n, 1, 10, country=country)
    countries = tally.as_dict()["countries"]
    assert countries == {"RO": 3, "MD": 2, "?": 2, "UA": 1}
    assert list(countries) == ["RO", "MD", "?", "UA"]


@pytest.mark.parametrize(
    "prices, monitoring, low, high",
    [
        ([], None, None, None),  # nothing sent: no price per part to show
        (["0.0350"], None, "0.0350", "0.0350"),
        (["0.0350", "0.0350", "0.0350"], None, "0.0350", "0.0350"),
        (["0.0600", "0.0350", "0.0420"], None, "0.0350", "0.0600"),  # RO, MD, an override
        (["0.0350"], "0.0600", "0.0350", "0.0600"),  # the monitoring copy goes abroad
        ([None, "0.0350"], None, "0.0350", "0.0350"),  # a caller that gives no price
    ],
)
def test_the_summary_keeps_the_lowest_and_highest_price_per_part(prices, monitoring, low, high):
    tally = Tally()
    for n, price in enumerate(prices):
        tally.add(
            f"+4072200{n:04d}", "t", 1, 1, D(price or "0"), "RO", price_per_part=None if price is None else D(price)
        )
    if monitoring:
        tally.add_monitoring(1, D(monitoring), D(monitoring))
    summary = tally.as_dict()
    assert (summary["price_min"], summary["price_max"]) == (low, high)


def test_the_summary_counts_the_messages_sent_with_gsm7_characters():
    tally = Tally()
    for n, replaced in enumerate([True, False, True]):
        tally.add(f"+4072200{n:04d}", "t", 1, 1, D("0.035"), "RO", replaced=replaced)
    assert tally.as_dict()["gsm_replaced"] == 2
