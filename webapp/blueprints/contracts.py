"""Account → Contract: the company's details, the templates, applying, the draft PDF, the state
and what is pending, and the signed scan once support sent the contract. The owner's page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.billing import pdf_response
from webapp.blueprints.contract_forms import ContractForm, ScanForm
from webapp.blueprints.form_errors import refusals
from webapp.domain import contracts as rules
from webapp.extensions import db
from webapp.htmx import render
from webapp.i18n import region_choices
from webapp.services import contract_pdf, contracts

bp = Blueprint("contracts", __name__, url_prefix="/account/contract")


def _page(form: ContractForm | None = None, scan_form: ScanForm | None = None, status: int = 200):
    contract = contracts.contract_of(db.session, current_user.account_id)
    if form is None:
        form = ContractForm(data=contracts.prefill(db.session, current_user))
    form.country.choices = region_choices()
    return render(
        "contracts/index.html",
        form=form,
        scan_form=scan_form or ScanForm(),
        contract=contract,
        versions=contracts.versions(db.session, contract) if contract else [],
        history=contracts.history(db.session, contract) if contract else [],
        own_senders=contracts.may_use_own_senders(db.session, current_user.account),
        pending=rules.PENDING,
        action_labels=rules.ACTION_LABELS,
        status=status,
    )


@bp.route("/", methods=["GET", "POST"], strict_slashes=False)
def index():
    if request.method == "GET":
        return _page()
    form = ContractForm()
    form.country.choices = region_choices()
    if form.validate_on_submit():
        with refusals(form) as call:
            contract = contracts.apply(db.session, current_user, form.details())
        if call.ok:
            flash(
                _("Thank you: contract %(number)s is with support for review.", number=contract.printed_number),
                "success",
            )
            return redirect(url_for(".index"))
    return _page(form, status=422)


@bp.get("/template-<any(en, ro):language>.pdf")
def template_pdf(language: str):
    data = contract_pdf.template_pdf(language, current_app.config["SETTINGS"])
    return pdf_response(data, f"contract-template-{language}.pdf")


@bp.get("/draft.pdf")
def draft_pdf():
    contract = contracts.contract_of(db.session, current_user.account_id)
    if contract is None:
        abort(404)
    version = contracts.version_of(db.session, contract, contract.version)
    return pdf_response(
        contract_pdf.draft_pdf(contract, version, current_app.config["SETTINGS"]),
        contract_pdf.draft_filename(contract, version),
    )


@bp.post("/signed")
def upload_scan():
    contract = contracts.contract_of(db.session, current_user.account_id)
    if contract is None:
        abort(404)
    form = ScanForm()
    if form.validate_on_submit():
        upload = request.files.get("scan")
        with refusals(form) as call:
            contracts.sign(
                db.session,
                current_user,
                contract,
                current_app.config["SETTINGS"].upload_dir,
                upload.filename if upload else "",
                upload.stream if upload else None,
                staff=False,
            )
        if call.ok:
            flash(_("Thank you: your signed contract is kept. We check it and mark your contract signed."), "success")
            return redirect(url_for(".index"))
    return _page(scan_form=form, status=422)


@bp.get("/signed")
def scan():
    contract = contracts.contract_of(db.session, current_user.account_id)
    if contract is None or not contract.scan_path:
        abort(404)
    return scan_response(contract)


def scan_response(contract):
    """The signed scan as a download with the type of its checked suffix (never run as a page)."""
    response = send_file(
        contract.scan_path,
        mimetype=contracts.scan_type(contract),
        download_name=f"{contract.printed_number}-signed{Path(contract.scan_filename or '').suffix}",
        as_attachment=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
