"""Account: profile, language and time zone, change password."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_login import current_user, logout_user

from webapp.blueprints import impersonating
from webapp.blueprints.auth import change_password_page
from webapp.blueprints.form_errors import refusals
from webapp.blueprints.forms import AccountantForm, PreferencesForm, QuietHoursForm
from webapp.domain import delivery_windows as windows
from webapp.domain.passwords import password_expires_at
from webapp.domain.roles import Role
from webapp.domain.user_agents import describe
from webapp.extensions import db
from webapp.htmx import render
from webapp.i18n import LANGUAGE_NAMES, region_choices, timezone_choices
from webapp.services import accounts, delivery_windows, login_sessions

bp = Blueprint("account", __name__, url_prefix="/account")


def _preferences_form() -> PreferencesForm:
    account = current_user.account
    form = PreferencesForm(
        language=current_user.language, timezone=account.timezone, default_region=account.default_region
    )
    form.language.choices = [(c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["SETTINGS"].languages]
    form.timezone.choices = [(tz, tz.replace("_", " ")) for tz in timezone_choices()]
    form.default_region.choices = region_choices()
    return form


def _page(**context):
    expires = (
        password_expires_at(current_user.password_changed_at, current_app.config["SETTINGS"].password_max_age_days)
        if current_user.password_changed_at
        else None
    )
    context.setdefault("prefs", _preferences_form())
    context.setdefault("quiet", QuietHoursForm(quiet_hours=(current_user.account.quiet_hours or "").replace("-", "–")))
    context.setdefault("inherited_quiet_hours", delivery_windows.quiet_hours(current_user.account).replace("-", "–"))
    sign_ins = (
        []
        if impersonating()
        else [
            {"row": row, "device": describe(row.user_agent), "current": login_sessions.is_current(row, current_user)}
            for row in login_sessions.active(db.session, current_user)
        ]
    )
    return render(
        "account/index.html", account=current_user.account, password_expires=expires, sign_ins=sign_ins, **context
    )


@bp.get("/")
def index():
    return _page()


@bp.post("/preferences")
def preferences():
    form = _preferences_form()
    if not form.validate_on_submit():
        return _page(prefs=form)
    accounts.update_preferences(
        db.session,
        current_user,
        language=form.language.data,
        timezone=form.timezone.data,
        default_region=form.default_region.data,
    )
    refresh()  # the confirmation is said in the language just chosen
    flash(_("Your preferences are saved."), "success")
    return redirect(url_for("account.index"))


@bp.post("/quiet-hours")
def quiet_hours():
    """The account's default delivery window for campaigns (empty: none; a subuser's account
    then has its parent's)."""
    form = QuietHoursForm()
    if not form.validate_on_submit():
        return _page(quiet=form)
    try:
        delivery_windows.set_quiet_hours(db.session, current_user.account, form.quiet_hours.data or "")
    except windows.InvalidWindow as exc:
        db.session.rollback()
        form.quiet_hours.errors = [_(exc.message)]
        return _page(quiet=form), 422
    db.session.commit()
    flash(_("Your quiet hours are saved."), "success")
    return redirect(url_for("account.index"))


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    return change_password_page("account/password.html", "account.index")


@bp.post("/sign-out-everywhere")
def sign_out_everywhere():
    """End every sign-in of this user, this browser's included (a lost phone, a shared computer)."""
    ended = login_sessions.end_all(db.session, current_user.id, login_sessions.EVERYWHERE)
    db.session.commit()  # before the cookies go: a failed commit must not sign out this browser only
    logout_user()
    flash(
        ngettext(
            "You are signed out of %(num)d browser, this one included.",
            "You are signed out of %(num)d browsers, this one included.",
            ended,
        ),
        "success",
    )
    return redirect(url_for("auth.login"))


@bp.get("/api-keys")
def api_keys():
    return render("account/api_keys.html", keys=accounts.list_api_keys(db.session, current_user), new_token=None)


@bp.post("/api-keys")
def create_api_key():
    label = (request.form.get("label") or "").strip()[:100]
    new = accounts.create_api_key(db.session, current_user, label=label)
    # Shown once, on this response only; only a hash is kept.
    return render("account/api_keys.html", keys=accounts.list_api_keys(db.session, current_user), new_token=new.token)


@bp.post("/api-keys/<int:key_id>/revoke")
def revoke_api_key(key_id: int):
    if not accounts.revoke_api_key(db.session, current_user, key_id):
        abort(404)
    flash(_("The API key is revoked. Requests with it are refused from now on."), "success")
    return redirect(url_for("account.api_keys"))


@bp.route("/users", methods=["GET", "POST"])
def users():
    """The account's users; the owner adds accountants (who see only the billing pages)."""
    if current_user.role != Role.OWNER.value:
        abort(403)
    form = AccountantForm()
    if form.validate_on_submit():
        with refusals(form) as call:
            accounts.add_accountant(
                db.session,
                current_user,
                username=form.username.data or "",
                email=form.email.data or "",
                full_name=form.full_name.data or "",
                password=form.password.data or "",
            )
        if call.ok:
            flash(_("%(username)s can now sign in and see the billing pages.", username=form.username.data), "success")
            return redirect(url_for("account.users"))
    status = 422 if form.errors else 200
    return render("account/users.html", users=accounts.users_of(db.session, current_user), form=form, status=status)


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int):
    if current_user.role != Role.OWNER.value:
        abort(403)
    try:
        user = accounts.set_user_active(db.session, current_user, user_id, request.form.get("active") == "1")
    except LookupError:
        abort(404)
    flash(
        _("%(username)s is enabled.", username=user.username)
        if user.active
        else _("%(username)s is disabled.", username=user.username),
        "success",
    )
    return redirect(url_for("account.users"))
