"""Account: profile, language and time zone, change password."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user

from webapp.blueprints.auth import change_password_page
from webapp.blueprints.forms import PreferencesForm
from webapp.domain.passwords import password_expires_at
from webapp.extensions import db
from webapp.htmx import render
from webapp.i18n import LANGUAGE_NAMES, region_choices, timezone_choices
from webapp.services import accounts

bp = Blueprint("account", __name__, url_prefix="/account")


def _preferences_form() -> PreferencesForm:
    account = current_user.account
    form = PreferencesForm(language=current_user.language, timezone=account.timezone, default_region=account.default_region)
    form.language.choices = [(c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["SETTINGS"].languages]
    form.timezone.choices = [(tz, tz.replace("_", " ")) for tz in timezone_choices()]
    form.default_region.choices = region_choices()
    return form


def _page(**context):
    expires = password_expires_at(current_user.password_changed_at, current_app.config["SETTINGS"].password_max_age_days) if current_user.password_changed_at else None
    context.setdefault("prefs", _preferences_form())
    return render("account/index.html", account=current_user.account, password_expires=expires, **context)


@bp.get("/")
def index():
    return _page()


@bp.post("/preferences")
def preferences():
    form = _preferences_form()
    if not form.validate_on_submit():
        return _page(prefs=form)
    accounts.update_preferences(db.session, current_user, language=form.language.data,
                                timezone=form.timezone.data, default_region=form.default_region.data)
    db.session.commit()
    refresh()  # the confirmation is said in the language just chosen
    flash(_("Your preferences are saved."), "success")
    return redirect(url_for("account.index"))


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    return change_password_page("account/password.html", "account.index")


@bp.get("/api-keys")
def api_keys():
    return render("account/api_keys.html", keys=accounts.list_api_keys(db.session, current_user), new_token=None)


@bp.post("/api-keys")
def create_api_key():
    label = (request.form.get("label") or "").strip()[:100]
    new = accounts.create_api_key(db.session, current_user, label=label)
    db.session.commit()
    # Shown once, on this response only; only a hash is kept.
    return render("account/api_keys.html", keys=accounts.list_api_keys(db.session, current_user), new_token=new.token)


@bp.post("/api-keys/<int:key_id>/revoke")
def revoke_api_key(key_id: int):
    if not accounts.revoke_api_key(db.session, current_user, key_id):
        abort(404)
    db.session.commit()
    flash(_("The API key is revoked. Requests with it are refused from now on."), "success")
    return redirect(url_for("account.api_keys"))
