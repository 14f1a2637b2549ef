"""The support console: search, an account's overview, "log in as" (impersonation) and the audit log.
Staff only; while impersonating, only "return" is open here (the staff member is acting as a customer)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.blueprints import IMPERSONATION_KEY, impersonating, real_user
from webapp.blueprints.form_errors import refusals
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.services import audit, contracts, impersonation, support_search

bp = Blueprint("support", __name__, url_prefix="/staff")


class ImpersonateForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you need to sign in as this user?"),
        validators=[DataRequired(), Length(min=impersonation.REASON_MIN, max=impersonation.REASON_MAX)],
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    staff = SelectField(_l("Staff member"), coerce=int, validators=[Optional()])
    account = IntegerField(_l("Account id"), validators=[Optional()])
    action = StringField(_l("Action starts with"), validators=[Optional(), Length(max=60)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


@bp.get("/")
def index():
    query = request.args.get("q", "")
    region = real_user().account.default_region or "RO"
    results = support_search.search(db.session, query, default_region=region)
    return render(
        "support/index.html",
        "support/_results.html",
        results=results,
        query=query,
        contracts_waiting=contracts.waiting_count(db.session),
    )


@bp.get("/accounts/<int:account_id>")
def account(account_id: int):
    view = support_search.overview(db.session, account_id)
    if view is None:
        abort(404)
    return render("support/account.html", view=view, account=view.account)


@bp.route("/users/<int:user_id>/impersonate", methods=["GET", "POST"])
def impersonate(user_id: int):
    target = impersonation.target(db.session, user_id) or abort(404)
    form = ImpersonateForm()
    problem = impersonation.refusal(real_user(), target)
    if problem is None and form.validate_on_submit():
        with refusals(form) as call:
            row = impersonation.start(
                db.session,
                real_user(),
                target.id,
                form.reason.data or "",
                ip=request.remote_addr or "",
                limit=_time_limit(),
            )
        if call.ok:
            session[IMPERSONATION_KEY] = row.id
            return redirect_to(url_for("main.dashboard"))
    status = 403 if problem else (422 if form.errors else 200)
    return render(
        "support/impersonate.html",
        form=form,
        target=target,
        problem=problem,
        minutes=current_app.config["SETTINGS"].impersonation_minutes,
        status=status,
    )


def _time_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SETTINGS"].impersonation_minutes)


@bp.post("/return")
def return_():
    row = impersonating()
    session.pop(IMPERSONATION_KEY, None)
    if row is None:
        return redirect_to(url_for(".index"))
    account_id = row.target_user.account_id
    impersonation.end(db.session, row, how="returned")
    flash(_("You are back as yourself."), "success")
    return redirect_to(url_for(".account", account_id=account_id))


@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    form.staff.choices = [(0, _("Anyone"))] + [(u.id, u.username) for u in audit.staff_users(db.session)]
    form.validate()
    zone = ZoneInfo(real_user().account.timezone or current_app.config["SETTINGS"].default_timezone)

    def start_of(day):
        return datetime.combine(day, time.min, zone) if day else None

    flt = audit.AuditFilter(
        staff_user_id=form.staff.data or None if not form.staff.errors else None,
        account_id=form.account.data if not form.account.errors else None,
        action_prefix=(form.action.data or "").strip() if not form.action.errors else "",
        date_from=start_of(form.date_from.data) if not form.date_from.errors else None,
        date_to=start_of(form.date_to.data + timedelta(days=1))
        if form.date_to.data and not form.date_to.errors
        else None,
    )
    rows, next_before = audit.events(db.session, flt, before_id=request.args.get("before", type=int))
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    more_url = url_for(".audit_log", before=next_before, **args) if next_before else None
    return render(
        "support/audit.html",
        form=form,
        rows=rows,
        more_url=more_url,
        first_url=url_for(".audit_log", **args) if request.args.get("before") else None,
    )
