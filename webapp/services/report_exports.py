"""One table of Reports → All reports (by country, network, day, status or sender ID) as an export
(services/exports.py: CSV, XLSX with its totals row, PDF). The rows are the page's own lines
(services/report_totals.py), so an export's totals are the page's, and the ledger's."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal

from flask_babel import format_decimal, gettext, lazy_gettext

from webapp.domain.export_cells import Column, Kind, Value
from webapp.services.exports import Table
from webapp.services.report_totals import AllReports, Line, ReportFilter

TABLES = {
    "country": lazy_gettext("By country"),
    "network": lazy_gettext("By network (number range)"),
    "day": lazy_gettext("By day"),
    "status": lazy_gettext("By status"),
    "sender": lazy_gettext("By sender ID"),
}


def _heading(which: str) -> str:
    headings = {
        "country": gettext("Country"),
        "network": gettext("Network (by number range)"),
        "day": gettext("Day"),
        "status": gettext("Status"),
        "sender": gettext("Sender ID"),
    }
    return str(headings[which])


Namer = Callable[[str, str], str]
"""(table, key) → a line's name in the reader's language, as the page writes it (the view's)."""


def rate(line: Line) -> str:
    return "" if line.delivery_rate is None else f"{format_decimal(round(line.delivery_rate, 1))}%"


def columns(which: str) -> list[Column]:
    return [
        Column(_heading(which), Kind.DATE if which == "day" else Kind.TEXT, 26),
        Column(gettext("Messages"), Kind.INT, 11),
        Column(gettext("Parts"), Kind.INT, 9),
        Column(gettext("Delivered"), Kind.INT, 11),
        Column(gettext("Failed"), Kind.INT, 9),
        Column(gettext("Pending"), Kind.INT, 10),
        Column(gettext("Not sent"), Kind.INT, 10),
        Column(gettext("Delivery rate"), Kind.TEXT, 12, summed=False),
        Column(gettext("Charged"), Kind.MONEY, 12),
        Column(gettext("Reserved"), Kind.MONEY, 12),
    ]


def rows(lines: Sequence[Line], which: str, name: Namer) -> Iterator[Sequence[Value]]:
    for line in lines:
        yield [
            date.fromisoformat(line.key) if which == "day" else name(which, line.key),
            line.messages,
            line.parts,
            line.delivered,
            line.failed,
            line.pending,
            line.not_sent,
            rate(line),
            Decimal(line.charged),
            Decimal(line.reserved),
        ]


def table(result: AllReports, which: str, currency: str, name: Namer) -> Table:
    period = result.filter.period
    about = [(gettext("Period"), f"{period.first.isoformat()} – {period.last.isoformat()}")]
    if result.filter.sender:
        about.append((gettext("Sender ID"), result.filter.sender))
    return Table(
        title=f"{gettext('All reports')} · {TABLES[which]}",
        columns=columns(which),
        rows=rows(getattr(result, f"by_{which}"), which, name),
        total_label=gettext("Total"),
        about=about,
        currency=currency,
    )


def file_name(f: ReportFilter, which: str, fmt: str) -> str:
    return f"all-reports-{which}-{f.period.first.isoformat()}-{f.period.last.isoformat()}.{fmt}"
