"""Dashboard and the customer areas of the navigation."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from webapp.extensions import db
from webapp.htmx import render
from webapp.services import balance_watch, contacts, reports

bp = Blueprint("main", __name__)



@bp.get("/")
def dashboard():
    account = current_user.account
    recent = reports.recent_ledger(db.session, current_user, limit=10)
    groups = contacts.usable_groups(db.session, current_user)
    return render("main/dashboard.html", account=account, recent=recent, groups=groups,
                  totals=reports.period_totals(db.session, current_user),
                  last_messages=reports.recent_messages(db.session, current_user, limit=10),
                  auto_topup_failure=balance_watch.failure_notice(db.session, account.id))
