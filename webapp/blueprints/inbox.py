"""Inbox: the replies (MO) given to the account, one conversation per phone number, a thread per
number (opening it marks its replies read) with a small composer that answers from our number the
phone wrote to (an ordinary, charged message, sent as Send SMS sends), and the replies of a
period as XLSX. The menu's unread count comes from the context processor below."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp.blueprints import impersonating
from webapp.blueprints.form_errors import refusals
from webapp.blueprints.forms import ComposeForm
from webapp.domain import lifecycle
from webapp.domain.gsm_suggestions import gsm_safe
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.htmx import redirect_to, render
from webapp.i18n import delivery_reason
from webapp.redis_client import get_redis
from webapp.services import composer, dispatch, inbox, report_totals, sending

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INBOX_ROLES = frozenset({Role.OWNER.value, Role.SUBUSER.value})


@bp.app_context_processor
def unread_replies() -> dict:
    """``inbox_unread`` for the menu: customers only (one count on an index), 0 for the others
    and for an htmx fragment (it has no menu)."""
    if not current_user or not current_user.is_authenticated or current_user.role not in INBOX_ROLES:
        return {"inbox_unread": 0}
    if request.htmx and not request.htmx.boosted:
        return {"inbox_unread": 0}
    return {"inbox_unread": inbox.unread_count(db.session, current_user)}


@bp.get("/")
def index():
    query, page = request.args.get("q", "").strip(), request.args.get("page", 1, type=int)
    found = inbox.conversations(db.session, current_user, query, page)
    today = report_totals.today_in(current_user.account.timezone)
    return render("inbox/index.html", "inbox/_list.html", found=found, q=query, today=today)


def _thread(number: str) -> inbox.Thread:
    try:
        return inbox.thread(db.session, current_user, number)
    except LookupError:
        abort(404)


def _page(thread: inbox.Thread, form: ComposeForm, status: int = 200):
    settings = current_app.config["SETTINGS"]
    preview = composer.preview(db.session, current_user, form.text.data or "", thread.number, several=True)
    return render(
        "inbox/thread.html",
        thread=thread,
        form=form,
        preview=preview,
        max_parts=settings.max_parts_per_message,
        status=status,
    )


# ``path``: a sender that reads as no phone is kept as it came (phone.reply_sender) and may hold a "/".
@bp.get("/<path:number>")
def thread(number: str):
    """The thread; opening it marks its replies read (kept: committed here, a GET keeps nothing),
    unless support is looking as the customer."""
    found = _thread(number)
    if found.unread and not impersonating() and inbox.mark_read(db.session, current_user, number):
        db.session.commit()
    form = ComposeForm(formdata=None, idempotency_key=uuid.uuid4().hex)
    return _page(found, form)


@bp.post("/<path:number>/reply")
def reply(number: str):
    found = _thread(number)
    form = ComposeForm()
    if request.form.get("action") == "gsm_safe":  # the suggestion's button, without JavaScript
        form.text.data = gsm_safe(form.text.data or "")
        return _page(found, form)
    if found.sender is None:
        abort(404)
    return _send(found, form)


def _send(found: inbox.Thread, form: ComposeForm):
    """As Send SMS sends (send._send): once per idempotency key, committed before the workers get it."""
    settings = current_app.config["SETTINGS"]
    submission = sending.Submission(
        to=[found.number], text=form.text.data or "", sender=found.sender or "",
        idempotency_key=form.idempotency_key.data or None, max_parts=settings.max_parts_per_message,
        shared_sender=settings.shared_sender_id,
    )  # fmt: skip
    if sending.find_by_idempotency_key(db.session, current_user, submission.idempotency_key) is not None:
        return _sent(found.number, _("This reply was already sent; it is shown below."), "info")
    try:
        with refusals(form) as call:
            [message] = sending.accept(db.session, current_user, submission)
            db.session.commit()  # a second click's IntegrityError here; then the workers get it
    except IntegrityError:
        db.session.rollback()
        return _sent(found.number, _("This reply was already sent; it is shown below."), "info")
    if not call.ok:
        return _page(found, form, status=422)
    if message.status != lifecycle.QUEUED:
        return _sent(found.number, delivery_reason(message).sentence, "error")
    dispatch.hand_to_workers(get_redis(), [message.id])  # or the sweeper, if Redis is away
    return _sent(found.number, _("Your reply is on its way."), "success")


def _sent(number: str, sentence: str, category: str):
    flash(sentence, category)
    return redirect_to(url_for("inbox.thread", number=number))


@bp.get("/export")
def export():
    """The replies of the days asked (from, to: both included) as XLSX."""
    today = report_totals.today_in(current_user.account.timezone)
    period = inbox.export_period(_day("from") or today.replace(day=1), _day("to") or today)
    first, last = period.first, period.last
    body = inbox.export_xlsx(db.session, current_user, first, last)
    response = Response(body, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="replies-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"'
    return response


def _day(name: str) -> date | None:
    value = request.args.get(name)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
