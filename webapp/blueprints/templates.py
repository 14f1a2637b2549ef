"""Message templates: the Templates page, and the picker the composer opens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.form_errors import refusals
from webapp.blueprints.forms import TemplateForm
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.htmx import render
from webapp.services import templates

bp = Blueprint("templates", __name__, url_prefix="/templates")


def _listing() -> dict:
    """The templates the user may use, who shared each (None: its own), and whether it may share."""
    usable = templates.usable_templates(db.session, current_user)
    return {
        "templates": usable,
        "shared_by": {t.id: templates.shared_by(current_user, t) for t in usable},
        "can_share": current_user.role == Role.OWNER.value,
    }


def _page(form: TemplateForm | None = None, status: int = 200):
    return render("templates/index.html", form=form or TemplateForm(), status=status, **_listing())


@bp.get("/")
def index():
    return _page()


@bp.get("/picker")
def picker():
    return render("templates/index.html", "templates/_picker.html", form=TemplateForm(), **_listing())


@bp.post("/")
def create():
    if request.htmx:  # "Save message as a new template" under the composer: the name comes from a prompt
        with refusals(flash_message=False) as call:
            template = templates.create_template(
                db.session, current_user, request.htmx.prompt or "", request.form.get("text", "")
            )
        if call.error:
            return render("templates/_saved.html", error=_(call.error.message), status=422)
        return render("templates/_saved.html", template=template)
    form = TemplateForm()
    if form.validate_on_submit():
        with refusals(form) as call:
            templates.create_template(db.session, current_user, form.name.data, form.text.data)
        if call.ok:
            flash(_("The template is saved."), "success")
            return redirect(url_for("templates.index"))
    return _page(form, status=422)


@bp.post("/<int:template_id>/delete")
def delete(template_id: int):
    if not templates.delete_template(db.session, current_user, template_id):
        abort(404)
    if request.htmx:
        return picker()
    flash(_("The template is deleted."), "success")
    return redirect(url_for("templates.index"))


@bp.post("/<int:template_id>/share")
def share(template_id: int):
    """The owner shares the template with its subusers (shared=1) or stops sharing it."""
    template = templates.set_shared(db.session, current_user, template_id, request.form.get("shared") == "1")
    if template is None:
        abort(404)
    flash(
        _("The template is shared with your subusers.")
        if template.shared
        else _("The template is no longer shared with your subusers."),
        "success",
    )
    return redirect(url_for("templates.index"))
