"""Blueprints and the guards every request passes: login required by default, expired passwords,
support's impersonation (who the request acts as, what it may not touch, and its audit trail)."""

from __future__ import annotations

import logging
from importlib import import_module

from flask import Flask, abort, current_app, flash, g, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import input_guard, security_headers, transactions
from webapp.domain import access
from webapp.extensions import db, login_manager
from webapp.htmx import redirect_to

# Endpoints reachable without signing in. Everything else requires a login.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "auth.login",
        "auth.forgot_password",
        "auth.reset_password",
        "health.healthz",
        "health.favicon",
        "auth.set_language",
        "payment_pages.webhook",
        "payment_pages.sandbox_checkout",
        "inbound_hooks.receive",  # a provider posting a reply: the route's signed URL, no login
        "inbound_hooks.report",  # a provider pushing a delivery report: the same, per route
        "short_links.follow",  # a short link in a sent SMS (redirect, or the #stop page)
        "short_links.stop",  # the #stop page's confirmation
    }
)
# What a user whose password expired may still do.
EXPIRED_PASSWORD_ENDPOINTS = PUBLIC_ENDPOINTS | {"auth.password_expired", "auth.logout"}
# What support may not do while signed in as a customer (403): passwords, API keys, payment methods,
# the account's users. The one list; `impersonation_forbids()` adds keeping a card when buying.
IMPERSONATION_FORBIDDEN_ENDPOINTS = frozenset(
    {
        "account.change_password",
        "auth.password_expired",
        "account.api_keys",
        "account.create_api_key",
        "account.revoke_api_key",
        "notifications.forget_card",
        "account.users",
        "account.user_active",
        "subusers.password",
        "account.sign_out_everywhere",
        # a webhook is a standing channel to the account's replies, and shows its secret
        "webhooks.index",
        "webhooks.create",
        "webhooks.log",
        "webhooks.test",
        "webhooks.switch",
        "webhooks.remove",
        "webhooks.send_again",
        # an SMPP credential sends as the account, and its password is shown
        "smpp_access.index",
        "smpp_access.create",
        "smpp_access.update",
        "smpp_access.switch",
        "smpp_access.password",
        "smpp_access.remove",
        "smpp_access.sessions",  # the page again, for a browser without htmx
    }
)

IMPERSONATION_KEY = "impersonation_id"  # in the Flask session, next to the staff member's own login
log = logging.getLogger("smsportal.audit")


# The blueprint modules (each has a `bp`), in the order they are registered.
BLUEPRINTS = (
    "auth",
    "main",
    "account",
    "billing",
    "payment_pages",
    "notifications",
    "statements",
    "subusers",
    "sender_ids",
    "contracts",
    "campaigns",
    "contacts",
    "imports",
    "send",
    "templates",
    "inbox",
    "webhooks",
    "smpp_access",
    "inbound_hooks",
    "reports",
    "all_reports",
    "health",
    "short_links",
    "api",
    "staff",
    "support",
    "staff_tasks",
    "staff_contracts",
    "staff_receipts",
    "admin",
)


def register_blueprints(app: Flask) -> None:
    from webapp.blueprints import errors

    for name in BLUEPRINTS:
        app.register_blueprint(import_module(f"webapp.blueprints.{name}").bp)
    errors.register(app)
    _set_up_login()
    _register_request_hooks(app)


def _set_up_login() -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)


def _register_request_hooks(app: Flask) -> None:
    input_guard.register(app)  # before the guard and every view: no NUL reaches the database
    app.before_request(_guard)
    app.after_request(_audit_impersonated)
    security_headers.register(app)
    transactions.register(app)  # after the audit hook, so run before it: the audit sees the work committed


def _load_user(login_id: str):
    """The user of a session or remember-me cookie, while its sign-in lasts (ended, expired: nobody)."""
    from webapp.services import login_sessions

    return login_sessions.user_for(db.session, login_id)


def _guard():
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api":
        return None  # the API authenticates every request by its key
    if not current_user.is_authenticated:
        return redirect_to(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    if IMPERSONATION_KEY in session:
        stop = _impersonate()
        if stop is not None:
            return stop
    if impersonating():
        if endpoint == "support.return_":
            return None
        if impersonation_forbids(endpoint):
            return _forbidden_while_impersonating()
    else:
        from webapp.services.accounts import password_expired

        settings = current_app.config["SETTINGS"]
        if endpoint not in EXPIRED_PASSWORD_ENDPOINTS and password_expired(
            current_user, settings.password_max_age_days
        ):
            return redirect_to(url_for("auth.password_expired"))
    account = current_user.account
    if not access.may(
        current_user.role_enum,
        request.blueprint,
        endpoint,
        request.method,
        on_parent_credit=account.billing_mode == "parent" and account.parent_id is not None,
    ):
        if endpoint == "main.dashboard":  # an accountant's home is the invoices
            return redirect_to(url_for("billing.invoices"))
        if impersonating() and request.blueprint in access.BLUEPRINT_ROLES:
            return _staff_pages_wait_for_return()
        abort(403)
    return None


# --- Support's impersonation ----------------------------------------------------------------------
# The staff member stays signed in as themself (Flask-Login's session keeps their `_user_id`); the
# session also holds IMPERSONATION_KEY. Flask-Login 0.6.3's `current_user` is a LocalProxy over
# `_get_user()`, which loads the session's user once per request into `g._login_user` and returns
# it from there. After that load, `_impersonate()` replaces `g._login_user` with the target: for the
# rest of this request every view, template and service sees the customer, nothing is written to
# the session, and the next request starts again from the staff member's own login. `g.real_user`
# is the person at the keyboard, `g.impersonation` the active row.


def impersonating():
    """The active Impersonation of this request, or None."""
    return g.get("impersonation")


def real_user():
    """The person at the keyboard: the staff member while impersonating, else current_user."""
    return g.get("real_user") or current_user


def impersonation_forbids(endpoint: str | None) -> bool:
    """Buying credit is allowed while impersonating; keeping the card is not (Buy now ignores it)."""
    return endpoint in IMPERSONATION_FORBIDDEN_ENDPOINTS


def _impersonate():
    """Swap in the impersonated user for this request; ends an expired one (back to staff, with a word)."""
    from webapp.services import impersonation

    staff = current_user._get_current_object()
    row, ended = impersonation.current(db.session, session.get(IMPERSONATION_KEY), staff)
    if row is None:
        session.pop(IMPERSONATION_KEY, None)
        if ended is None:
            return None
        db.session.commit()  # the guard's own write: the end is kept whatever the request does next
        flash(
            _("Your time signed in as a customer is over; you are back as yourself.")
            if ended == "expired"
            else _("You can no longer act as that customer; you are back as yourself."),
            "warning",
        )
        # Never run a request meant for the customer as the staff member.
        return redirect_to(url_for("support.index"))
    if request.endpoint == "auth.logout":
        impersonation.end(db.session, row, how="signed out")
        db.session.commit()  # the guard's own write, before the view signs out
        session.pop(IMPERSONATION_KEY, None)
        return None
    g.real_user, g.impersonation = staff, row
    g.impersonation_ids = (row.id, staff.id, row.target_user_id, row.target_user.account_id)
    g._login_user = row.target_user  # Flask-Login 0.6.3: what current_user returns for this request
    return None


def _staff_pages_wait_for_return():
    return render_template(
        "errors/error.html",
        code=403,
        title=_("Not while signed in as a customer"),
        text="",
        detail=_("Return to your own account (the button in the banner) to use the staff pages."),
    ), 403


def _forbidden_while_impersonating():
    return render_template(
        "errors/error.html",
        code=403,
        title=_("Not while signed in as a customer"),
        text="",
        detail=_(
            "Passwords, API keys, payment methods and the account's users are the customer's own: "
            "support cannot open them while signed in as a customer. Return to your own account first."
        ),
    ), 403


def _audit_impersonated(response):
    """Every change made while impersonating (any non-GET request, and downloads) is in the audit log,
    with both identities. The view has committed or failed by now: whatever it left uncommitted is
    rolled back, and the event is written in its own transaction."""
    ids = g.get("impersonation_ids")
    if ids is None:
        return response
    download = response.headers.get("Content-Disposition", "").startswith("attachment")
    if request.method in ("GET", "HEAD", "OPTIONS") and not download:
        return response
    from webapp.models import User
    from webapp.models.staff import Impersonation
    from webapp.services import audit

    impersonation_id, staff_id, target_id, account_id = ids
    try:
        db.session.rollback()
        if db.session.get(Impersonation, impersonation_id).ended_at is not None:
            return response  # "return" and sign-out write their own impersonation.end
        args = ",".join(f"{k}={v}" for k, v in (request.view_args or {}).items())
        audit.record(
            db.session,
            staff_user=db.session.get(User, staff_id),
            user=db.session.get(User, target_id),
            account_id=account_id,
            action=f"{request.method} {request.path}",
            target=f"{request.endpoint}({args})",
            impersonation_id=impersonation_id,
            detail={"status": response.status_code, **({"download": True} if download else {})},
        )
        db.session.commit()  # its own transaction, after the request's: kept even for a refused request
    except Exception:  # the response stands; a lost audit row is logged loudly
        db.session.rollback()
        log.exception(
            "Could not audit %s %s while impersonating (impersonation %s)",
            request.method,
            request.path,
            impersonation_id,
        )
    return response
