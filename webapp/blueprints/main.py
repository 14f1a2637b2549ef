"""Dashboard and the customer areas of the navigation."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.htmx import render
from webapp.models import LedgerEntry
from webapp.services import contacts, reports

bp = Blueprint("main", __name__)

# Areas whose screens arrive with their own issues; each page says what it will hold.
AREAS = {
    "campaigns": (_l("Campaigns"), _l("Scheduled and running campaigns, with their progress and delivery reports.")),
}


@bp.get("/")
def dashboard():
    account = current_user.account
    recent = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.account_id == account.id)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .limit(10)
    ).all()
    groups = contacts.group_summaries(db.session, current_user)
    return render("main/dashboard.html", account=account, recent=recent, groups=groups,
                  totals=reports.period_totals(db.session, current_user),
                  last_messages=reports.recent_messages(db.session, current_user, limit=10))


@bp.get("/<any(campaigns):area>")
def area(area: str):
    title, description = AREAS[area]
    return render("main/area.html", area=area, title=title, description=description)
