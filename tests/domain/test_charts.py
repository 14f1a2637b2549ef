"""Tests for webapp.domain.charts: the rules (ticks, label thinning, top N + Other, escaping) as
tables, and the SVG read back with xml.etree (well-formed, bars proportional, empty states)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest

from webapp.domain.chart_scales import (
    compact_number,
    day_label_step,
    escape,
    labelled_days,
    nice_ticks,
    top_with_other,
)
from webapp.domain.charts import STATUSES, ChartText, StatusCounts, Svg, day_chart, day_strip, ranked_bars

NS = {"svg": "http://www.w3.org/2000/svg"}
MARCH = (date(2025, 3, 1), date(2025, 3, 31))
NASTY = "<script>alert('x')</script> & \"Co\" \x01\x1b\ud800"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def rects(root: ET.Element, kind: str) -> list[ET.Element]:
    return root.findall(f".//svg:rect[@class='chart-{kind}']", NS)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{{{NS['svg']}}}text")]


def titles(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{{{NS['svg']}}}title")]


# --- nice ticks --------------------------------------------------------------------------

TICKS = [
    ("nothing", 0, (0, 1, 2, 3, 4, 5)),
    ("one", 1, (0, 1, 2, 3, 4, 5)),
    ("five", 5, (0, 1, 2, 3, 4, 5)),
    ("six", 6, (0, 2, 4, 6, 8, 10)),
    ("ten", 10, (0, 2, 4, 6, 8, 10)),
    ("eleven", 11, (0, 5, 10, 15, 20)),
    ("twenty-one", 21, (0, 10, 20, 30, 40, 50)),
    ("ninety-nine", 99, (0, 20, 40, 60, 80, 100)),
    ("hundred-one", 101, (0, 50, 100, 150, 200)),
    ("three-hundred", 300, (0, 100, 200, 300, 400, 500)),
    ("thousand-five", 1005, (0, 500, 1000, 1500, 2000)),
    ("fifteen-hundred", 1500, (0, 500, 1000, 1500, 2000)),
    ("forty-thousand", 40_000, (0, 10_000, 20_000, 30_000, 40_000, 50_000)),
    ("million-and-one", 1_000_001, (0, 500_000, 1_000_000, 1_500_000, 2_000_000)),
]


@pytest.mark.parametrize(("largest", "ticks"), [t[1:] for t in TICKS], ids=[t[0] for t in TICKS])
def test_nice_ticks(largest, ticks):
    assert nice_ticks(largest) == ticks


@pytest.mark.parametrize("largest", [0, 1, 3, 7, 19, 49, 51, 333, 999, 1001, 12_345, 987_654, 10**9 + 1])
def test_nice_ticks_hold_the_largest_in_even_whole_steps(largest):
    ticks = nice_ticks(largest)
    top = ticks[-1]
    assert ticks[0] == 0 and top >= largest and top >= 5
    assert 4 <= len(ticks) - 1 <= 5
    assert len({b - a for a, b in zip(ticks, ticks[1:])}) == 1  # equal steps
    assert str(top).lstrip("0").rstrip("0") in {"1", "2", "5"}  # 1, 2 or 5 × 10ⁿ
    assert top == 5 or top < 2.5 * largest  # never much emptier than needed


def test_nice_ticks_refuse_a_negative():
    with pytest.raises(ValueError):
        nice_ticks(-1)


COMPACT = [
    (0, "0"),
    (5, "5"),
    (950, "950"),
    (1000, "1k"),
    (1500, "1.5k"),
    (2000, "2k"),
    (12_500, "12.5k"),
    (20_000, "20k"),
    (1_000_000, "1M"),
    (2_500_000, "2.5M"),
    (3_000_000_000, "3G"),
]


@pytest.mark.parametrize(("value", "text"), COMPACT, ids=[t for _, t in COMPACT])
def test_compact_number(value, text):
    assert compact_number(value) == text


# --- day labels ----------------------------------------------------------------------------

STEPS = [
    # (id, slot, label width, step)
    ("a-week-wide", 90.0, 14.0, 1),
    ("month-on-700", 21.0, 14.0, 1),
    ("month-on-300", 9.0, 14.0, 3),
    ("quarter", 7.0, 14.0, 3),
    ("quarter-narrow", 4.0, 14.0, 5),
    ("half-year", 3.5, 14.0, 7),
    ("year", 1.8, 14.0, 15),
    ("too-narrow-for-any", 0.5, 14.0, 31),
]


@pytest.mark.parametrize(("slot", "width", "step"), [s[1:] for s in STEPS], ids=[s[0] for s in STEPS])
def test_day_label_step(slot, width, step):
    assert day_label_step(slot, width) == step


def days_from(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


LABELS = [
    # (id, first day, days, slot, expected labelled day numbers)
    ("march-every-day", date(2025, 3, 1), 31, 21.0, list(range(1, 32))),
    ("march-every-third", date(2025, 3, 1), 31, 7.0, [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31]),
    ("the-1st-wins-over-the-31st", date(2025, 3, 25), 12, 7.0, [25, 28, 1, 4]),
    ("the-first-day-shown-is-labelled", date(2025, 3, 6), 5, 7.0, [6, 10]),  # 7 would touch 6
    ("february-then-march", date(2025, 2, 22), 10, 7.0, [22, 25, 1]),
    ("one-day", date(2025, 3, 12), 1, 650.0, [12]),
]


@pytest.mark.parametrize(("start", "count", "slot", "labels"), [x[1:] for x in LABELS], ids=[x[0] for x in LABELS])
def test_labelled_days(start, count, slot, labels):
    days = days_from(start, count)
    assert [days[i].day for i in labelled_days(days, slot, 14.0)] == labels


@pytest.mark.parametrize("count", [1, 2, 7, 28, 29, 30, 31, 45, 60, 90, 92, 183, 366])
@pytest.mark.parametrize("plot", [250.0, 650.0, 1200.0])
def test_day_labels_never_collide(count, plot):
    days, width, gap = days_from(date(2024, 12, 20), count), 14.0, 6.0
    slot = plot / count
    kept = labelled_days(days, slot, width, gap)
    assert kept and kept == sorted(set(kept))
    assert all((b - a) * slot >= width + gap for a, b in zip(kept, kept[1:]))


# --- top N and Other -----------------------------------------------------------------------

TOP = [
    ("empty", [], 3, []),
    ("fewer-than-top", [("RO", 5), ("MD", 9)], 3, [("MD", 9), ("RO", 5)]),
    ("one-left-over-is-shown", [("A", 4), ("B", 3), ("C", 2), ("D", 1)], 3, [("A", 4), ("B", 3), ("C", 2), ("D", 1)]),
    (
        "two-left-over-are-other",
        [("A", 5), ("B", 4), ("C", 3), ("D", 2), ("E", 1)],
        3,
        [("A", 5), ("B", 4), ("C", 3), ("Other", 3)],
    ),
    ("ties-by-label", [("b", 1), ("a", 1), ("c", 2)], 5, [("c", 2), ("a", 1), ("b", 1)]),
    ("zeros-left-out", [("A", 0), ("B", 2), ("C", 0)], 5, [("B", 2)]),
    (
        "money-sums-exactly",
        [("A", Decimal("0.035")), ("B", Decimal("0.0350")), ("C", Decimal("0.0175")), ("D", Decimal("0.0175"))],
        1,
        [("A", Decimal("0.035")), ("Other", Decimal("0.0700"))],
    ),
]


@pytest.mark.parametrize(("items", "top", "rows"), [t[1:] for t in TOP], ids=[t[0] for t in TOP])
def test_top_with_other(items, top, rows):
    assert top_with_other(items, top) == rows


def test_top_with_other_keeps_the_total():
    items = [(f"c{i}", i * 7 % 13 + 1) for i in range(40)]
    assert sum(v for _, v in top_with_other(items, 5)) == sum(v for _, v in items)


@pytest.mark.parametrize(("items", "top"), [([("A", -1)], 3), ([("A", 1)], 0)], ids=["negative", "top-zero"])
def test_top_with_other_refuses(items, top):
    with pytest.raises(ValueError):
        top_with_other(items, top)


# --- escaping ------------------------------------------------------------------------------

ESCAPES = [
    ("plain", "Romania", "Romania"),
    ("angle-brackets", "<b>", "&lt;b&gt;"),
    ("ampersand", "AT&T", "AT&amp;T"),
    ("quotes", "\"Shop\" 'x'", "&quot;Shop&quot; &#x27;x&#x27;"),
    ("diacritics-kept", "Brașov Țară", "Brașov Țară"),
    ("control-characters-dropped", "a\x00b\x1bc\x7f", "abc"),
    ("lone-surrogate-dropped", "a\ud800b", "ab"),
    ("newline-kept", "a\nb", "a\nb"),
    ("not-a-string", 42, "42"),
]


@pytest.mark.parametrize(("raw", "safe"), [e[1:] for e in ESCAPES], ids=[e[0] for e in ESCAPES])
def test_escape(raw, safe):
    assert escape(raw) == safe


def test_nasty_labels_stay_text_everywhere():
    text = ChartText(statuses={s: NASTY for s in STATUSES}, months=(NASTY,) * 12, other=NASTY, empty=NASTY)
    svgs = [
        day_chart({date(2025, 3, 2): StatusCounts(1, 1, 1, 1)}, *MARCH, title=NASTY, text=text),
        day_chart({}, *MARCH, title=NASTY, text=text),
        ranked_bars([(NASTY, 5), ("", 3)] + [(str(i), 1) for i in range(12)], title=NASTY, text=text, top=2),
        ranked_bars([], title=NASTY, text=text),
        day_strip({date(2025, 3, 2): 4}, *MARCH, title=NASTY, text=text),
    ]
    for svg in svgs:
        root = parse(svg)  # well-formed despite the label
        assert not root.findall(".//svg:script", NS) and "<script" not in svg
        assert "<script>alert('x')</script> & \"Co\" " in root.get("aria-label", "")
        assert "<script>alert('x')</script> & \"Co\" " in "".join(texts(root) + titles(root))


# --- the day chart -------------------------------------------------------------------------


def test_day_chart_is_an_accessible_scalable_svg():
    svg = day_chart({date(2025, 3, 3): StatusCounts(delivered=120, failed=3)}, *MARCH, title="March")
    assert isinstance(svg, Svg) and svg.__html__() == svg
    root = parse(svg)
    assert root.get("role") == "img" and root.get("viewBox", "").startswith("0 0 720 ")
    assert root.get("width") == "100%" and root.get("height") is None
    assert root.get("aria-label") == "March. Total 123 messages: Delivered 120, Failed 3."
    assert {"Delivered 120", "Failed 3", "Pending 0", "Not sent 0"} <= set(texts(root))  # the legend


def test_day_chart_stacks_proportional_heights():
    by_day = {
        date(2025, 3, 1): StatusCounts(delivered=40, failed=10, pending=5, not_sent=25),
        date(2025, 3, 2): StatusCounts(delivered=80),
        date(2025, 3, 4): StatusCounts(failed=2),
    }
    root = parse(day_chart(by_day, date(2025, 3, 1), date(2025, 3, 7), title="t"))
    assert nice_ticks(80)[-1] == 100
    groups = root.findall(".//svg:g[@class='chart-day']", NS)
    assert len(groups) == 7
    plot_h = float(groups[0].find("svg:rect[@class='chart-hit']", NS).get("height"))
    per_message = plot_h / 100
    first = {r.get("class"): r for r in groups[0].findall("svg:rect", NS)}
    for status, count in (("delivered", 40), ("failed", 10), ("pending", 5), ("not-sent", 25)):
        assert float(first[f"chart-{status}"].get("height")) == pytest.approx(count * per_message, abs=0.01)
    # stacked: each segment sits on the one below, delivered at the bottom
    tops = [float(first[f"chart-{s}"].get("y")) for s in ("delivered", "failed", "pending", "not-sent")]
    assert tops == sorted(tops, reverse=True)
    stack = sum(float(first[f"chart-{s}"].get("height")) for s in ("delivered", "failed", "pending", "not-sent"))
    assert stack == pytest.approx(80 * per_message, abs=0.05)
    second = groups[1].findall("svg:rect[@class='chart-delivered']", NS)
    assert float(second[0].get("height")) == pytest.approx(80 * per_message, abs=0.01)
    assert len(groups[2].findall("svg:rect", NS)) == 1  # a day with nothing: only the hover area


@pytest.mark.parametrize(
    "statuses",
    [
        StatusCounts(delivered=7),
        StatusCounts(1, 2, 3, 4),
        StatusCounts(not_sent=840),
        StatusCounts(0, 0, 9, 0),
    ],
    ids=["delivered-only", "all-four", "cancelled-campaign", "pending-only"],
)
def test_the_legend_and_tooltips_add_up(statuses):
    by_day = {date(2025, 3, 1): statuses, date(2025, 3, 9): statuses}
    root = parse(day_chart(by_day, *MARCH, title="t"))
    legend = texts(root.find(".//svg:g[@class='chart-legend']", NS))
    for status in STATUSES:
        label = ChartText().statuses[status]
        assert f"{label} {2 * statuses.of(status):,}" in legend
    tip = titles(root)[0].split("\n")
    assert tip[0] == "1 Mar 2025" and tip[-1] == f"Total: {statuses.total}"


def test_tooltip_per_day_uses_the_callers_words():
    text = ChartText(
        statuses={"delivered": "Livrate", "failed": "Eșuate", "pending": "În așteptare", "not_sent": "Netrimise"},
        total="Total",
        number=lambda n: f"{n:,}".replace(",", "."),
        format_date=lambda d: d.strftime("%d.%m.%Y"),
    )
    root = parse(day_chart({date(2025, 3, 2): StatusCounts(delivered=1234, failed=5)}, *MARCH, title="t", text=text))
    assert titles(root)[1] == "02.03.2025\nLivrate: 1.234\nEșuate: 5\nTotal: 1.239"


@pytest.mark.parametrize("count", [1, 7, 28, 31, 92, 366])
def test_day_chart_draws_one_column_a_day(count):
    start = date(2024, 1, 1)
    by_day = {start + timedelta(days=i): StatusCounts(delivered=i + 1) for i in range(count)}
    root = parse(day_chart(by_day, start, start + timedelta(days=count - 1), title="t"))
    assert len(root.findall(".//svg:g[@class='chart-day']", NS)) == count
    widths = {float(r.get("width")) for r in rects(root, "delivered")}
    assert len(widths) == 1 and 0 < widths.pop() <= 40


def test_day_chart_empty_state():
    root = parse(day_chart({}, *MARCH, title="March"))
    assert root.get("aria-label") == "March. No messages in this period."
    assert root.findall(".//svg:text[@class='chart-empty']", NS)[0].text == "No messages in this period"
    assert not any(rects(root, s.replace("_", "-")) for s in STATUSES)
    assert root.find(".//svg:g[@class='chart-legend']", NS) is None


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2025, 3, 2), date(2025, 3, 1)), (date(2024, 1, 1), date(2025, 1, 1))],
    ids=["end-before-start", "367-days"],
)
def test_day_chart_refuses_a_bad_period(start, end):
    with pytest.raises(ValueError):
        day_chart({}, start, end, title="t")


def test_status_counts_refuse_a_negative():
    with pytest.raises(ValueError):
        StatusCounts(delivered=-1)


# --- ranked bars ---------------------------------------------------------------------------


def test_ranked_bars_are_proportional_and_labelled():
    items = [("Romania", 1000), ("Moldova", 250), ("Bulgaria", 100), ("Italy", 5), ("Spain", 5), ("", 2)]
    root = parse(ranked_bars(items, title="By country", top=3))
    bars = rects(root, "bar")
    assert len(bars) == 3 and len(rects(root, "other")) == 1
    widths = [float(b.get("width")) for b in bars + rects(root, "other")]
    assert widths[1] / widths[0] == pytest.approx(0.25, abs=1e-3)
    assert widths[3] / widths[0] == pytest.approx(0.012, abs=1e-3)
    assert texts(root) == ["Romania", "1,000", "Moldova", "250", "Bulgaria", "100", "Other", "12"]
    assert titles(root)[0] == "Romania: 1,000 (73.4%)"
    assert root.get("aria-label") == "By country: Romania 1,000; Moldova 250; Bulgaria 100; Other 12."


def test_ranked_bars_show_cost_with_the_callers_format_and_name_the_unknown():
    items = [("Romania", Decimal("43.2061")), ("", Decimal("0.0350"))]
    root = parse(ranked_bars(items, title="Cost", value_format=lambda v: f"€{v:.2f}"))
    assert texts(root) == ["Romania", "€43.21", "Unknown", "€0.04"]
    assert not rects(root, "other")


def test_ranked_bars_shorten_a_long_label_and_keep_it_whole_in_the_tooltip():
    name = "Congo, The Democratic Republic of the"
    root = parse(ranked_bars([(name, 5), ("Romania", 9)], title="t", width=400))
    assert any(t.endswith("…") and name.startswith(t[:-1]) for t in texts(root))
    assert any(t.startswith(name) for t in titles(root))


def test_ranked_bars_empty_state():
    root = parse(ranked_bars([("Romania", 0)], title="By country"))
    assert root.get("aria-label") == "By country. No messages in this period."
    assert texts(root) == ["No messages in this period"]


# --- the strip -----------------------------------------------------------------------------


def test_day_strip_bars_scale_to_the_busiest_day():
    start = date(2025, 3, 2)
    by_day = {start: 10, start + timedelta(days=1): 40, start + timedelta(days=5): 20}
    root = parse(day_strip(by_day, start, start + timedelta(days=29), title="Last 30 days"))
    assert len(root.findall(".//svg:g[@class='chart-day']", NS)) == 30
    heights = [float(r.get("height")) for r in rects(root, "bar")]
    assert [h / heights[1] for h in heights] == pytest.approx([0.25, 1, 0.5])
    assert root.get("aria-label") == "Last 30 days. Total 70 messages; busiest day 3 Mar 2025 (40)."
    assert titles(root)[2] == "4 Mar 2025: 0 messages"


def test_day_strip_empty_state():
    root = parse(day_strip({}, date(2025, 3, 2), date(2025, 3, 31), title="Last 30 days"))
    assert not rects(root, "bar")
    assert root.get("aria-label") == "Last 30 days. No messages in this period."
