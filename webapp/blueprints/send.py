"""Send SMS: the composer with its live part/price counter (sending arrives with the pipeline)."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp.blueprints.form_errors import error_text, refusals
from webapp.blueprints.forms import ComposeForm
from webapp.domain import lifecycle
from webapp.domain.gsm_suggestions import gsm_safe
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.i18n import delivery_reason
from webapp.redis_client import get_redis
from webapp.services import campaigns, composer, contacts, dispatch, sender_ids, sending, templates

bp = Blueprint("send", __name__, url_prefix="/send")


def _form() -> ComposeForm:
    form = ComposeForm()
    form.sender.choices = [
        (s, s)
        for s in sender_ids.usable_senders(db.session, current_user, current_app.config["SETTINGS"].shared_sender_id)
    ]
    return form


def _render(form: ComposeForm, fragment: str | None = None, status: int = 200, **extra):
    preview = composer.preview(
        db.session,
        current_user,
        form.text.data or "",
        form.to.data or "",
        several=True,
        link_base=current_app.config["SETTINGS"].public_url,
    )
    groups = contacts.usable_groups(db.session, current_user) if fragment is None else []
    chosen = {int(g) for g in request.form.getlist("groups") if g.isdigit()}
    return render(
        "send/index.html",
        fragment,
        form=form,
        preview=preview,
        status=status,
        groups=groups,
        chosen_groups=chosen,
        max_parts=current_app.config["SETTINGS"].max_parts_per_message,
        **extra,
    )


@bp.route("/", methods=["GET", "POST"])
def index():
    """GET shows the composer; a plain POST re-renders it with the counter, or sends."""
    form = _form()
    if request.method == "GET":
        form.idempotency_key.data = uuid.uuid4().hex
    # CSRFProtect has already checked the token of every POST.
    action = request.form.get("action") if request.method == "POST" else None
    if action == "gsm_safe":
        form.text.data = gsm_safe(form.text.data or "")
    if action == "send":
        return _send(form)
    return _render(form)


def _send(form: ComposeForm):
    groups = [int(g) for g in request.form.getlist("groups") if g.isdigit()]
    if groups and not (form.to.data or "").strip():  # a typed number overrides the lists
        return _to_lists(form, groups)
    numbers = composer.distinct_numbers(current_user, form.to.data or "")
    if len(numbers) > composer.MAX_TYPED_NUMBERS:
        form.to.errors = [
            _("At most %(max)d numbers at once; for more, send a campaign.", max=composer.MAX_TYPED_NUMBERS)
        ]
        return _render(form, status=422)
    submission = sending.Submission(
        to=numbers,
        text=form.text.data or "",
        sender=form.sender.data,
        idempotency_key=form.idempotency_key.data or None,
        max_parts=current_app.config["SETTINGS"].max_parts_per_message,
        shared_sender=current_app.config["SETTINGS"].shared_sender_id,
        link_base=current_app.config["SETTINGS"].public_url,
        links=True,
        flash=bool(form.flash.data),
    )
    existing = sending.find_by_idempotency_key(db.session, current_user, submission.idempotency_key)
    if existing is not None:  # the same form sent twice: show what the first click did
        return _sent_once(existing)
    try:
        with refusals(form) as call:
            messages = sending.accept(db.session, current_user, submission)
            db.session.commit()  # here, to catch a second click's IntegrityError; then the workers get it
    except IntegrityError:  # a second click raced the first: the key is taken, show that message
        db.session.rollback()
        return _sent_once(sending.find_by_idempotency_key(db.session, current_user, submission.idempotency_key))
    if not call.ok:
        return _render(form, status=422)
    queued = [m.id for m in messages if m.status == lifecycle.QUEUED]  # read before anything expires them
    if queued:
        dispatch.hand_to_workers(get_redis(), queued)  # or the sweeper, if Redis is away
    if len(messages) > 1:
        return _sent_several(len(queued), len(messages) - len(queued))
    if queued:
        flash(_("Your message is on its way."), "success")
    else:
        flash(delivery_reason(messages[0]).sentence, "error")  # e.g. "Not sent: the number is on the blocklist."
    return redirect_to(url_for("reports.message", message_id=messages[0].id))


def _sent_several(queued: int, refused: int):
    """After sending to several numbers: how many went, and the reports, where each one is."""
    if queued:
        flash(ngettext("%(num)d message is on its way.", "%(num)d messages are on their way.", queued), "success")
    if refused:
        flash(
            ngettext(
                "%(num)d number was refused: the reports say why.",
                "%(num)d numbers were refused: the reports say why.",
                refused,
            ),
            "error",
        )
    return redirect_to(url_for("reports.messages"))


def _to_lists(form: ComposeForm, groups: list[int]):
    """To contact lists: a campaign, whose options and summary come next."""
    with refusals(form) as call:
        sending.check_sender(
            db.session, current_user, form.sender.data, current_app.config["SETTINGS"].shared_sender_id
        )
    if not call.ok:
        return _render(form, status=422)
    with refusals(flash_message=False) as call:
        campaign = campaigns.new_for_lists(
            db.session, current_user, groups, form.text.data or "", form.sender.data, flash=bool(form.flash.data)
        )
    if call.error:  # about the lists chosen
        form.to.errors = [error_text(call.error)]
        return _render(form, status=422)
    return redirect_to(url_for("campaigns.show", campaign_id=campaign.id))


def _sent_once(message):
    flash(_("This message was already sent; it is shown below."), "info")
    return redirect_to(url_for("reports.message", message_id=message.id))


@bp.post("/counter")
def counter():
    return _render(_form(), "send/_counter.html", oob=True)


@bp.post("/gsm-safe")
def use_gsm_safe():
    form = _form()
    form.text.data = gsm_safe(form.text.data or "")
    return _render(form, "send/_composer.html", oob=True)


@bp.post("/template/<int:template_id>")
def use_template(template_id: int):
    """Put one of the templates the user may use into the composer (htmx), or the page (no JavaScript)."""
    template = templates.usable_template(db.session, current_user, template_id)
    if template is None:
        abort(404)
    form = _form()
    form.text.data = template.text
    return _render(form, "send/_composer.html", oob=True)
