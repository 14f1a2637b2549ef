"""Message templates: the Templates page, the picker the composer opens, and the small form that
names the composer's text as a new template, in place under the composer (no prompt pop-up)."""

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


def _page(form: TemplateForm | None = None, status: int = 200, fragment: str | None = None, **context):
    """The Templates page, or (to htmx) ``fragment`` of it: the naming form or its confirmation."""
    return render("templates/index.html", fragment, form=form or TemplateForm(), status=status, **_listing(), **context)


@bp.get("/")
def index():
    return _page()


@bp.get("/picker")
def picker():
    return render("templates/index.html", "templates/_picker.html", form=TemplateForm(), **_listing())


@bp.get("/name")
def name_form():
    """ "Save message as a new template" under the composer: the form that asks for the name, in
    place (the text is the composer's). Without htmx, the Templates page with its own form."""
    return _page(TemplateForm(formdata=None), fragment="templates/_name_form.html", inline=True)


@bp.post("/")
def create():
    """A new template from the Templates page (then back to it) or from the naming form under a
    composer (inline=1: its confirmation, or the form again with what is wrong, swapped in place)."""
    form = TemplateForm()
    inline = request.form.get("inline") == "1"
    if form.validate_on_submit():
        with refusals(form) as call:
            template = templates.create_template(db.session, current_user, form.name.data or "", form.text.data or "")
        if call.ok and inline and request.htmx:
            return _page(form, fragment="templates/_saved.html", template=template)
        if call.ok:
            flash(_("The template is saved."), "success")
            return redirect(url_for("templates.index"))
    return _page(form, status=422, fragment="templates/_name_form.html" if inline else None, inline=inline)


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
