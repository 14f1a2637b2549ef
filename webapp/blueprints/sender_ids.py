"""Account → Sender IDs: the account's requests with their status, and "Ask for a sender ID"."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from webapp.blueprints.form_errors import refusals
from webapp.domain.sender_ids import MAX_LENGTH
from webapp.extensions import db
from webapp.htmx import render
from webapp.services import contracts, sender_ids

bp = Blueprint("sender_ids", __name__, url_prefix="/account/sender-ids")


class SenderIdForm(FlaskForm):
    sender = StringField(_l("Sender ID"), validators=[Length(max=40)])
    reason = TextAreaField(_l("What will you send with it?"), validators=[Length(max=1000)])


@bp.route("/", methods=["GET", "POST"], strict_slashes=False)
def index():
    form = SenderIdForm()
    if form.validate_on_submit():
        try:
            with refusals(form) as call:
                row = sender_ids.ask(db.session, current_user, form.sender.data or "", form.reason.data or "")
                db.session.commit()  # here, to catch the same request sent twice at once (IntegrityError)
        except IntegrityError:  # the same request sent twice at once: the first one counts
            db.session.rollback()
            form.sender.errors = [
                _(
                    "You have already asked for %(sender)s; support has not decided yet.",
                    sender=(form.sender.data or "").strip(),
                )
            ]
        else:
            if call.ok:
                flash(_("Thank you: support will look at %(sender)s shortly.", sender=row.sender), "success")
                return redirect(url_for("sender_ids.index"))
    return render(
        "sender_ids/index.html",
        form=form,
        requests=sender_ids.of_account(db.session, current_user),
        inherited=sender_ids.inherited(db.session, current_user),
        max_length=MAX_LENGTH,
        shared=current_app.config["SETTINGS"].shared_sender_id,
        contract_pending=not contracts.may_use_own_senders(db.session, current_user.account),
        status=422 if form.errors else 200,
    )
