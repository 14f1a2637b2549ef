"""Reports: the account's messages and one message's whole story, and their exports."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from webapp.domain import lifecycle
from webapp.domain.export_cells import SEPARATORS
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.redis_client import get_redis
from webapp.services import exports, exports_jobs, exports_messages, invoices, message_costs, reports, route_state
from webapp.services.subusers import subuser_choices

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_app_template_global(message_costs.of, "message_cost")  # one message's cost, as the ledger has it


def _day(value: str | None):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/")
def messages():
    """Search MT messages: the filter lives in the URL, so a result can be bookmarked and shared."""
    args = request.args
    filters = reports.MessageFilter(
        day_from=_day(args.get("from")),
        day_to=_day(args.get("to")),
        number=args.get("number", "")[:32],
        status=args.get("status", ""),
        sender=args.get("sender", "")[:20],
        campaign_id=args.get("campaign", type=int),
        account_id=_account(args.get("subuser", "")),
    )
    page = reports.search_messages(db.session, current_user, filters, page=args.get("page", 1, type=int))
    subusers = dict(subuser_choices(db.session, current_user))  # a parent's: for the filter and the column
    return render(
        "reports/messages.html",
        "reports/_results.html",
        result=page,
        filters=filters,
        statuses=reports.STATUS_FILTERS,
        args={k: v for k, v in args.items() if k != "page" and v},
        subusers=subusers,
        subuser=args.get("subuser", ""),
    )


def _account(value: str) -> int | None:
    """The "Subuser" filter: "" all, "me" the actor's own account, else a subuser's account id."""
    if value == "me":
        return current_user.account_id
    return int(value) if value.isdigit() else None


@bp.get("/messages/<int:message_id>")
def message(message_id: int):
    found = reports.get_message(db.session, current_user, message_id)
    if found is None:
        abort(404)
    route_down = route_state.down_routes(get_redis()).get(found.route_id) if found.status == lifecycle.QUEUED else None
    return render(
        "reports/message.html",
        "reports/_message_status.html",
        message=found,
        route_down=route_down,
        pending=found.status in lifecycle.PENDING,
        movements=reports.money_movements(db.session, found),
        REFUSAL_REASONS=lifecycle.REFUSAL_REASONS,
        EVENT_LABELS=lifecycle.EVENT_LABELS,
    )


# --- exports of the message search -------------------------------------------------------------

FILTER_FIELDS = ("from", "to", "number", "status", "sender", "campaign", "subuser")


def _export_filter(values) -> reports.MessageFilter:
    """The search's filter as the page reads it (messages() above), from the Export form."""
    campaign = values.get("campaign", "")
    return reports.MessageFilter(
        day_from=_day(values.get("from")),
        day_to=_day(values.get("to")),
        number=values.get("number", "")[:32],
        status=values.get("status", ""),
        sender=values.get("sender", "")[:20],
        campaign_id=int(campaign) if campaign.isdigit() else None,
        account_id=_account(values.get("subuser", "")),
    )


def _search_args(values) -> dict[str, str]:
    return {k: values[k] for k in FILTER_FIELDS if values.get(k)}


@bp.post("/export")
def export():
    """Export exactly the search of the form's filter: at once (a download), or by a job when it
    is large (then the export's page with its progress bar and, when made, the download link)."""
    settings = current_app.config["SETTINGS"]
    form = request.form
    fmt = form.get("format") if form.get("format") in exports.FORMATS else "csv"
    separator = form.get("separator") if form.get("separator") in SEPARATORS else ";"
    filters = _export_filter(form)
    size = exports_messages.size(db.session, current_user, filters)
    if fmt == "pdf" and size.rows > settings.export_pdf_max_rows:
        flash(
            _(
                "A PDF holds at most %(max)s messages: export these %(rows)s as CSV or XLSX, or narrow the filter.",
                max=f"{settings.export_pdf_max_rows:,}",
                rows=f"{size.rows:,}",
            ),
            "warning",
        )
        return redirect_to(url_for("reports.messages", **_search_args(form)))
    language = str(get_locale() or settings.default_language)
    today = datetime.now(UTC).astimezone(ZoneInfo(current_user.account.timezone)).date()
    filename = exports_messages.file_name(filters, fmt, today)
    inline_limit = settings.export_pdf_inline_rows if fmt == "pdf" else settings.export_background_rows
    if size.rows > inline_limit:
        made = exports_jobs.ask(
            get_redis(),
            settings.upload_dir,
            current_user,
            "messages",
            exports_messages.filter_json(filters),
            fmt,
            separator,
            language,
            size.up_to_id,
            size.rows,
            filename,
        )
        return redirect_to(url_for("reports.export_status", export_id=made.id))
    table = exports_messages.table(db.session, current_user, filters, size.up_to_id, language)
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    exports.write(table, fmt, out, separator=separator, pdf_context={"seller": invoices.seller(settings)})
    out.seek(0)
    return send_file(out, mimetype=exports.MIMETYPES[fmt], as_attachment=True, download_name=filename)


def _search_args_of(export: exports_jobs.Export) -> dict[str, str]:
    """The search an export was made of, as the page's URL has it (the "back" link)."""
    f = exports_messages.filter_from_json(export.params)
    subuser = "" if f.account_id is None else ("me" if f.account_id == current_user.account_id else str(f.account_id))
    values = {
        "from": f.day_from.isoformat() if f.day_from else "",
        "to": f.day_to.isoformat() if f.day_to else "",
        "number": f.number,
        "status": f.status,
        "sender": f.sender,
        "campaign": str(f.campaign_id or ""),
        "subuser": subuser,
    }
    return {k: v for k, v in values.items() if v}


@bp.get("/exports/<export_id>")
def export_status(export_id: str):
    """A large export on its way (a progress bar that asks again every second), then its link.
    Only the account that asked finds it (another's: 404)."""
    settings = current_app.config["SETTINGS"]
    found = exports_jobs.status(get_redis(), settings.upload_dir, current_user.account_id, export_id)
    if found is None:
        abort(404)
    made, done = found
    available = made.done and exports_jobs.download(settings.upload_dir, current_user.account_id, export_id) is not None
    return render(
        "reports/export.html",
        "reports/_export_progress.html",
        export=made,
        done=done,
        available=available,
        keep_days=settings.export_keep_days,
        back=_search_args_of(made),
    )


@bp.get("/exports/<export_id>/file")
def export_download(export_id: str):
    settings = current_app.config["SETTINGS"]
    found = exports_jobs.download(settings.upload_dir, current_user.account_id, export_id)
    if found is None:
        abort(404)
    made, path = found
    return send_file(path, mimetype=exports.MIMETYPES[made.fmt], as_attachment=True, download_name=made.filename)
