"""Staff tasks: sender ID requests to approve or reject, and credit adjustments with a reason."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from webapp.blueprints.form_errors import error_text, refusals
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.i18n import money
from webapp.services import adjustments, sender_ids

bp = Blueprint("staff_tasks", __name__, url_prefix="/staff")


class AdjustForm(FlaskForm):
    amount = StringField(_l("Amount (signed: +50.00 adds credit, -12.5 takes it away)"), validators=[Length(max=20)])
    reason = StringField(_l("Reason (the customer sees it on its statement)"), validators=[Length(max=300)])
    token = HiddenField()  # one per rendered form: a double submit posts once


def _requests_page(errors: dict[int, str] | None = None, status: int = 200):
    return render(
        "staff_tasks/sender_ids.html", requests=sender_ids.for_support(db.session), errors=errors or {}, status=status
    )


@bp.get("/sender-ids")
def sender_id_requests():
    return _requests_page()


@bp.post("/sender-ids/<int:request_id>/<any(approve, reject):decision>")
def decide_sender_id(request_id: int, decision: str):
    try:
        with refusals(flash_message=False) as call:
            decided = sender_ids.decide(
                db.session, current_user, request_id, decision == "approve", request.form.get("note", "")
            )
    except LookupError:
        abort(404)
    if call.error:
        return _requests_page({request_id: error_text(call.error)}, status=422)
    if decided:
        flash(
            _("Approved: the customer can send with it now.")
            if decision == "approve"
            else _("Rejected: the customer sees your note."),
            "success",
        )
    else:
        flash(_("This request was already decided."), "warning")
    return redirect_to(url_for(".sender_id_requests"))


@bp.route("/accounts/<int:account_id>/adjust", methods=["GET", "POST"])
def adjust_credit(account_id: int):
    try:
        account = adjustments.customer_account(db.session, account_id)
    except LookupError:
        abort(404)
    form = AdjustForm()
    if form.validate_on_submit():
        with refusals(form) as call:
            entry = adjustments.adjust(
                db.session,
                current_user,
                account_id,
                form.amount.data or "",
                form.reason.data or "",
                form.token.data or "",
            )
        if call.ok:
            if entry is None:
                flash(_("This adjustment was already recorded."), "warning")
            else:
                flash(
                    _(
                        "Adjusted by %(amount)s: the balance is now %(balance)s.",
                        amount=money(entry.amount, account.currency),
                        balance=money(entry.balance_after, account.currency),
                    ),
                    "success",
                )
            return redirect_to(url_for(".adjust_credit", account_id=account_id))
    if not form.token.data:
        form.token.data = uuid.uuid4().hex
    return render(
        "staff_tasks/adjust.html",
        form=form,
        account=account,
        recent=adjustments.recent(db.session, account_id),
        status=422 if form.errors else 200,
    )
