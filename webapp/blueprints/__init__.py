"""Blueprints and the guards every request passes: login required by default, expired passwords."""
from __future__ import annotations

from flask import Flask, abort, current_app, request, url_for
from flask_login import current_user

from webapp.domain.roles import Role
from webapp.extensions import db, login_manager
from webapp.htmx import redirect_to

# Endpoints reachable without signing in. Everything else requires a login.
PUBLIC_ENDPOINTS = frozenset(
    {"static", "auth.login", "auth.forgot_password", "auth.reset_password", "health.healthz", "auth.set_language",
     "payment_pages.webhook", "payment_pages.sandbox_checkout"}
)
# An accountant sees only the billing pages (and signs out, changes its password and language).
ACCOUNTANT_BLUEPRINTS = frozenset({"billing", "payment_pages", "statements", "notifications"})
ACCOUNTANT_ENDPOINTS = frozenset({"auth.logout", "auth.password_expired", "account.index", "account.preferences",
                                  "account.change_password"})
# What a user whose password expired may still do.
EXPIRED_PASSWORD_ENDPOINTS = PUBLIC_ENDPOINTS | {"auth.password_expired", "auth.logout"}


def register_blueprints(app: Flask) -> None:
    from webapp.blueprints import (account, admin, api, auth, billing, campaigns, contacts, errors, health, imports,
                                   main, notifications, payment_pages, reports, send, sender_ids, staff, staff_tasks,
                                   statements, subusers, support, templates)

    for module in (auth, main, account, billing, payment_pages, notifications, statements, subusers, sender_ids,
                   campaigns, contacts, imports, send, templates, reports, health, api, staff, support, staff_tasks,
                   admin):
        app.register_blueprint(module.bp)
    errors.register(app)

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)
    app.before_request(_guard)


def _load_user(user_id: str):
    from webapp.models import User

    return db.session.get(User, int(user_id))


def _guard():
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api":
        return None  # the API authenticates every request by its key
    if not current_user.is_authenticated:
        return redirect_to(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    from webapp.services.accounts import password_expired

    settings = current_app.config["SETTINGS"]
    if endpoint not in EXPIRED_PASSWORD_ENDPOINTS and password_expired(current_user, settings.password_max_age_days):
        return redirect_to(url_for("auth.password_expired"))
    if current_user.role == Role.ACCOUNTANT.value and not accountant_may(endpoint, request.blueprint):
        if endpoint == "main.dashboard":
            return redirect_to(url_for("billing.invoices"))
        abort(403)
    return None


def accountant_may(endpoint: str, blueprint: str | None) -> bool:
    return blueprint in ACCOUNTANT_BLUEPRINTS or endpoint in ACCOUNTANT_ENDPOINTS
