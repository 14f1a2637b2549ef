"""Address book: the account's contact groups."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from webapp.extensions import db
from webapp.htmx import render
from webapp.services import contacts

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


@bp.get("/")
def index():
    return render("contacts/index.html", groups=contacts.group_summaries(db.session, current_user))
