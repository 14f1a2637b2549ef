"""A statement's documents: the PDF (jinja/pdf/statement.html) and the XLSX workbook. Both
print the same cents (webapp.domain.statements.printed): lines that add up to their totals.
Needs an app (and, for the labels' language, a request) context."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _

from webapp.domain import N_
from webapp.domain import statements as rules
from webapp.i18n import country_name, ledger_reason
from webapp.models import Statement
from webapp.services import invoices

if TYPE_CHECKING:
    from webapp.settings import Settings

# openpyxl has no type information: its workbooks, sheets and fonts are Any here.

ENTRY_KINDS = {"topup": N_("Top-up"), "transfer": N_("Transfer"), "adjustment": N_("Adjustment")}


class Document(TypedDict):
    """What the PDF template prints (and the workbook reads)."""

    statement: Statement
    figures: dict[str, Any]  # as stored (see webapp.services.statement_figures.Figures)
    view: rules.Printed
    number: str
    seller: dict[str, str]
    buyer: dict[str, str]
    account: dict[str, Any]
    first_day: date
    last_day: date
    made_at: str
    label: Callable[[str], str]
    country_label: Callable[[str], str]
    kind_label: Callable[[str], str]
    days: list[tuple[date, rules.Row]]
    entries: list[tuple[datetime, str, rules.Entry]]  # local time, as shown, the entry


def number(statement: Statement) -> str:
    """As printed: the account, the period's first day and its length, e.g. ST-42-20260301-1M."""
    start, end = statement.period_start, statement.period_end
    months = (end.year - start.year) * 12 + end.month - start.month
    span = f"{months}M" if start.day == 1 and end.day == 1 else f"{(end - start).days}D"
    return f"ST-{statement.account_id}-{start:%Y%m%d}-{span}"


def label(key: str) -> str:
    return str(_(rules.LABELS.get(key, key)))


def country_label(code: str) -> str:
    return country_name(code) if code else _("unknown")


def listing(statements: list[Statement]) -> list[tuple[Statement, date, Decimal, Decimal]]:
    """(statement, last day included, opening and closing balance as printed) for the list."""
    return [
        (
            s,
            s.period_end - timedelta(days=1),
            rules.cents(Decimal(s.figures["opening"])),
            rules.cents(Decimal(s.figures["closing"])),
        )
        for s in statements
    ]


def document(statement: Statement, settings: Settings) -> Document:
    """What the PDF template prints."""
    figures = statement.figures
    view = rules.printed(figures)
    zone = ZoneInfo(figures["timezone"])

    def local(iso: str) -> datetime:
        return datetime.fromisoformat(iso).astimezone(zone)

    def shown(moment: datetime) -> str:
        return format_datetime(moment, "short", tzinfo=zone, locale=get_locale())

    return {
        "statement": statement,
        "figures": figures,
        "view": view,
        "number": number(statement),
        "seller": invoices.seller(settings),
        "buyer": figures.get("buyer") or {},
        "account": figures.get("account") or {},
        "first_day": statement.period_start,
        "last_day": statement.period_end - timedelta(days=1),
        "made_at": shown(local(figures["made_at"])),
        "label": label,
        "country_label": country_label,
        "kind_label": lambda kind: _(ENTRY_KINDS[kind]) if kind in ENTRY_KINDS else kind,
        "days": [(date.fromisoformat(row.label), row) for row in view.by_day],
        "entries": [(local(e.at), shown(local(e.at)), e) for e in view.entries],
    }


def pdf(statement: Statement, settings: Settings) -> bytes:
    from webapp.services.pdf import render_pdf

    return render_pdf("pdf/statement.html", **document(statement, settings))


def xlsx(statement: Statement, settings: Settings) -> bytes:
    """Sheets Summary, By country, By day: amounts are numbers with a 2-decimal format (the
    printed cents), counts integers, days dates; the totals rows add up like the PDF's."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    doc = document(statement, settings)
    view = doc["view"]
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    _summary_sheet(book, doc, bold)
    _usage_sheet(
        book,
        bold,
        _("By country"),
        [_("Country code"), _("Country")],
        view.by_country,
        lambda r: [r.label or None, country_label(r.label)],
        view.total,
    )
    _usage_sheet(book, bold, _("By day"), [_("Date")], view.by_day, lambda r: [date.fromisoformat(r.label)], view.total)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cells(sheet: Any, values: Iterable[object], font: Any = None) -> None:
    """One row: amounts with 2 decimals, counts as integers, dates and times as such; in ``font``
    (bold) if given."""
    from webapp.services.spreadsheets import text_cell

    row = []
    for value in values:
        cell = text_cell(sheet, value)  # a company name "=HYPERLINK(…)" stays text
        if isinstance(value, Decimal):
            cell.number_format = "#,##0.00"
        elif isinstance(value, int) and not isinstance(value, bool):
            cell.number_format = "#,##0"
        elif isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        if font is not None:
            cell.font = font
        row.append(cell)
    sheet.append(row)


def _summary_sheet(book: Any, doc: Document, bold: Any) -> None:
    """The Summary sheet: who and which period, the balance lines from opening to closing, the
    SMS net of refunds, and the top-ups, transfers and adjustments one by one."""
    view, currency = doc["view"], doc["figures"].get("currency", "EUR")
    summary = book.create_sheet(_("Summary"))
    summary.column_dimensions["A"].width = 58
    summary.column_dimensions["B"].width = 14
    summary.column_dimensions["C"].width = 18
    _cells(summary, [_("Account statement") + " " + doc["number"]], bold)
    _cells(summary, [_("Supplier"), doc["seller"]["name"]])
    _cells(summary, [_("Customer"), doc["buyer"].get("company_name", "")])
    _cells(summary, [_("Period from"), doc["first_day"]])
    _cells(summary, [_("Period to (included)"), doc["last_day"]])
    _cells(summary, [_("Time zone"), doc["figures"]["timezone"]])
    _cells(summary, [_("Currency"), currency])
    _cells(summary, [])
    _cells(summary, [_("Item"), _("Count"), _("Amount")], bold)
    _cells(summary, [_("Opening balance"), None, view.opening])
    for line in view.lines:
        _cells(summary, [label(line.key), line.count or None, line.amount])
    _cells(summary, [_("Closing balance"), None, view.closing], bold)
    _cells(summary, [])
    _cells(summary, [_("SMS messages, net of refunds (sent − refunded)"), view.total.messages, view.total.net])
    if view.entries:
        _cells(summary, [])
        _cells(summary, [_("Top-ups, transfers and adjustments")], bold)
        _cells(summary, [_("Date"), _("Type"), _("Amount"), _("Description"), _("Reference")], bold)
        for at, _shown, entry in doc["entries"]:
            _cells(
                summary,
                [
                    at.replace(tzinfo=None),
                    doc["kind_label"](entry.kind),
                    entry.amount,
                    ledger_reason(entry.reason),
                    entry.reference,
                ],
            )


def _usage_sheet(
    book: Any,
    bold: Any,
    title: str,
    first: list[str],
    rows: list[rules.Row],
    keys: Callable[[rules.Row], list[object]],
    total: rules.Row,
) -> None:
    """A sheet of messages, parts, sent and refunded amounts by country or by day, then the total."""
    sheet = book.create_sheet(title)
    for column, width in zip("ABCDEF", (14, 24, 12, 12, 16, 16)):
        sheet.column_dimensions[column].width = width
    _cells(sheet, first + [_("Messages"), _("Parts"), _("Sent"), _("Refunded")], bold)
    for row in rows:
        _cells(sheet, keys(row) + [row.messages, row.parts, row.sent, row.refunded])
    _cells(
        sheet,
        [_("Total")] + [None] * (len(first) - 1) + [total.messages, total.parts, total.sent, total.refunded],
        bold,
    )
