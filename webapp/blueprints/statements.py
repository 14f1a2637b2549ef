"""Account → Statements: the list (newest first), "Make a statement" for any period, and each
statement's PDF and XLSX. Any signed-in user of the account for now (the lead adds roles)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import DataRequired

from webapp.blueprints.form_errors import error_text, refusals
from webapp.domain import statements as rules
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.models.types import utcnow
from webapp.services import statement_export
from webapp.services import statements as statement_book

bp = Blueprint("statements", __name__, url_prefix="/account/statements")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StatementForm(FlaskForm):
    start = DateField(_l("From"), validators=[DataRequired(message=_l("Choose the first day."))])
    end = DateField(_l("To (included)"), validators=[DataRequired(message=_l("Choose the last day."))])


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(current_user.account.timezone)).date()


def _page(form: StatementForm, status: int = 200, error: str = ""):
    return render(
        "account/statements.html",
        "account/_statement_form.html",
        status=status,
        form=form,
        error=error,
        statements=statement_export.listing(statement_book.of_account(db.session, current_user)),
        today=_today(),
    )


@bp.get("")
def index():
    today = _today()
    return _page(StatementForm(start=rules.month_of(today)[0], end=today))


@bp.post("")
def make():
    form = StatementForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    with refusals(form, flash_message=False) as call:
        statement = statement_book.make_on_demand(db.session, current_user, form.start.data, form.end.data)
    if call.error:
        return _page(form, 422, error="" if call.error.field_errors else error_text(call.error))
    flash(_("The statement %(number)s is ready.", number=statement_export.number(statement)), "success")
    return redirect_to(url_for(".index"))


def _statement(statement_id: int):
    try:
        return statement_book.get(db.session, current_user, statement_id)
    except LookupError:
        abort(404)


@bp.get("/<int:statement_id>.pdf")
def pdf(statement_id: int):
    statement = _statement(statement_id)
    response = Response(statement_export.pdf(statement, current_app.config["SETTINGS"]), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{statement_export.number(statement)}.pdf"'
    return response


@bp.get("/<int:statement_id>.xlsx")
def xlsx(statement_id: int):
    statement = _statement(statement_id)
    response = Response(statement_export.xlsx(statement, current_app.config["SETTINGS"]), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{statement_export.number(statement)}.xlsx"'
    return response
