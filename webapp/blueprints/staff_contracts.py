"""Support's contracts: the list (those waiting for review first), one contract's page (its
details, draft versions, history), asking for corrections, marking it sent and signed (with the
signed scan); and the operator's setting on own sender IDs before signing (admins only)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.billing import pdf_response
from webapp.blueprints.contract_forms import CorrectionForm, PolicyForm, ScanForm
from webapp.blueprints.contracts import scan_response
from webapp.blueprints.form_errors import refusals
from webapp.domain import contracts as rules
from webapp.extensions import db
from webapp.htmx import render
from webapp.services import contract_pdf, contracts

bp = Blueprint("staff_contracts", __name__, url_prefix="/staff/contracts")


def _contract(contract_id: int):
    try:
        return contracts.get(db.session, contract_id)
    except LookupError:
        abort(404)


@bp.get("/")
def index():
    policy = contracts.policy(db.session)
    return render(
        "contracts/staff_index.html",
        contracts=contracts.for_support(db.session),
        policy=policy,
        policy_form=PolicyForm(own_senders_before_signed=policy.own_senders_before_signed),
    )


@bp.post("/policy")
def policy():
    form = PolicyForm()
    if form.validate_on_submit():
        contracts.set_policy(db.session, current_user, bool(form.own_senders_before_signed.data))
        flash(
            _("Accounts may now send under their own sender IDs before their contract is signed.")
            if form.own_senders_before_signed.data
            else _("From now on, own sender IDs work only once the account's contract is signed."),
            "success",
        )
    return redirect(url_for(".index"))


def _page(contract, correction: CorrectionForm | None = None, scan_form: ScanForm | None = None, status: int = 200):
    return render(
        "contracts/staff_show.html",
        contract=contract,
        versions=contracts.versions(db.session, contract),
        history=contracts.history(db.session, contract),
        action_labels=rules.ACTION_LABELS,
        correction=correction or CorrectionForm(),
        scan_form=scan_form or ScanForm(),
        status=status,
    )


@bp.get("/<int:contract_id>")
def show(contract_id: int):
    return _page(_contract(contract_id))


@bp.get("/<int:contract_id>/v<int:version>.pdf")
def version_pdf(contract_id: int, version: int):
    contract = _contract(contract_id)
    try:
        row = contracts.version_of(db.session, contract, version)
    except LookupError:
        abort(404)
    return pdf_response(
        contract_pdf.draft_pdf(contract, row, current_app.config["SETTINGS"]),
        contract_pdf.draft_filename(contract, row),
    )


@bp.post("/<int:contract_id>/corrections")
def ask_correction(contract_id: int):
    contract = _contract(contract_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        with refusals(form) as call:
            contracts.ask_correction(db.session, current_user, contract_id, form.note.data or "")
        if call.ok:
            flash(_("The customer sees your request and can change the details."), "success")
            return redirect(url_for(".show", contract_id=contract_id))
    return _page(contract, correction=form, status=422)


@bp.post("/<int:contract_id>/sent")
def mark_sent(contract_id: int):
    _contract(contract_id)
    with refusals() as call:
        contracts.mark_sent(db.session, current_user, contract_id)
    if call.ok:
        flash(_("Marked as sent: the customer is asked to sign it."), "success")
    return redirect(url_for(".show", contract_id=contract_id))


@bp.post("/<int:contract_id>/signed")
def mark_signed(contract_id: int):
    contract = _contract(contract_id)
    form = ScanForm()
    if form.validate_on_submit():
        upload = request.files.get("scan")
        if upload is not None and not upload.filename:
            upload = None  # no new file: confirm the scan the customer uploaded, if there is one
        with refusals(form) as call:
            contracts.sign(
                db.session,
                current_user,
                contract,
                current_app.config["SETTINGS"].upload_dir,
                upload.filename if upload else "",
                upload.stream if upload else None,
                staff=True,
            )
        if call.ok:
            flash(_("Marked as signed: the signed scan is kept."), "success")
            return redirect(url_for(".show", contract_id=contract_id))
    return _page(contract, scan_form=form, status=422)


@bp.get("/<int:contract_id>/signed")
def scan(contract_id: int):
    contract = _contract(contract_id)
    if not contract.scan_path:
        abort(404)
    return scan_response(contract)
