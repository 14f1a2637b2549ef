"""Message templates: the Templates page, and the picker the composer opens."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.auth import apply_service_errors
from webapp.blueprints.forms import TemplateForm
from webapp.extensions import db
from webapp.htmx import render
from webapp.services import templates
from webapp.services.errors import ServiceError

bp = Blueprint("templates", __name__, url_prefix="/templates")


def _page(form: TemplateForm | None = None, status: int = 200):
    return render("templates/index.html", form=form or TemplateForm(),
                  templates=templates.list_templates(db.session, current_user), status=status)


@bp.get("/")
def index():
    return _page()


@bp.get("/picker")
def picker():
    return render("templates/index.html", "templates/_picker.html",
                  templates=templates.list_templates(db.session, current_user), form=TemplateForm())


@bp.post("/")
def create():
    if request.htmx:  # "Save message as a new template" under the composer: the name comes from a prompt
        try:
            template = templates.create_template(db.session, current_user, request.htmx.prompt or "", request.form.get("text", ""))
        except ServiceError as error:
            db.session.rollback()
            return render("templates/_saved.html", error=_(error.message), status=422)
        db.session.commit()
        return render("templates/_saved.html", template=template)
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            templates.create_template(db.session, current_user, form.name.data, form.text.data)
        except ServiceError as error:
            db.session.rollback()
            apply_service_errors(form, error)
        else:
            db.session.commit()
            flash(_("The template is saved."), "success")
            return redirect(url_for("templates.index"))
    return _page(form, status=422)


@bp.post("/<int:template_id>/delete")
def delete(template_id: int):
    if not templates.delete_template(db.session, current_user, template_id):
        abort(404)
    db.session.commit()
    if request.htmx:
        return picker()
    flash(_("The template is deleted."), "success")
    return redirect(url_for("templates.index"))
