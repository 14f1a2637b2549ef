"""Reports → All reports: a period's totals and tables by country, network, day, status and sender
ID, with charts; the filter lives in the URL (bookmarkable), the form refreshes the results with
htmx. Exports of each table (CSV, XLSX, PDF) through services/exports.py."""

from __future__ import annotations

import tempfile
from datetime import date

from flask import Blueprint, current_app, request, send_file
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from webapp.chart_text import chart_text
from webapp.domain import report_periods
from webapp.domain.charts import day_chart, ranked_bars
from webapp.domain.export_cells import SEPARATORS
from webapp.extensions import db
from webapp.htmx import render
from webapp.i18n import country_name, status_label
from webapp.services import exports, invoices, report_exports, report_totals
from webapp.services.subusers import subuser_choices

bp = Blueprint("all_reports", __name__, url_prefix="/reports/all")
FIELDS = ("period", "from", "to", "subuser", "sender", "campaign")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filter(values) -> report_totals.ReportFilter:
    """The page's filter from its URL (or the export form, which carries the same fields)."""
    day_from, day_to = _day(values.get("from")), _day(values.get("to"))
    preset = values.get("period") or (report_periods.CUSTOM if day_from or day_to else report_periods.DEFAULT)
    today = report_totals.today_in(current_user.account.timezone)
    subuser, campaign = values.get("subuser", ""), values.get("campaign", "")
    account_id = current_user.account_id if subuser == "me" else int(subuser) if subuser.isdigit() else None
    return report_totals.ReportFilter(
        report_periods.period_of(preset, today, day_from, day_to),
        account_id,
        values.get("sender", "").strip()[:20],
        int(campaign) if campaign.isdigit() else None,
    )


def line_name(which: str, key: str) -> str:
    """A table line's name in the reader's language (the page and the exports)."""
    if which == "country":
        return country_name(key) or _("Unknown")
    if which == "network":
        return key or _("Unknown")
    if which == "status":
        return status_label(key)
    if which == "day":
        return str(format_date(date.fromisoformat(key), "medium"))
    return key


def _charts(result: report_totals.AllReports) -> dict[str, str]:
    text, period = chart_text(), result.filter.period
    return {
        "day_svg": day_chart(
            result.chart_days(), period.first, period.last, title=_("Messages by day"), text=text, width=1000
        ),
        "country_svg": ranked_bars(
            [(line_name("country", line.key), line.messages) for line in result.by_country],
            title=_("Messages by country"),
            text=text,
            width=640,
        ),
    }


@bp.get("/")
def index():
    """The period's totals, tables and charts (the htmx form asks for the results fragment only)."""
    f = _filter(request.args)
    result = report_totals.all_reports(db.session, current_user, f)
    args = {k: request.args[k] for k in FIELDS if request.args.get(k)}
    return render(
        "reports/all.html",
        "reports/_all_results.html",
        result=result,
        f=f,
        args=args,
        subusers=dict(subuser_choices(db.session, current_user)),
        subuser=request.args.get("subuser", ""),
        campaigns=report_totals.campaign_choices(db.session, current_user),
        presets=report_periods.PRESETS,
        tables=report_exports.TABLES,
        line_name=line_name,
        **_charts(result),
    )


@bp.post("/export")
def export():
    """One table of the form's filter as CSV, XLSX (with its totals row) or PDF."""
    form = request.form
    fmt = form.get("format") if form.get("format") in exports.FORMATS else "csv"
    separator = form.get("separator") if form.get("separator") in SEPARATORS else ";"
    which = form.get("table") if form.get("table") in report_exports.TABLES else "country"
    f = _filter(form)
    table = report_exports.table(
        report_totals.all_reports(db.session, current_user, f), which, current_user.account.currency, line_name
    )
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    exports.write(
        table, fmt, out, separator=separator, pdf_context={"seller": invoices.seller(current_app.config["SETTINGS"])}
    )
    out.seek(0)
    return send_file(
        out, mimetype=exports.MIMETYPES[fmt], as_attachment=True, download_name=report_exports.file_name(f, which, fmt)
    )
