"""Account → Billing details and Account → Invoices with their PDFs."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.form_errors import refusals
from webapp.blueprints.forms import BillingForm
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.htmx import render
from webapp.i18n import region_choices
from webapp.services import invoices as invoice_book
from webapp.services import payments
from webapp.services.pdf import render_pdf

bp = Blueprint("billing", __name__, url_prefix="/account")


def _form(profile=None) -> BillingForm:
    form = BillingForm(obj=profile) if profile is not None else BillingForm(country=current_user.account.default_region)
    form.country.choices = region_choices()
    return form


@bp.route("/billing", methods=["GET", "POST"])
def details():
    profile = payments.profile_of(db.session, current_user.account_id)
    form = _form(profile)
    if request.method == "POST" and current_user.role != Role.OWNER.value:
        abort(403)  # an accountant reads the details; the owner changes them
    if form.validate_on_submit():
        with refusals(form) as call:
            payments.save_profile(
                db.session,
                current_user,
                company_name=form.company_name.data or "",
                is_business=form.is_business.data,
                fiscal_code=form.fiscal_code.data or "",
                trade_register=form.trade_register.data or "",
                address=form.address.data or "",
                city=form.city.data or "",
                country=form.country.data or "",
                invoice_email=form.invoice_email.data or "",
            )
        if not call.ok:
            return render("account/billing.html", form=form, status=422)
        flash(_("Your billing details are saved."), "success")
        return redirect(url_for("billing.details"))
    return render("account/billing.html", form=form)


@bp.get("/invoices")
def invoices():
    return render("account/invoices.html", invoices=invoice_book.of_account(db.session, current_user))


@bp.get("/invoices/<int:invoice_id>.pdf")
def invoice_pdf(invoice_id: int):
    try:
        invoice = invoice_book.get(db.session, current_user, invoice_id)
    except LookupError:
        abort(404)
    return pdf_response(
        render_pdf("pdf/invoice.html", **invoice_book.document(db.session, invoice, current_app.config["SETTINGS"])),
        f"{invoice.printed_number}.pdf",
    )


def pdf_response(data: bytes, filename: str):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
