"""Support staff pages. Now: the global blocklist ("general blocklist"); the staff console,
impersonation and the audit log come with their own issue."""
from __future__ import annotations

from flask import Blueprint, abort, url_for
from flask_login import current_user

from webapp.blueprints.contacts import blocklist_view
from webapp.extensions import db
from webapp.htmx import redirect_to
from webapp.services import blocklist as blocked_numbers

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
def staff_only():
    if not current_user.is_authenticated or not current_user.role_enum.is_staff:
        abort(403)


@bp.route("/blocklist", methods=["GET", "POST"])
def blocklist():
    return blocklist_view(None, unblock_endpoint="staff.unblock", global_list=True)


@bp.post("/blocklist/<int:entry_id>/remove")
def unblock(entry_id: int):
    blocked_numbers.remove(db.session, None, entry_id)
    db.session.commit()
    return redirect_to(url_for(".blocklist"))
