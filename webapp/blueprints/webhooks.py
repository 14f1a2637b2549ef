"""Account → Webhooks: the account's endpoints (add with the events wanted, test, switch on or
off, remove) and each one's delivery log with "send again"."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.form_errors import refusals
from webapp.blueprints.forms import ReplySettingsForm, WebhookForm
from webapp.domain import webhook_events
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.services import reply_settings as reply_settings_service
from webapp.services import webhook_endpoints, webhooks

bp = Blueprint("webhooks", __name__, url_prefix="/account/webhooks")


def _page(form: WebhookForm | None = None, status: int = 200):
    endpoints = webhook_endpoints.endpoints_of(db.session, current_user)
    return render(
        "account/webhooks.html",
        form=form or WebhookForm(),
        endpoints=endpoints,
        callbacks=webhook_endpoints.endpoints_of(db.session, current_user, "callback"),
        callback_secret=current_user.account.webhook_callback_secret,
        events=webhook_events.EVENTS,
        status=status,
    )


def _own(endpoint_id: int):
    endpoint = webhook_endpoints.endpoint_of(db.session, current_user, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


@bp.get("/")
def index():
    return _page()


@bp.post("/")
def create():
    form = WebhookForm()
    if form.validate_on_submit():
        allow = current_app.config["SETTINGS"].webhook_allow_private
        with refusals(form) as call:
            webhooks.add_endpoint(
                db.session, current_user, form.url.data or "", form.events.data or [], allow_private=allow
            )
        if call.ok:
            flash(
                _("The webhook is added. Its secret is shown below: use it to check each call's signature."), "success"
            )
            return redirect_to(url_for("webhooks.index"))
    return _page(form, status=422)


@bp.post("/callback-secret")
def callback_secret():
    """The secret that signs the API's callback_url calls: made, or made anew (every callback
    endpoint signs with the new one from now on)."""
    had = bool(current_user.account.webhook_callback_secret)
    webhooks.roll_callback_secret(db.session, current_user.account)
    flash(
        _("A new callback secret is made: calls are signed with it from now on.")
        if had
        else _("The callback secret is made."),
        "success",
    )
    return redirect_to(url_for("webhooks.index") + "#callbacks")


@bp.post("/<int:endpoint_id>/switch")
def switch(endpoint_id: int):
    endpoint = _own(endpoint_id)
    webhook_endpoints.switch(db.session, endpoint, request.form.get("enabled") == "1")
    flash(_("The webhook is on.") if endpoint.enabled else _("The webhook is off."), "success")
    return redirect_to(url_for("webhooks.index"))


@bp.post("/<int:endpoint_id>/remove")
def remove(endpoint_id: int):
    webhook_endpoints.remove(db.session, _own(endpoint_id))
    flash(_("The webhook is removed."), "success")
    return redirect_to(url_for("webhooks.index"))


@bp.post("/<int:endpoint_id>/test")
def test(endpoint_id: int):
    webhook_endpoints.send_test(db.session, _own(endpoint_id))
    flash(_("A test event is on its way; its answer shows in the log in a few seconds."), "success")
    return redirect_to(url_for("webhooks.log", endpoint_id=endpoint_id))


@bp.get("/<int:endpoint_id>")
def log(endpoint_id: int):
    endpoint = _own(endpoint_id)
    deliveries = webhook_endpoints.log_of(db.session, endpoint)
    return render("account/webhook_log.html", "account/_webhook_log.html", hook=endpoint, deliveries=deliveries)


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/again")
def send_again(endpoint_id: int, delivery_id: int):
    if not webhook_endpoints.send_again(db.session, _own(endpoint_id), delivery_id):
        abort(404)
    flash(_("The event is sent again with the same id."), "success")
    return redirect_to(url_for("webhooks.log", endpoint_id=endpoint_id))


@bp.route("/replies", methods=["GET", "POST"], endpoint="replies")
def reply_settings():
    """Account → Replies: keywords, the HELP answer, the STOP confirmation (the same area as the
    webhooks: what happens when phones answer)."""
    form = ReplySettingsForm()
    if form.validate_on_submit():
        lists = {"stop": form.stop.data or "", "start": form.start.data or "", "help": form.help.data or ""}
        with refusals(form) as call:
            reply_settings_service.save(
                db.session, current_user, lists, form.help_text.data or "", form.confirmation.data or ""
            )
        if call.ok:
            flash(_("The reply settings are saved."), "success")
            return redirect_to(url_for("webhooks.replies"))
        return render("account/replies.html", form=form, status=422)
    if request.method == "GET":
        saved = reply_settings_service.settings_of(current_user)
        form.stop.data, form.start.data, form.help.data = (
            "\n".join(saved.keywords[a]) for a in ("stop", "start", "help")
        )
        form.help_text.data, form.confirmation.data = saved.help_text, saved.opt_out_confirmation
    return render("account/replies.html", form=form, status=200 if request.method == "GET" else 422)
