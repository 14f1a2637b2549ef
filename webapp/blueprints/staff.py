"""Support staff pages. Now: the global blocklist ("general blocklist"), payments to check
(bank transfers to confirm, first card payments to review, refunds) and the SMPP sessions bound
now, of every account; the staff console,
impersonation and the audit log come with their own issue."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.contacts import blocklist_download, blocklist_view
from webapp.blueprints.form_errors import refusals
from webapp.blueprints.smpp_access import live_sessions
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.i18n import money
from webapp.models import Account
from webapp.services import blocklist as blocked_numbers
from webapp.services import payment_review
from webapp.services.processors import processor_for
from webapp.services.uploads import PROOF_TYPES

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/blocklist", methods=["GET", "POST"])
def blocklist():
    return blocklist_view(
        None, unblock_endpoint="staff.unblock", export_endpoint="staff.blocklist_export", global_list=True
    )


@bp.get("/blocklist/export.<any(xlsx, csv):kind>")
def blocklist_export(kind: str):
    """The whole global blocklist as XLSX or CSV (it has no opt-outs: those are an account's)."""
    return blocklist_download(None, kind)


@bp.post("/blocklist/<int:entry_id>/remove")
def unblock(entry_id: int):
    if not blocked_numbers.remove(db.session, None, entry_id):
        abort(404)
    return redirect_to(url_for(".blocklist"))


def _processors():
    settings = current_app.config["SETTINGS"]
    return lambda name: processor_for(settings, name)


@bp.get("/payments")
def payments_to_check():
    return render(
        "staff/payments.html",
        waiting=payment_review.awaiting_support(db.session),
        recent=payment_review.recently_decided(db.session),
    )


@bp.post("/payments/<int:payment_id>/confirm")
def confirm_payment(payment_id: int):
    """A transfer arrived, or a first card payment is fine: credit and invoice follow, once."""
    if payment_review.confirm(db.session, current_user, payment_id, current_app.config["SETTINGS"].invoice_series):
        flash(_("Payment confirmed: the credit and the invoice are issued."), "success")
    else:
        flash(_("This payment was already decided."), "warning")
    return redirect_to(url_for(".payments_to_check"))


@bp.post("/payments/<int:payment_id>/reject")
def reject_payment(payment_id: int):
    reason = (request.form.get("reason") or "").strip()[:300]
    with refusals() as call:
        rejected = payment_review.reject(db.session, current_user, payment_id, reason, _processors())
    if not call.ok:
        return redirect_to(url_for(".payments_to_check"))
    flash(
        _("Payment rejected.") if rejected else _("This payment was already decided."),
        "success" if rejected else "warning",
    )
    return redirect_to(url_for(".payments_to_check"))


@bp.post("/payments/<int:payment_id>/refund")
def refund_payment(payment_id: int):
    with refusals() as call:
        note = payment_review.refund(
            db.session, current_user, payment_id, current_app.config["SETTINGS"].credit_note_series, _processors()
        )
    if call.ok:
        db.session.commit()  # the card refund happened at the processor: record it now
        payment = note.payment
        if payment.refund_ref:
            flash(
                _(
                    "Refunded to the card (%(ref)s): credit note %(number)s is issued.",
                    ref=payment.refund_ref,
                    number=note.printed_number,
                ),
                "success",
            )
        else:
            flash(
                _(
                    "Credit note %(number)s is issued. Pay %(total)s back by bank transfer to the customer.",
                    number=note.printed_number,
                    total=money(payment.total, payment.currency),
                ),
                "success",
            )
    return redirect_to(url_for(".payments_to_check"))


@bp.get("/payments/<int:payment_id>/proof")
def payment_proof(payment_id: int):
    """The customer's file, served with the type of its checked suffix (never as a page) and
    as a download, so nothing in it runs with staff rights."""
    payment = payment_review.with_proof(db.session, payment_id)
    if payment is None:
        abort(404)
    suffix = Path(payment.proof_path).suffix.lower()
    response = send_file(
        payment.proof_path,
        mimetype=PROOF_TYPES.get(suffix, "application/octet-stream"),
        download_name=f"proof-{payment.reference}{suffix}",
        as_attachment=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/smpp-sessions")
def smpp_sessions():
    """Every account's SMPP sessions bound now, with the server instance holding each; the page
    asks for its list again every 5 s (the fragment, for htmx)."""
    live = live_sessions(None)
    accounts = {i: db.session.get(Account, i) for i in {s.account_id for s in live["sessions"]}}
    return render("staff/smpp_sessions.html", "staff/_smpp_sessions.html", accounts=accounts, **live)
