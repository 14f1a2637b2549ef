"""Account → Notifications (the low-balance SMS and e-mail) and Account → Automatic top-up."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from webapp.blueprints.form_errors import refusals
from webapp.domain import billing
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.htmx import render
from webapp.services import balance_watch, saved_cards

bp = Blueprint("notifications", __name__, url_prefix="/account")

# Who may change these settings (an accountant only reads them).
EDITORS = frozenset({Role.OWNER, Role.SUBUSER, Role.ADMIN, Role.SUPPORT})


class LowBalanceForm(FlaskForm):
    enabled = BooleanField(_l("Tell me when my balance is low"))
    threshold = StringField(_l("When the balance falls below (EUR)"), validators=[Length(max=20)])
    phone = StringField(_l("Phone number for the SMS"), validators=[Length(max=40)])


class AutoTopUpForm(FlaskForm):
    enabled = BooleanField(_l("Top up automatically with my saved card"))
    threshold = StringField(_l("When the balance falls below (EUR)"), validators=[Length(max=20)])
    amount = StringField(_l("Buy this much credit each time (EUR, before VAT)"), validators=[Length(max=20)])


def _euro(value: Decimal | None) -> str:
    return "" if value is None else f"{value.quantize(Decimal('0.01'))}"


def _may_edit() -> bool:
    return current_user.role_enum in EDITORS


def _buy_url() -> str:
    return url_for("payment_pages.buy")


@bp.route("/notifications", methods=["GET", "POST"])
def low_balance():
    alert = balance_watch.alert_of(db.session, current_user.account_id)
    form = LowBalanceForm(
        data={
            "enabled": bool(alert and alert.enabled),
            "threshold": _euro(alert.threshold) if alert and alert.threshold else "",
            "phone": alert.phone if alert else "",
        }
    )
    if request.method == "POST":
        if not _may_edit():
            abort(403)
        if form.validate_on_submit():
            with refusals(form) as call:
                balance_watch.save_alert(
                    db.session,
                    current_user,
                    enabled=form.enabled.data,
                    threshold=form.threshold.data or "",
                    phone_number=form.phone.data or "",
                )
            if call.ok:
                flash(
                    _("The low-balance notification is on.")
                    if form.enabled.data
                    else _("The low-balance notification is off."),
                    "success",
                )
                return redirect(url_for("notifications.low_balance"))
    return render(
        "account/notifications.html",
        "account/_low_balance_form.html",
        form=form,
        alert=alert,
        account=current_user.account,
        may_edit=_may_edit(),
        status=422 if form.errors else 200,
    )


@bp.route("/auto-top-up", methods=["GET", "POST"])
def auto_top_up():
    account_id = current_user.account_id
    row = balance_watch.auto_top_up_of(db.session, account_id)
    form = AutoTopUpForm(
        data={
            "enabled": bool(row and row.enabled),
            "threshold": _euro(row.threshold) if row else "",
            "amount": _euro(row.amount) if row and row.amount else "",
        }
    )
    if request.method == "POST":
        if not _may_edit():
            abort(403)
        if form.validate_on_submit():
            with refusals(form) as call:
                balance_watch.save_auto_top_up(
                    db.session,
                    current_user,
                    enabled=form.enabled.data,
                    amount=form.amount.data or "",
                    threshold=form.threshold.data or "",
                )
            if call.ok:
                flash(_("Automatic top-up is on.") if form.enabled.data else _("Automatic top-up is off."), "success")
                return redirect(url_for("notifications.auto_top_up"))
    return render(
        "account/auto_topup.html",
        "account/_auto_topup_form.html",
        form=form,
        row=row,
        account=current_user.account,
        card=balance_watch.saved_card(db.session, account_id),
        auto_topup_failure=balance_watch.failure_notice(db.session, account_id),
        history=balance_watch.automatic_payments(db.session, account_id),
        buy_url=_buy_url(),
        minimum=billing.MINIMUMS[billing.CARD],
        may_edit=_may_edit(),
        status=422 if form.errors else 200,
    )


@bp.post("/cards/<int:card_id>/forget")
def forget_card(card_id: int):
    """The owner forgets the kept card: automatic top-ups stop until another card is kept."""
    if not _may_edit():
        abort(403)
    if not saved_cards.forget_card(db.session, current_user, card_id):
        abort(404)
    flash(_("The card is forgotten; automatic top-ups wait for another card."), "success")
    return redirect(url_for("notifications.auto_top_up"))
