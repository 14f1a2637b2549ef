"""Short links in sent messages (issue 22), public: `GET /l/<code>` redirects to the link's URL
(and only there) or, for a `#stop` link, asks whether to stop the account's messages; the POST
opts the number out. Every GET is recorded as a click (its time only)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect

from webapp.blueprints.forms import StopLinkForm
from webapp.domain import short_links as rules
from webapp.extensions import db
from webapp.htmx import render
from webapp.models import Account, ShortLink
from webapp.services import short_links

bp = Blueprint("short_links", __name__)


def _link(code: str) -> ShortLink:
    link = short_links.by_code(db.session, code)
    if link is None:
        abort(404)
    return link


def _stop_page(link: ShortLink, form: StopLinkForm, done: bool, status: int = 200):
    account = db.session.get_one(Account, link.account_id)
    response = render("links/stop.html", form=form, sender_name=account.name, done=done, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/l/<code>")
def follow(code: str):
    link = _link(code)
    short_links.record_click(db.session, link)
    db.session.commit()
    if link.kind == rules.STOP:
        return _stop_page(link, StopLinkForm(), done=short_links.is_opted_out(db.session, link))
    if rules.check_url(link.url) is not None:  # never anywhere but an http(s) address as written
        abort(404)
    response = redirect(link.url, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/l/<code>")
def stop(code: str):
    link = _link(code)
    if link.kind != rules.STOP:
        abort(404)
    form = StopLinkForm()
    if not form.validate_on_submit():
        return _stop_page(link, form, done=False, status=400)
    short_links.opt_out(db.session, link)  # twice is once
    db.session.commit()
    return _stop_page(link, form, done=True)
