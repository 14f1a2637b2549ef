"""A statement's documents: the PDF (jinja/pdf/statement.html) and the XLSX workbook. Both
print the same cents (webapp.domain.statements.printed): lines that add up to their totals.
Needs an app (and, for the labels' language, a request) context."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _

from webapp.domain import N_
from webapp.domain import statements as rules
from webapp.i18n import country_name
from webapp.models import Statement
from webapp.services import invoices

ENTRY_KINDS = {"topup": N_("Top-up"), "transfer": N_("Transfer"), "adjustment": N_("Adjustment")}


def number(statement: Statement) -> str:
    """As printed: the account, the period's first day and its length, e.g. ST-42-20260301-1M."""
    start, end = statement.period_start, statement.period_end
    months = (end.year - start.year) * 12 + end.month - start.month
    span = f"{months}M" if start.day == 1 and end.day == 1 else f"{(end - start).days}D"
    return f"ST-{statement.account_id}-{start:%Y%m%d}-{span}"


def label(key: str) -> str:
    return _(rules.LINES.get(key, key))


def country_label(code: str) -> str:
    return country_name(code) if code else _("unknown")


def listing(statements: list[Statement]) -> list[tuple]:
    """(statement, last day included, opening and closing balance as printed) for the list."""
    return [(s, s.period_end - timedelta(days=1), rules.cents(Decimal(s.figures["opening"])),
             rules.cents(Decimal(s.figures["closing"]))) for s in statements]


def document(statement: Statement, settings) -> dict:
    """What the PDF template prints."""
    figures = statement.figures
    view = rules.printed(figures)
    zone = ZoneInfo(figures["timezone"])

    def local(iso: str) -> datetime:
        return datetime.fromisoformat(iso).astimezone(zone)

    def shown(moment: datetime) -> str:
        return format_datetime(moment, "short", tzinfo=zone, locale=get_locale())

    return {"statement": statement, "figures": figures, "view": view, "number": number(statement),
            "seller": invoices.seller(settings), "buyer": figures.get("buyer") or {}, "account": figures.get("account") or {},
            "first_day": statement.period_start, "last_day": statement.period_end - timedelta(days=1),
            "made_at": shown(local(figures["made_at"])), "label": label, "country_label": country_label,
            "kind_label": lambda kind: _(ENTRY_KINDS[kind]) if kind in ENTRY_KINDS else kind,
            "days": [(date.fromisoformat(row.label), row) for row in view.by_day],
            "entries": [(local(e.at), shown(local(e.at)), e) for e in view.entries]}


def pdf(statement: Statement, settings) -> bytes:
    from webapp.services.pdf import render_pdf

    return render_pdf("pdf/statement.html", **document(statement, settings))


def xlsx(statement: Statement, settings) -> bytes:
    """Sheets Summary, By country, By day: amounts are numbers with a 2-decimal format (the
    printed cents), counts integers, days dates; the totals rows add up like the PDF's."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from webapp.services.spreadsheets import text_cell

    doc = document(statement, settings)
    view, currency = doc["view"], doc["figures"].get("currency", "EUR")
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def cells(sheet, values, *, strong=False):
        row = []
        for value in values:
            cell = text_cell(sheet, value)   # a company name "=HYPERLINK(…)" stays text
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, int) and not isinstance(value, bool):
                cell.number_format = "#,##0"
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            if strong:
                cell.font = bold
            row.append(cell)
        sheet.append(row)

    summary = book.create_sheet(_("Summary"))
    summary.column_dimensions["A"].width = 58
    summary.column_dimensions["B"].width = 14
    summary.column_dimensions["C"].width = 18
    cells(summary, [_("Account statement") + " " + doc["number"]], strong=True)
    cells(summary, [_("Supplier"), doc["seller"]["name"]])
    cells(summary, [_("Customer"), doc["buyer"].get("company_name", "")])
    cells(summary, [_("Period from"), doc["first_day"]])
    cells(summary, [_("Period to (included)"), doc["last_day"]])
    cells(summary, [_("Time zone"), doc["figures"]["timezone"]])
    cells(summary, [_("Currency"), currency])
    cells(summary, [])
    cells(summary, [_("Item"), _("Count"), _("Amount")], strong=True)
    cells(summary, [_("Opening balance"), None, view.opening])
    for line in view.lines:
        cells(summary, [label(line.key), line.count or None, line.amount])
    cells(summary, [_("Closing balance"), None, view.closing], strong=True)
    cells(summary, [])
    cells(summary, [_("SMS messages, net of refunds (sent − refunded)"), view.total.messages, view.total.net])
    if view.entries:
        cells(summary, [])
        cells(summary, [_("Top-ups, transfers and adjustments")], strong=True)
        cells(summary, [_("Date"), _("Type"), _("Amount"), _("Description"), _("Reference")], strong=True)
        for at, _shown, entry in doc["entries"]:
            cells(summary, [at.replace(tzinfo=None), doc["kind_label"](entry.kind), entry.amount,
                            entry.reason, entry.reference])

    def table(title: str, first: list[str], rows, keys):
        sheet = book.create_sheet(title)
        for column, width in zip("ABCDEF", (14, 24, 12, 12, 16, 16)):
            sheet.column_dimensions[column].width = width
        cells(sheet, first + [_("Messages"), _("Parts"), _("Sent"), _("Refunded")], strong=True)
        for row in rows:
            cells(sheet, keys(row) + [row.messages, row.parts, row.sent, row.refunded])
        total = view.total
        cells(sheet, [_("Total")] + [None] * (len(first) - 1) + [total.messages, total.parts, total.sent, total.refunded],
              strong=True)

    table(_("By country"), [_("Country code"), _("Country")], view.by_country,
          lambda r: [r.label or None, country_label(r.label)])
    table(_("By day"), [_("Date")], view.by_day, lambda r: [date.fromisoformat(r.label)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
