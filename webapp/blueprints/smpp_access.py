"""Account → SMPP access (issue 21): the account's SMPP credentials (add one, its password shown
once; change its allowed networks and limits, switch it on or off, give it a new password, remove
it), and the account's sessions bound now ("Connected now", read from the SMPP server's Redis
records every 5 s by htmx). The checks are services/smpp_access.py's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from redis.exceptions import RedisError

from webapp.blueprints.form_errors import refusals
from webapp.blueprints.forms import SmppCredentialForm, SmppLimitsForm
from webapp.domain import smpp_access as rules
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.models.smpp import SmppCredential
from webapp.redis_client import get_redis
from webapp.services import smpp_access, smpp_sessions

bp = Blueprint("smpp_access", __name__, url_prefix="/account/smpp")

SMPP_PORT = 2775  # the IANA port of SMPP; our server's own setting does not exist yet


def _server() -> tuple[str, int]:
    """Where clients connect: SMPP_PUBLIC_ADDRESS (host or host:port), else PUBLIC_URL's host
    (else this request's) and SMPP_PORT."""
    settings = current_app.config["SETTINGS"]
    port = settings.smpp_port or SMPP_PORT
    if settings.smpp_public_address:
        host, _, given = settings.smpp_public_address.partition(":")
        return host, int(given) if given.isdigit() else port
    public = settings.public_url or ""
    host = urlsplit(public).hostname if public else None
    return host or (request.host.rsplit(":", 1)[0] if request.host else "localhost"), port


def bound_for(since: datetime, now: datetime) -> str:
    """How long a session has been bound, to the second while short: "42 s", "5 min 03 s",
    "2 h 05 min", "3 d 4 h"."""
    seconds = max(0, int((now - since).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h", d=days, h=hours)
    if hours:
        return _("%(h)d h %(m)02d min", h=hours, m=minutes)
    if minutes:
        return _("%(m)d min %(s)02d s", m=minutes, s=seconds)
    return _("%(s)d s", s=seconds)


def live_sessions(account_ids: list[int] | None) -> dict[str, Any]:
    """The template's view of the sessions bound now (of these accounts, or all): the sessions, or
    unreadable=True when Redis does not answer (the page still shows the rest)."""
    unreadable = False
    try:
        sessions = smpp_sessions.live(get_redis(), account_ids)
    except RedisError:
        current_app.logger.warning("SMPP sessions: Redis did not answer", exc_info=True)
        sessions, unreadable = [], True
    return {"sessions": sessions, "unreadable": unreadable, "now": datetime.now(UTC), "bound_for": bound_for}


def _limits_form(credential: SmppCredential) -> SmppLimitsForm:
    form = SmppLimitsForm(formdata=None, obj=credential, prefix=f"c{credential.id}")
    return form


def _limits(form: SmppLimitsForm) -> rules.Limits:
    return rules.Limits(form.max_binds.data or 0, form.tps_limit.data or 0, form.window.data or 0)


def _page(
    form: SmppCredentialForm | None = None,
    *,
    edited: tuple[int, SmppLimitsForm] | None = None,
    new: smpp_access.NewPassword | None = None,
    status: int = 200,
    fragment: str | None = None,
):
    credentials = smpp_access.credentials_of(db.session, current_user)
    edit_forms = {c.id: _limits_form(c) for c in credentials}
    if edited is not None:
        edit_forms[edited[0]] = edited[1]
    if form is None:
        form = SmppCredentialForm(formdata=None)
        form.system_id.data = smpp_access.suggested_system_id(db.session, current_user)
    host, port = _server()
    return render(
        "account/smpp_access.html",
        fragment,
        form=form,
        credentials=credentials,
        edit_forms=edit_forms,
        edited_id=edited[0] if edited else None,
        new=new,
        host=host,
        port=port,
        status=status,
        **live_sessions([current_user.account_id]),
    )


def _own(credential_id: int) -> SmppCredential:
    credential = smpp_access.credential_of(db.session, current_user, credential_id)
    if credential is None:
        abort(404)
    return credential


@bp.get("/")
def index():
    return _page()


@bp.get("/sessions")
def sessions():
    """ "Connected now": the fragment for htmx (the page asks every 5 s), else the whole page."""
    return _page(fragment="account/_smpp_sessions.html")


@bp.post("/")
def create():
    form = SmppCredentialForm()
    if form.validate_on_submit():
        with refusals(form) as call:
            new = smpp_access.create(
                db.session,
                current_user,
                system_id=form.system_id.data or "",
                networks=form.allowed_networks.data or "",
                limits=_limits(form),
            )
        if call.ok:
            # Shown once, on this response only; only its hash is kept.
            flash(_("The SMPP credential is added."), "success")
            return _page(new=new)
    return _page(form, status=422)


@bp.post("/<int:credential_id>/limits")
def update(credential_id: int):
    credential = _own(credential_id)
    form = SmppLimitsForm(prefix=f"c{credential.id}")
    if form.validate_on_submit():
        with refusals(form) as call:
            smpp_access.update(
                db.session,
                current_user,
                credential,
                networks=form.allowed_networks.data or "",
                limits=_limits(form),
            )
        if call.ok:
            flash(_("The settings of %(system_id)s are saved.", system_id=credential.system_id), "success")
            return redirect_to(url_for("smpp_access.index"))
    return _page(edited=(credential.id, form), status=422)


@bp.post("/<int:credential_id>/switch")
def switch(credential_id: int):
    credential = _own(credential_id)
    smpp_access.switch(db.session, current_user, credential, request.form.get("enabled") == "1")
    flash(
        _("%(system_id)s is on: it can bind.", system_id=credential.system_id)
        if credential.enabled
        else _("%(system_id)s is off: new binds are refused.", system_id=credential.system_id),
        "success",
    )
    return redirect_to(url_for("smpp_access.index"))


@bp.post("/<int:credential_id>/password")
def password(credential_id: int):
    credential = _own(credential_id)
    made = smpp_access.new_password(db.session, current_user, credential)
    flash(
        _("%(system_id)s has a new password; the old one no longer binds.", system_id=credential.system_id), "success"
    )
    return _page(new=smpp_access.NewPassword(credential, made))


@bp.post("/<int:credential_id>/remove")
def remove(credential_id: int):
    credential = _own(credential_id)
    system_id = credential.system_id
    smpp_access.remove(db.session, current_user, credential)
    flash(_("%(system_id)s is removed.", system_id=system_id), "success")
    return redirect_to(url_for("smpp_access.index"))
