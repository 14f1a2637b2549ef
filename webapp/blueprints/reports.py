"""Reports: the account's messages and one message's whole story."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from webapp.domain import lifecycle
from webapp.extensions import db
from webapp.htmx import render
from webapp.services import reports

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("/")
def messages():
    return render("reports/messages.html", messages=reports.recent_messages(db.session, current_user))


@bp.get("/messages/<int:message_id>")
def message(message_id: int):
    found = reports.get_message(db.session, current_user, message_id)
    if found is None:
        abort(404)
    return render("reports/message.html", "reports/_message_status.html", message=found,
                  pending=found.status in lifecycle.PENDING, movements=reports.money_movements(db.session, found),
                  REFUSAL_REASONS=lifecycle.REFUSAL_REASONS, EVENT_LABELS=lifecycle.EVENT_LABELS)
