"""Charts for the reports, the dashboard and the PDF exports, drawn as SVG on the server (issue 18).

Pure Python, no JavaScript: the same markup shows in the browser and in WeasyPrint's PDF.  Each
function returns :class:`Svg`, a ``str`` of finished, escaped markup that Jinja prints as it is
(``{{ chart }}``; jinja/_charts.html wraps it in a captioned figure).

``day_chart(by_day, start, end, *, title, text=ChartText()) -> Svg``
    Messages per day from ``start`` to ``end`` (both included, at most 366 days), each bar stacked
    by status (delivered, failed, pending, not sent), with a round y axis, day numbers thinned so
    they never collide, month names under them, a legend with the totals and a ``<title>``
    tooltip per day.  ``by_day`` maps a date to its :class:`StatusCounts`; missing days are 0.
``ranked_bars(items, *, title, top=8, text=ChartText(), value_format=None) -> Svg``
    Horizontal bars, largest first: ``items`` is ``(label, value)`` pairs (a country's name and
    its messages, or its cost as Decimal); the first ``top`` and one "Other" bar for the rest.
``day_strip(by_day, start, end, *, title, text=ChartText()) -> Svg``
    The dashboard's small strip of one bar a day (``by_day`` maps a date to a count).

The words (status names, month abbreviations, "Other", the empty message) and the number and
date formats come in a :class:`ChartText` the view fills from Babel; the defaults are English.
Every label goes through :func:`escape`, so a sender or country called ``<b>&"x"`` stays text.

Colours: each shape carries a class (``chart-delivered``, ...) that app.css colours from CSS
variables (``--chart-delivered``, ...), and a ``fill`` attribute with the same colour for where
app.css is not loaded (the PDF).  The status colours differ in lightness too, and every figure
is also written as text (legend, tooltips, ``aria-label``), so colour is never the only clue.
Sizes are a ``viewBox``: the chart scales to its container.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from webapp.domain.chart_scales import (
    Number,
    compact_number,
    escape,
    labelled_days,
    nice_ticks,
    top_with_other,
)

__all__ = ["COLOURS", "STATUSES", "ChartText", "StatusCounts", "Svg", "day_chart", "day_strip", "ranked_bars"]

STATUSES = ("delivered", "failed", "pending", "not_sent")
"""Stacked bottom to top in this order."""

COLOURS = {
    "delivered": "#2e7d32",
    "failed": "#d84343",
    "pending": "#8fb4d9",
    "not_sent": "#e0a526",
    "bar": "#0b6e4f",
    "other": "#9aa5b1",
    "grid": "#e3e8ee",
    "axis": "#5b6673",
    "label": "#1d2430",
}
"""Fallback fills (the PDF's); on screen app.css's --chart-* variables win."""

MAX_DAYS = 366
CHAR_WIDTH = 0.62  # average advance of a DejaVu Sans / system-ui character, in font sizes
MAX_BAR = 40  # a day's bar is never wider, however few the days
FONT = 12  # user units; a chart 720 wide shown 720 px wide prints at 12 px


class Svg(str):
    """Finished SVG markup. ``__html__`` tells Jinja (markupsafe) it is safe to print as is."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class StatusCounts:
    """Messages of one day by status: delivered, failed (undelivered, expired, rejected),
    pending (sent, no final report yet) and not sent (cancelled, refused, blocklisted)."""

    delivered: int = 0
    failed: int = 0
    pending: int = 0
    not_sent: int = 0

    def __post_init__(self) -> None:
        if any(getattr(self, f.name) < 0 for f in fields(self)):
            raise ValueError(f"negative count in {self}")

    @property
    def total(self) -> int:
        return self.delivered + self.failed + self.pending + self.not_sent

    def of(self, status: str) -> int:
        value: int = getattr(self, status)
        return value


def _group(number: Number) -> str:
    return f"{number:,}"


@dataclass(frozen=True)
class ChartText:
    """A chart's words and formats in the reader's language (English by default)."""

    statuses: Mapping[str, str] = field(
        default_factory=lambda: {
            "delivered": "Delivered",
            "failed": "Failed",
            "pending": "Pending",
            "not_sent": "Not sent",
        }
    )
    months: Sequence[str] = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    total: str = "Total"
    messages: str = "messages"
    other: str = "Other"
    unknown: str = "Unknown"
    empty: str = "No messages in this period"
    busiest: str = "busiest day"
    number: Callable[[Number], str] = _group
    """Counts in tooltips and the legend: 1,234."""
    compact: Callable[[int], str] | None = None
    """Axis ticks: 1.5k.  None: :func:`compact_number`."""
    format_date: Callable[[date], str] | None = None
    """A day in a tooltip.  None: "3 Mar 2025" from ``months``."""
    percent: Callable[[float], str] = lambda share: f"{share:.1f}%"
    """A share of the total in a tooltip: 56.2%."""

    def day(self, day: date) -> str:
        return self.format_date(day) if self.format_date else f"{day.day} {self.months[day.month - 1]} {day.year}"

    def tick(self, value: int) -> str:
        return self.compact(value) if self.compact else compact_number(value)


def _days(start: date, end: date) -> list[date]:
    count = (end - start).days + 1
    if count < 1:
        raise ValueError(f"end {end} is before start {start}")
    if count > MAX_DAYS:
        raise ValueError(f"{count} days: a chart by day holds at most {MAX_DAYS}")
    return [start + timedelta(days=i) for i in range(count)]


def _width(text: str, size: float = FONT) -> float:
    return len(text) * size * CHAR_WIDTH


def _fit(text: str, width: float, size: float = FONT) -> str:
    """``text`` shortened with "…" to about ``width``."""
    if _width(text, size) <= width:
        return text
    keep = max(1, int(width / (size * CHAR_WIDTH)) - 1)
    return text[:keep].rstrip() + "…"


def _n(value: float) -> str:
    """A coordinate: at most 2 decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _open(kind: str, width: float, height: float, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg chart-{kind}" viewBox="0 0 {_n(width)} {_n(height)}"'
        f' width="100%" role="img" aria-label="{escape(label)}" font-size="{FONT}" font-family="inherit">'
    )


def _rect(x: float, y: float, w: float, h: float, kind: str, extra: str = "", swatch: bool = False) -> str:
    more = " chart-swatch" if swatch else ""
    return (
        f'<rect class="chart-{kind.replace("_", "-")}{more}" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}"'
        f' fill="{COLOURS.get(kind, COLOURS["bar"])}"{extra}/>'
    )


def _text(x: float, y: float, text: str, kind: str = "axis", anchor: str = "start", size: float | None = None) -> str:
    """``kind``: axis (muted), label (body colour) or empty (the no-data sentence)."""
    colour = COLOURS["axis" if kind == "axis" else "label"]
    font = f' font-size="{_n(size)}"' if size else ""
    return (
        f'<text class="chart-{kind}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" fill="{colour}"{font}>'
        f"{escape(text)}</text>"
    )


def _summary(title: str, totals: StatusCounts, text: ChartText) -> str:
    if not totals.total:
        return f"{title}. {text.empty}."
    parts = [f"{text.statuses[s]} {text.number(totals.of(s))}" for s in STATUSES if totals.of(s)]
    return f"{title}. {text.total} {text.number(totals.total)} {text.messages}: {', '.join(parts)}."


# --- the charts ----------------------------------------------------------------------------

_NONE = StatusCounts()
_SMALL = 11  # axis and legend text


def day_chart(
    by_day: Mapping[date, StatusCounts],
    start: date,
    end: date,
    *,
    title: str,
    text: ChartText | None = None,
    width: float = 720,
) -> Svg:
    """Messages per day, stacked by status; see the module's docstring."""
    text = text or ChartText()
    days = _days(start, end)
    counts = [by_day.get(day, _NONE) for day in days]
    totals = StatusCounts(*(sum(c.of(s) for c in counts) for s in STATUSES))
    ticks = nice_ticks(max(c.total for c in counts))
    top = ticks[-1]

    left = max(_width(text.tick(t), _SMALL) for t in ticks) + 10
    plot_w = width - left - 8
    legend, legend_h = _legend(totals, text, left, width - 8) if totals.total else ("", 0.0)
    plot_top = legend_h + 12
    plot_h = 190.0
    base = plot_top + plot_h
    height = base + 36
    slot = plot_w / len(days)
    bar_w = min(slot * (0.72 if slot >= 12 else 0.82), slot - 1, MAX_BAR) if slot > 2 else slot

    out = [_open("days", width, height, _summary(title, totals, text)), legend]
    for value in ticks:
        y = base - plot_h * value / top
        kind = "baseline" if value == 0 else "grid"
        colour = COLOURS["axis"] if value == 0 else COLOURS["grid"]
        out.append(
            f'<line class="chart-{kind}" x1="{_n(left)}" x2="{_n(width - 8)}" y1="{_n(y)}" y2="{_n(y)}"'
            f' stroke="{colour}" stroke-width="1"/>'
        )
        out.append(_text(left - 6, y + 4, text.tick(value), anchor="end", size=_SMALL))
    for i, (day, count) in enumerate(zip(days, counts, strict=True)):
        x = left + i * slot
        out.append(f'<g class="chart-day"><title>{escape(_day_tooltip(day, count, text))}</title>')
        out.append(
            f'<rect class="chart-hit" x="{_n(x)}" y="{_n(plot_top)}" width="{_n(slot)}" height="{_n(plot_h)}" fill="transparent"/>'
        )
        y = base
        for status in STATUSES:
            if count.of(status):
                h = plot_h * count.of(status) / top
                y -= h
                out.append(_rect(x + (slot - bar_w) / 2, y, bar_w, h, status))
        out.append("</g>")
    out.extend(_day_labels(days, left, slot, base, text))
    if not totals.total:
        out.append(_text(left + plot_w / 2, plot_top + plot_h / 2, text.empty, "empty", "middle"))
    out.append("</svg>")
    return Svg("".join(out))


def _day_tooltip(day: date, count: StatusCounts, text: ChartText) -> str:
    lines = [text.day(day)]
    lines += [f"{text.statuses[s]}: {text.number(count.of(s))}" for s in STATUSES if count.of(s)]
    lines.append(f"{text.total}: {text.number(count.total)}")
    return "\n".join(lines)


def _legend(totals: StatusCounts, text: ChartText, left: float, right: float) -> tuple[str, float]:
    """Swatch, name and total of each status, wrapped onto more lines when they do not fit."""
    out, x, y = [], left, 14.0
    for status in STATUSES:
        label = f"{text.statuses[status]} {text.number(totals.of(status))}"
        item_w = 16 + _width(label, _SMALL)
        if x > left and x + item_w > right:
            x, y = left, y + 18
        out.append(
            f'<g class="chart-legend-item">{_rect(x, y - 9, 10, 10, status, swatch=True)}'
            f"{_text(x + 14, y, label, 'label', size=_SMALL)}</g>"
        )
        x += item_w + 18
    return f'<g class="chart-legend">{"".join(out)}</g>', y + 6


def _day_labels(days: list[date], left: float, slot: float, base: float, text: ChartText) -> list[str]:
    """Day numbers (:func:`labelled_days`), and the month's name under the first labelled day of
    each month; when two names would touch, the later month keeps its place."""
    out: list[str] = []
    months: list[tuple[float, str]] = []  # (x, name) of each month's first label
    shown: tuple[int, int] | None = None
    for i in labelled_days(days, slot, _width("31", _SMALL)):
        day, x = days[i], left + (i + 0.5) * slot
        out.append(_text(x, base + 15, str(day.day), anchor="middle", size=_SMALL))
        if (day.year, day.month) != shown:
            shown, name = (day.year, day.month), text.months[day.month - 1]
            if months and x - months[-1][0] < (_width(months[-1][1], _SMALL) + _width(name, _SMALL)) / 2 + 8:
                months.pop()
            months.append((x, name))
    out += [_text(x, base + 30, name, "label", "middle", _SMALL) for x, name in months]
    return out


def ranked_bars(
    items: Iterable[tuple[str, Number]],
    *,
    title: str,
    top: int = 8,
    text: ChartText | None = None,
    value_format: Callable[[Number], str] | None = None,
    width: float = 720,
) -> Svg:
    """Horizontal bars, largest first, the rest as one "Other" bar; see the module's docstring.
    ``value_format`` writes a value (a money formatter for costs); counts by default."""
    text = text or ChartText()
    show = value_format or text.number
    items = [(label or text.unknown, value) for label, value in items]
    rows = top_with_other(items, top, text.other)
    merged = len(rows) == top + 1 and len([1 for _, v in items if v]) > top + 1
    if not rows:
        return Svg(
            _open("ranked", width, 48, f"{title}. {text.empty}.")
            + _text(width / 2, 28, text.empty, "empty", "middle")
            + "</svg>"
        )
    total = sum(float(v) for _, v in rows)
    biggest = max(float(v) for _, v in rows)
    row_h, bar_h = 26.0, 16.0
    # The width estimate is an average: capitals run wider ("Unknown" lost its U), so keep 15% and
    # a few units in hand before the left edge.
    label_w = min(max(_width(label) for label, _ in rows) * 1.15 + 4, width * 0.36) + 10
    value_w = max(_width(show(v)) for _, v in rows) + 8
    bar_max = width - label_w - value_w
    height = len(rows) * row_h + 6
    label = f"{title}: " + "; ".join(f"{name} {show(v)}" for name, v in rows) + "."
    out = [_open("ranked", width, height, label)]
    for i, (name, value) in enumerate(rows):
        y = 3 + i * row_h
        w = bar_max * float(value) / biggest
        kind = "other" if merged and i == len(rows) - 1 else "bar"
        tip = f"{name}: {show(value)} ({text.percent(100 * float(value) / total)})"
        out.append(
            f'<g class="chart-row"><title>{escape(tip)}</title>'
            f'<rect class="chart-hit" x="0" y="{_n(y)}" width="{_n(width)}" height="{_n(row_h)}" fill="transparent"/>'
            + _text(label_w - 10, y + row_h / 2 + 4, _fit(name, label_w - 10), "label", "end")
            + _rect(label_w, y + (row_h - bar_h) / 2, w, bar_h, kind, ' rx="2"')
            + _text(label_w + w + 6, y + row_h / 2 + 4, show(value))
            + "</g>"
        )
    out.append("</svg>")
    return Svg("".join(out))


def day_strip(
    by_day: Mapping[date, int],
    start: date,
    end: date,
    *,
    title: str,
    text: ChartText | None = None,
    width: float = 300,
    height: float = 44,
) -> Svg:
    """One bar a day, no axis: the dashboard's last 30 days.  Bars scale to the busiest day."""
    text = text or ChartText()
    days = _days(start, end)
    values = [by_day.get(day, 0) for day in days]
    if any(v < 0 for v in values):
        raise ValueError("a count is never negative")
    biggest = max(values)
    if biggest:
        busiest = days[values.index(biggest)]
        label = (
            f"{title}. {text.total} {text.number(sum(values))} {text.messages};"
            f" {text.busiest} {text.day(busiest)} ({text.number(biggest)})."
        )
    else:
        label = f"{title}. {text.empty}."
    slot = width / len(days)
    bar_w = min(slot * 0.72, slot - 1) if slot > 2 else slot
    base = height - 1
    out = [
        _open("strip", width, height, label),
        f'<line class="chart-baseline" x1="0" x2="{_n(width)}" y1="{_n(base + 0.5)}" y2="{_n(base + 0.5)}"'
        f' stroke="{COLOURS["grid"]}" stroke-width="1"/>',
    ]
    for i, (day, value) in enumerate(zip(days, values, strict=True)):
        x = i * slot
        out.append(
            f'<g class="chart-day"><title>{escape(f"{text.day(day)}: {text.number(value)} {text.messages}")}</title>'
            f'<rect class="chart-hit" x="{_n(x)}" y="0" width="{_n(slot)}" height="{_n(height)}" fill="transparent"/>'
        )
        if value:
            h = (height - 3) * value / biggest
            out.append(_rect(x + (slot - bar_w) / 2, base - h, bar_w, h, "bar"))
        out.append("</g>")
    out.append("</svg>")
    return Svg("".join(out))
