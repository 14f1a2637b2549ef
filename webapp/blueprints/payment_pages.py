"""Buying credit: Account → Buy credit, the processors' webhooks, and the sandbox processor's
own hosted card page (what a real processor shows on its site)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints import impersonating
from webapp.blueprints.billing import pdf_response
from webapp.blueprints.form_errors import refusals
from webapp.blueprints.forms import BuyCreditForm, ProofForm
from webapp.domain import billing
from webapp.domain.roles import Role
from webapp.extensions import csrf, db
from webapp.htmx import redirect_to, render
from webapp.services import invoices as invoice_book
from webapp.services import payment_review, payments, uploads
from webapp.services.pdf import render_pdf
from webapp.services.processors import InvalidWebhook, ProcessorError, processor_for
from webapp.services.processors.sandbox import SIGNATURE_HEADER, SandboxProcessor, luhn_ok

bp = Blueprint("payment_pages", __name__)


def _settings():
    return current_app.config["SETTINGS"]


def _buy_page(form: BuyCreditForm, offer=None, status: int = 200):
    return render(
        "billing/buy.html",
        "billing/_buy.html",
        form=form,
        offer=offer,
        status=status,
        has_profile=payments.profile_of(db.session, current_user.account_id) is not None,
        recent=payments.of_account(db.session, current_user, limit=10),
    )


def _quote(form: BuyCreditForm):
    return payments.quote(
        db.session, current_user, form.method.data or "", form.amount.data or "", Decimal(_settings().vat_rate)
    )


@bp.get("/account/buy")
def buy():
    return _buy_page(BuyCreditForm())


@bp.post("/account/buy/quote")
def buy_quote():
    """Next: the amount, its VAT and the total, and the "Buy now for X" button."""
    form = BuyCreditForm()
    if not form.validate_on_submit():
        return _buy_page(form, status=422)
    with refusals(form) as call:
        offer = _quote(form)
    if not call.ok:
        return _buy_page(form, status=422)
    return _buy_page(form, offer)


@bp.post("/account/buy")
def buy_now():
    """Buy now: the payment is made and the customer goes to the processor's page (card) or to
    the payment's page with the bank details and the proforma (transfer)."""
    form = BuyCreditForm()
    settings = _settings()
    if not form.validate_on_submit():
        return _buy_page(form, status=422)
    with refusals(form) as call:
        payment = payments.start(
            db.session,
            current_user,
            form.method.data or "",
            form.amount.data or "",
            Decimal(settings.vat_rate),
            processor=settings.payment_processor,
        )
    if not call.ok:
        return _buy_page(form, status=422)
    if payment.method == billing.TRANSFER:
        return redirect_to(url_for(".payment", reference=payment.reference))
    back = _public_url(url_for(".payment", reference=payment.reference))
    # Only the owner keeps a card (automatic top-ups charge the account's latest kept card), and
    # never support signed in as the owner.
    keep_card = bool(form.save_card.data) and current_user.role == Role.OWNER.value and not impersonating()
    try:
        checkout = processor_for(settings).start_checkout(
            payment, success_url=back, cancel_url=back + "?cancelled=1", save_card=keep_card
        )
    except ProcessorError:
        db.session.rollback()
        flash(
            _("The card processor cannot be reached just now; nothing was charged. Please try again in a few minutes."),
            "error",
        )
        return _buy_page(form, status=503)
    db.session.commit()  # the checkout exists at the processor: its payment row must too
    return redirect_to(checkout.url)


def _public_url(path: str) -> str:
    """Where the processor sends the customer back: PUBLIC_URL when set, else this request's host."""
    base = _settings().public_url.rstrip("/")
    return (base or request.host_url.rstrip("/")) + path


@bp.get("/account/payments/<reference>")
def payment(reference: str):
    """Where the customer lands after paying (or cancelling): the payment's state, polling while
    the processor has not said yet; a transfer's bank details, proforma and proof upload."""
    found = _payment_or_404(reference)
    if (
        request.args.get("cancelled")
        and found.status == payments.PENDING
        and found.method == billing.CARD
        and not found.automatic
    ):
        payments.decline(db.session, found.id, payments.CANCELLED_AT_PAGE)
        db.session.commit()  # a reading page that records the cancel (GET is never committed by itself)
        db.session.refresh(found)
    return render(
        "billing/payment.html",
        "billing/_payment_status.html",
        payment=found,
        proof_form=ProofForm(),
        invoice=invoice_book.of_payment(db.session, found),
        seller=invoice_book.seller(_settings()),
    )


@bp.post("/account/payments/<reference>/proof")
def upload_proof(reference: str):
    found = _payment_or_404(reference)
    form = ProofForm()
    if form.validate_on_submit():
        upload = request.files.get("proof")
        with refusals() as call:
            payment_review.check_proof_wanted(found)
        if not call.ok:
            return redirect(url_for(".payment", reference=reference))
        with refusals(form) as call:
            path = uploads.keep_proof(
                _settings().upload_dir,
                current_user.account_id,
                upload.filename if upload else "",
                upload.stream if upload else None,
            )
            replaced = payment_review.attach_proof(
                db.session, current_user, found, uploads.proof_name(upload.filename), str(path)
            )
        if not call.ok:
            return render(
                "billing/payment.html",
                payment=found,
                proof_form=form,
                invoice=None,
                seller=invoice_book.seller(_settings()),
                status=422,
            )
        db.session.commit()  # before the replaced proof's file is deleted
        if replaced:
            Path(replaced).unlink(missing_ok=True)
        flash(
            _("Thank you: your proof of payment is with our team. The credit follows once they confirm it."), "success"
        )
    return redirect(url_for(".payment", reference=reference))


@bp.get("/account/payments/<reference>/proforma.pdf")
def proforma_pdf(reference: str):
    found = _payment_or_404(reference)
    if found.method != billing.TRANSFER:
        abort(404)
    doc = invoice_book.document(db.session, invoice_book.proforma(db.session, found), _settings())
    return pdf_response(render_pdf("pdf/invoice.html", **doc), f"proforma-{found.reference}.pdf")


def _payment_or_404(reference: str):
    try:
        return payments.get(db.session, current_user, reference)
    except LookupError:
        abort(404)


@bp.post("/billing/webhooks/<processor>")
@csrf.exempt
def webhook(processor: str):
    """A processor tells us what happened to a payment. Verified by its signature; applied once
    however many times it is delivered (each delivery answers 200 so the processor stops)."""
    if processor != _settings().payment_processor:
        abort(404)  # only the configured processor has a webhook (the sandbox is off with Stripe)
    try:
        event = processor_for(_settings(), processor).parse_webhook(request.get_data(), request.headers)
    except InvalidWebhook as exc:
        return {"error": str(exc)}, 400
    except ProcessorError as exc:  # the processor could not be asked for details; it delivers again later
        return {"error": str(exc)}, 503
    if event is None:
        return {"ignored": True}
    try:
        payment = payments.apply_event(db.session, event, series=_settings().invoice_series, processor=processor)
    except payments.ForeignEvent:
        db.session.rollback()
        return {"error": "not a card payment of this processor"}, 409
    except LookupError:
        db.session.rollback()
        return {"error": "unknown payment"}, 404
    return {"payment": payment.reference, "status": payment.status}


@bp.route("/sandbox-processor/pay/<token>", methods=["GET", "POST"])
@csrf.exempt
def sandbox_checkout(token: str):
    """The sandbox processor's hosted page: card number, Pay or Cancel. Paying delivers the
    signed webhook (as the processor's servers would) and sends the browser back to the shop."""
    if _settings().payment_processor != "sandbox":
        abort(404)
    sandbox = SandboxProcessor(_settings())
    try:
        checkout = sandbox.open_checkout(token)
    except LookupError:
        abort(404)
    payment = payments.by_reference(db.session, checkout["ref"])
    if payment is None:
        abort(404)
    error = None
    if request.method == "POST":
        if request.form.get("action") == "cancel":
            return redirect(checkout["cancel"])
        number = "".join(ch for ch in request.form.get("card_number", "") if ch.isdigit())
        if luhn_ok(number):
            body = sandbox.pay(checkout, number)
            _deliver(body, {SIGNATURE_HEADER: sandbox.signature(body)})
            return redirect(checkout["ok"])
        error = "This card number is not valid."
    return render_template(
        "billing/sandbox_checkout.html", payment=payment, checkout=checkout, error=error, token=token
    ), 422 if error else 200


def _deliver(body: bytes, headers: dict) -> None:
    """The sandbox's webhook delivery: the same endpoint a real processor calls, in process."""
    with current_app.test_client() as client:
        response = client.post("/billing/webhooks/sandbox", data=body, headers=headers, content_type="application/json")
    if response.status_code != 200:
        raise RuntimeError(f"sandbox webhook answered {response.status_code}: {response.get_data(as_text=True)}")
