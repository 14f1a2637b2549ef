"""Staff: delivery receipts kept unmatched (another number's, no part yet, unreadable), so support
can see why a message got no report. Staff only (webapp/domain/access.py)."""

from __future__ import annotations

from flask import Blueprint, request

from webapp.domain.receipt_matching import REASONS
from webapp.extensions import db
from webapp.htmx import render
from webapp.services import inbound, receipts

bp = Blueprint("staff_receipts", __name__, url_prefix="/staff/receipts")


@bp.get("/")
def index():
    reason = request.args.get("reason", "")
    reason = reason if reason in REASONS else ""
    return render(
        "staff/receipts.html",
        rows=receipts.unmatched_receipts(db.session, reason or None),
        counts=receipts.unmatched_counts(db.session),
        reason=reason,
        reasons=REASONS,
    )


@bp.get("/replies")
def replies():
    """Replies (MO) nobody wrote to within the window: kept here, for support to see."""
    return render("staff/replies.html", rows=inbound.unmatched(db.session))
