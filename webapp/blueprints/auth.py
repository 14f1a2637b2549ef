"""Sign in, sign out, the expired-password page and password reset by e-mail."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from webapp.blueprints import IMPERSONATION_KEY
from webapp.blueprints.form_errors import refusals
from webapp.blueprints.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, ResetPasswordForm
from webapp.extensions import db
from webapp.htmx import render
from webapp.redis_client import get_redis
from webapp.services import accounts, login_sessions, password_reset
from webapp.services.login_throttle import LoginThrottle
from webapp.services.mail import send_mail

bp = Blueprint("auth", __name__)


def _settings():
    return current_app.config["SETTINGS"]


def _throttle() -> LoginThrottle:
    s = _settings()
    return LoginThrottle(
        get_redis(),
        max_per_user=s.login_max_failures_per_user,
        max_per_ip=s.login_max_failures_per_ip,
        window=s.login_failure_window_seconds,
    )


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return url_for("main.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form, status = LoginForm(), 200
    if form.validate_on_submit():
        throttle, ip = _throttle(), request.remote_addr or "unknown"
        state = throttle.check(form.username.data, ip)
        if state.blocked:
            minutes = max(1, round(state.retry_after / 60))
            flash(_("Too many failed sign-ins. Try again in %(minutes)d minutes.", minutes=minutes), "error")
            return render("auth/login.html", form=form, status=429)
        user = accounts.authenticate(db.session, form.username.data, form.password.data)
        if user is None:
            throttle.record_failure(form.username.data, ip)
            db.session.rollback()
            flash(_("Wrong username or password."), "error")
            status = 401
        else:
            throttle.record_success(form.username.data, ip)
            s = _settings()
            remember = bool(form.remember.data)
            login_sessions.open_for(
                db.session,
                user,
                remember=remember,
                ip=ip,
                user_agent=request.user_agent.string,
                lifetime=timedelta(days=s.remember_me_days) if remember else timedelta(hours=s.session_hours),
            )
            session.permanent = True
            session.pop(IMPERSONATION_KEY, None)  # a new sign-in never resumes an earlier one's impersonation
            login_user(user, remember=remember)
            return redirect(_safe_next(request.args.get("next")))
    return render("auth/login.html", form=form, status=status)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:  # a copy of this browser's cookies opens nothing any more
        login_sessions.end_current(db.session, current_user)
        db.session.commit()  # before the cookies go: a failed commit must not sign out this browser only
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


def change_password_page(template: str, done_endpoint: str):
    """The change-password form: shared by the expired-password page and Account."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with refusals(form) as call:
            accounts.change_password(db.session, current_user, form.current_password.data, form.new_password.data)
        if call.ok:
            flash(_("Your password is changed."), "success")
            return redirect(url_for(done_endpoint))
    return render(template, form=form, status=422 if form.errors else 200)


@bp.route("/password/expired", methods=["GET", "POST"])
def password_expired():
    return change_password_page("auth/password_expired.html", "main.dashboard")


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = password_reset.find_for_reset(db.session, form.login.data)
        if user is not None:
            token = password_reset.make_token(_settings().secret_key, user)
            link = url_for("auth.reset_password", token=token, _external=True)
            send_mail(
                _settings(),
                user.email,
                _("Reset your SMS portal password"),
                _(
                    "Open this link within an hour to choose a new password:\n\n%(link)s\n\n"
                    "If you did not ask for it, ignore this e-mail.",
                    link=link,
                ),
            )
        flash(_("If an account matches, we have sent it a link to choose a new password."), "info")
        return redirect(url_for("auth.login"))
    return render("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    s = _settings()
    user = password_reset.user_for_token(db.session, s.secret_key, token, s.password_reset_max_age_seconds)
    if user is None:
        flash(_("This link is expired or was already used. Ask for a new one."), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with refusals(form) as call:
            accounts.set_password(db.session, user, form.new_password.data)
        if call.ok:
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render("auth/reset_password.html", form=form, token=token)


@bp.post("/language")
def set_language():
    lang = request.form.get("language", "")
    if lang in _settings().languages:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")))
