"""The charts of webapp/domain/charts.py drawn on a throwaway page, in Chromium and in a WeasyPrint
PDF, and saved as PNGs to look at (issue 18).  No app and no database: the page is the chart
macros (jinja/_charts.html) with the site's CSS.

    CHART_GALLERY=/tmp/charts .venv/bin/pytest -q -p no:cacheprovider tests/browser/test_chart_gallery.py

writes the PNGs there (otherwise to pytest's tmp dir)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest

from webapp.domain.charts import ChartText, StatusCounts, day_chart, day_strip, ranked_bars

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "webapp" / "static"

ROMANIAN = ChartText(
    statuses={"delivered": "Livrate", "failed": "Eșuate", "pending": "În așteptare", "not_sent": "Netrimise"},
    months=("ian.", "feb.", "mar.", "apr.", "mai", "iun.", "iul.", "aug.", "sept.", "oct.", "nov.", "dec."),
    total="Total",
    messages="mesaje",
    other="Altele",
    unknown="Necunoscut",
    empty="Niciun mesaj în această perioadă",
    number=lambda n: f"{n:,}".replace(",", "."),
    percent=lambda p: f"{p:.1f}%".replace(".", ","),
)


def month_of_traffic(start: date, days: int, seed: int = 18) -> dict[date, StatusCounts]:
    rng = random.Random(seed)
    out = {}
    for i in range(days):
        day = start + timedelta(days=i)
        weekend = day.weekday() >= 5
        sent = rng.randint(80, 300) if weekend else rng.randint(700, 1600)
        failed = rng.randint(5, 60)
        pending = rng.randint(40, 300) if i >= days - 2 else 0
        not_sent = 840 if i == days // 2 else 0
        out[day] = StatusCounts(delivered=sent - failed, failed=failed, pending=pending, not_sent=not_sent)
    return out


def gallery() -> list[tuple[str, object, str | None]]:
    march = month_of_traffic(date(2025, 3, 1), 31)
    quarter = month_of_traffic(date(2025, 1, 1), 90, seed=3)
    week = month_of_traffic(date(2025, 3, 10), 7)
    countries = [
        ("Romania", 12345),
        ("Moldova", 1234),
        ("Bulgaria", 987),
        ("Hungary", 456),
        ("Ukraine", 321),
        ("Congo, The Democratic Republic of the", 230),
        ("Italy", 120),
        ("Spain", 80),
        ("France", 40),
        ("Germany", 30),
        ("<script>alert('x')</script> & \"Co\"", 12),
        ("", 7),
    ]
    money = [(name, Decimal(v) * Decimal("0.0350")) for name, v in countries]
    strip = {date(2025, 3, 1) + timedelta(days=i): (m.total if i % 9 else 0) for i, (d, m) in enumerate(march.items())}
    return [
        (
            "Messages by day, March 2025 (31 days)",
            day_chart(march, date(2025, 3, 1), date(2025, 3, 31), title="Messages by day, March 2025"),
            None,
        ),
        (
            "Messages by day, a week",
            day_chart(week, date(2025, 3, 10), date(2025, 3, 16), title="Messages by day, a week"),
            None,
        ),
        ("Messages by day, one day", day_chart(week, date(2025, 3, 12), date(2025, 3, 12), title="Today"), None),
        (
            "Messages by day, a quarter (90 days)",
            day_chart(quarter, date(2025, 1, 1), date(2025, 3, 31), title="Q1 2025"),
            None,
        ),
        (
            "Mesaje pe zi (ro), 30 mar – 28 apr",
            day_chart(
                month_of_traffic(date(2025, 3, 30), 30),
                date(2025, 3, 30),
                date(2025, 4, 28),
                title="Mesaje pe zi",
                text=ROMANIAN,
            ),
            None,
        ),
        (
            "A few messages (max 3)",
            day_chart(
                {date(2025, 3, 3): StatusCounts(delivered=2, failed=1), date(2025, 3, 5): StatusCounts(pending=1)},
                date(2025, 3, 1),
                date(2025, 3, 14),
                title="A few",
            ),
            None,
        ),
        ("Empty period", day_chart({}, date(2025, 2, 1), date(2025, 2, 28), title="February 2025"), None),
        ("By country (messages)", ranked_bars(countries, title="Messages by country"), None),
        (
            "By country (cost)",
            ranked_bars(money, title="Cost by country", value_format=lambda v: f"€{v:,.2f}"),
            "Cost, EUR",
        ),
        ("By country, two only", ranked_bars(countries[:2], title="Two"), None),
        (
            "By sender, a label with markup in it",
            ranked_bars([("BRAND", 900), ('<b>Shop</b> & "Co"', 450), ("", 30)], title="By sender"),
            None,
        ),
        ("By country, nothing", ranked_bars([], title="Nothing"), None),
        ("Last 30 days (strip)", day_strip(strip, date(2025, 3, 2), date(2025, 3, 31), title="Last 30 days"), "strip"),
        (
            "Last 30 days, nothing (strip)",
            day_strip({}, date(2025, 3, 2), date(2025, 3, 31), title="Last 30 days"),
            "strip",
        ),
    ]


def page_html(dark: bool = False) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "jinja"), autoescape=True)
    env.globals["_"] = lambda s, **kw: s % kw if kw else s
    macros = env.get_template("_charts.html").module
    parts = []
    for caption, svg, note in gallery():
        if note == "strip":
            parts.append(f"<article>{macros.chart_strip(svg, caption, href='#')}</article>")
        else:
            parts.append(f"<article>{macros.chart_figure(svg, caption, note=note)}</article>")
    parts.append(f"<p>{macros.network_label()}</p>")
    theme = "dark" if dark else "light"
    return f"""<!doctype html><html lang="en" data-theme="{theme}"><head><meta charset="utf-8">
<link rel="stylesheet" href="{(STATIC / "vendor" / "pico-2.1.1.min.css").as_uri()}">
<link rel="stylesheet" href="{(STATIC / "app.css").as_uri()}"></head>
<body><main class="container">{"".join(parts)}</main></body></html>"""


def pdf_html() -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "jinja"), autoescape=True)
    env.globals["_"] = lambda s, **kw: s % kw if kw else s
    macros = env.get_template("_charts.html").module
    body = "".join(f"<h2>{caption}</h2>{macros.chart_figure(svg)}" for caption, svg, _ in gallery())
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
@font-face {{ font-family: "Doc Sans"; src: url(fonts/DejaVuSans.ttf); }}
@page {{ size: A4; margin: 18mm 16mm; }}
html {{ font-family: "Doc Sans"; font-size: 9pt; color: #1d2430; }}
h2 {{ font-size: 10.5pt; margin: 6mm 0 2mm; border-bottom: .6pt solid #9aa5b1; }}
figure {{ margin: 0; break-inside: avoid; }}
</style></head><body>{body}</body></html>"""


@pytest.fixture
def out_dir(tmp_path):
    wanted = os.environ.get("CHART_GALLERY")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        return Path(wanted)
    return tmp_path


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_charts_in_chromium(browser, out_dir, theme):
    (out_dir / f"charts-{theme}.html").write_text(page_html(dark=theme == "dark"), encoding="utf-8")
    for width, name in ((1280, theme), (390, f"{theme}-phone")):
        if name == "dark-phone":
            continue
        context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
        page = context.new_page()
        page.goto((out_dir / f"charts-{theme}.html").as_uri())
        assert page.locator("svg[role=img]").count() == len(gallery())
        assert page.evaluate("() => document.querySelectorAll('script, svg b').length") == 0  # labels stayed text
        assert page.locator("svg text", has_text='<b>Shop</b> & "Co"').count() == 1
        page.screenshot(path=str(out_dir / f"charts-{name}.png"), full_page=True)
        context.close()


def test_charts_in_a_weasyprint_pdf(out_dir):
    from weasyprint import HTML

    pdf = out_dir / "charts.pdf"
    HTML(string=pdf_html(), base_url=str(STATIC) + "/").write_pdf(pdf)
    assert pdf.stat().st_size > 5000
    if shutil.which("pdftoppm"):
        for old in out_dir.glob("charts-pdf*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(out_dir / "charts-pdf")], check=True)
        assert sorted(out_dir.glob("charts-pdf*.png"))
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Delivered" in text and "Romania" in text and '<b>Shop</b> & "Co"' in text
