"""Send SMS: the composer with its live part/price counter (sending arrives with the pipeline)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from webapp.blueprints.forms import ComposeForm
from webapp.domain.sms_text import gsm_safe
from webapp.extensions import db
from webapp.htmx import render
from webapp.services import composer, templates

bp = Blueprint("send", __name__, url_prefix="/send")


def _form() -> ComposeForm:
    form = ComposeForm()
    sender = current_app.config["SETTINGS"].shared_sender_id
    form.sender.choices = [(sender, sender)]
    return form


def _render(form: ComposeForm, fragment: str | None = None, **extra):
    preview = composer.preview(db.session, current_user, form.text.data or "", form.to.data or "")
    return render("send/index.html", fragment, form=form, preview=preview, **extra)


@bp.route("/", methods=["GET", "POST"])
def index():
    """GET shows the composer; a plain POST (no JavaScript) re-renders it with the counter."""
    form = _form()
    # CSRFProtect has already checked the token of every POST.
    if request.method == "POST" and request.form.get("action") == "gsm_safe":
        form.text.data = gsm_safe(form.text.data or "")
    return _render(form)


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
    """Put one of the account's templates into the composer (htmx), or the page (no JavaScript)."""
    template = templates.get_template(db.session, current_user, template_id)
    if template is None:
        abort(404)
    form = _form()
    form.text.data = template.text
    return _render(form, "send/_composer.html", oob=True)
