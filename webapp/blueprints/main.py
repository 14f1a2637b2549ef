"""Dashboard and the customer areas of the navigation."""

from __future__ import annotations

from flask import Blueprint, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.chart_text import chart_text
from webapp.domain.charts import day_strip
from webapp.extensions import db
from webapp.htmx import render
from webapp.services import balance_watch, contacts, report_totals, reports

bp = Blueprint("main", __name__)


@bp.app_context_processor
def support_view() -> dict[str, bool]:
    """True for staff and for support signed in as a customer: pages then show raw status and
    error codes beside the words customers read."""
    staff = current_user.is_authenticated and current_user.role_enum.is_staff
    return {"support_view": bool(staff or g.get("impersonation"))}


@bp.get("/")
def dashboard():
    if current_user.role_enum.is_staff:  # staff have no customer dashboard: their home is the staff console
        return redirect(url_for("support.index"))
    account = current_user.account
    recent = reports.recent_ledger(db.session, current_user, limit=10)
    groups = contacts.usable_groups(db.session, current_user)
    return render(
        "main/dashboard.html",
        account=account,
        recent=recent,
        groups=groups,
        totals=reports.period_totals(db.session, current_user),
        last_messages=reports.recent_messages(db.session, current_user, limit=10),
        auto_topup_failure=balance_watch.failure_notice(db.session, account.id),
        **_last_30_days(),
    )


def _last_30_days() -> dict[str, object]:
    """The small chart of the messages of the last 30 days, a link to All reports of those days."""
    first, last, counts = report_totals.last_days(db.session, current_user, 30)
    return {
        "strip": day_strip(counts, first, last, title=_("Messages of the last 30 days"), text=chart_text()),
        "strip_first": first.isoformat(),
        "strip_last": last.isoformat(),
    }
