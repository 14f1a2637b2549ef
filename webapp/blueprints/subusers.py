"""Account → Subusers (the account's owner only): list, new, edit, disable/enable, reset the
password, transfer credit to and back from a subuser."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from webapp.blueprints.form_errors import refusals
from webapp.extensions import db
from webapp.htmx import render
from webapp.i18n import money, region_choices, timezone_choices
from webapp.services import subusers

bp = Blueprint("subusers", __name__, url_prefix="/account/subusers")


class SettingsForm(FlaskForm):
    email = StringField(_l("E-mail for notifications"), validators=[Length(max=254)])
    phone = StringField(_l("Phone (optional)"), validators=[Length(max=40)])
    billing_mode = RadioField(
        _l("How would you like this user to be billed?"),
        default="own",
        choices=[
            ("own", _l("Separately: its own balance, top-ups and invoices")),
            ("parent", _l("On credit I transfer to it from my balance")),
        ],
    )
    default_region = SelectField(_l("Country (numbers without a country code are from)"))
    timezone = SelectField(_l("Time zone"))
    receives_replies = BooleanField(_l("Receives replies"), default=True)
    daily_cap = StringField(_l("Daily spend cap, EUR (optional)"), validators=[Length(max=12)])
    monthly_cap = StringField(_l("Monthly spend cap, EUR (optional)"), validators=[Length(max=12)])


class NewSubuserForm(SettingsForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


class TransferForm(FlaskForm):
    direction = HiddenField(default="to")
    amount = StringField(_l("Amount (EUR)"), validators=[DataRequired(), Length(max=14)])


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("New first password (they choose their own when they sign in)"), validators=[DataRequired(), Length(max=128)]
    )


def _choices(form: SettingsForm) -> SettingsForm:
    form.default_region.choices = region_choices()
    form.timezone.choices = [(tz, tz.replace("_", " ")) for tz in timezone_choices()]
    return form


def _settings(form: SettingsForm) -> subusers.Settings:
    return subusers.Settings(
        email=form.email.data or "",
        phone=form.phone.data or "",
        billing_mode=form.billing_mode.data or "",
        default_region=form.default_region.data or "",
        timezone=form.timezone.data or "",
        receives_replies=bool(form.receives_replies.data),
        daily_cap=form.daily_cap.data or "",
        monthly_cap=form.monthly_cap.data or "",
    )


def _found(account_id: int) -> subusers.Subuser:
    try:
        return subusers.get_subuser(db.session, current_user, account_id)
    except LookupError:
        abort(404)


@bp.get("/")
def index():
    return render("subusers/index.html", rows=subusers.list_subusers(db.session, current_user))


@bp.route("/new", methods=["GET", "POST"])
def new():
    account = current_user.account
    form = _choices(NewSubuserForm(default_region=account.default_region, timezone=account.timezone))
    if form.validate_on_submit():
        with refusals(form) as call:
            made = subusers.create_subuser(
                db.session,
                current_user,
                username=form.username.data or "",
                password=form.password.data or "",
                settings=_settings(form),
            )
        if call.ok:
            flash(_("The subuser %(username)s can now sign in.", username=made.user.username), "success")
            return redirect(url_for("subusers.edit", account_id=made.account.id))
    return render("subusers/new.html", form=form, status=422 if form.errors else 200)


def _edit_page(found: subusers.Subuser, status: int = 200, **forms):
    account, user = found.account, found.user
    forms.setdefault(
        "form",
        _choices(
            SettingsForm(
                formdata=None,
                email=user.email,
                phone=user.phone,
                billing_mode=account.billing_mode,
                default_region=account.default_region,
                timezone=account.timezone,
                receives_replies=account.receives_replies,
                daily_cap=f"{account.daily_cap:.2f}" if account.daily_cap is not None else "",
                monthly_cap=f"{account.monthly_cap:.2f}" if account.monthly_cap is not None else "",
            )
        ),
    )
    forms.setdefault("give", TransferForm(formdata=None, direction="to"))
    forms.setdefault("take", TransferForm(formdata=None, direction="back"))
    forms.setdefault("password_form", PasswordForm(formdata=None))
    today, month = subusers.period_spend(db.session, account)
    return render(
        "subusers/edit.html",
        sub=found,
        parent=current_user.account,
        spent_today=today,
        spent_month=month,
        status=status,
        **forms,
    )


@bp.route("/<int:account_id>", methods=["GET", "POST"])
def edit(account_id: int):
    found = _found(account_id)
    form = _choices(SettingsForm())
    if not form.is_submitted():
        return _edit_page(found)
    if form.validate():
        with refusals(form) as call:
            subusers.update_subuser(db.session, current_user, account_id, _settings(form))
        if call.ok:
            flash(_("%(username)s is saved.", username=found.user.username), "success")
            return redirect(url_for("subusers.edit", account_id=account_id))
    return _edit_page(_found(account_id), status=422, form=form)


@bp.post("/<int:account_id>/transfer")
def transfer(account_id: int):
    found = _found(account_id)
    form = TransferForm()
    back = form.direction.data == "back"
    if form.validate():
        with refusals(form) as call:
            amount = subusers.transfer(db.session, current_user, account_id, form.amount.data or "", back=back)
        if call.ok:
            flash(
                _(
                    "%(amount)s moved from %(username)s to your balance.",
                    amount=money(amount, current_user.account.currency),
                    username=found.user.username,
                )
                if back
                else _(
                    "%(amount)s moved to %(username)s.",
                    amount=money(amount, current_user.account.currency),
                    username=found.user.username,
                ),
                "success",
            )
            return redirect(url_for("subusers.edit", account_id=account_id))
    return _edit_page(_found(account_id), status=422, **{"take" if back else "give": form})


@bp.post("/<int:account_id>/active")
def active(account_id: int):
    _found(account_id)
    found = subusers.set_active(db.session, current_user, account_id, active=request.form.get("active") == "1")
    flash(
        _("%(username)s is enabled.", username=found.user.username)
        if found.user.active
        else _("%(username)s is disabled.", username=found.user.username),
        "success",
    )
    return redirect(url_for("subusers.edit", account_id=account_id))


@bp.post("/<int:account_id>/password")
def password(account_id: int):
    found = _found(account_id)
    form = PasswordForm()
    if form.validate():
        with refusals(form) as call:
            subusers.reset_password(db.session, current_user, account_id, form.password.data or "")
        if call.ok:
            flash(
                _("%(username)s chooses a new password at the next sign-in.", username=found.user.username), "success"
            )
            return redirect(url_for("subusers.edit", account_id=account_id))
    return _edit_page(_found(account_id), status=422, password_form=form)
