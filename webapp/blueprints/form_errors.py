"""A service's refusal, shown on the form that asked for it: the one shape of a view that calls a
service which may say no.

    with refusals(form) as call:
        made = subusers.create_subuser(db.session, current_user, ...)
    if call.ok:
        flash(...)
        return redirect(...)
    return render(..., form=form, status=422)

A refusal rolls back what the service had flushed (the page is drawn from the state before the
attempt), lands on the form's fields when it names them, and is otherwise flashed as an error at
the top of the page. The request's own commit or rollback (webapp/transactions.py) follows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import flash
from flask_babel import gettext as _

from webapp.extensions import db
from webapp.i18n import translate
from webapp.services.errors import FieldMessage, ServiceError


def field_message(message: FieldMessage) -> str:
    """A message is a msgid, (msgid, parameters) or a Text: translated before it is filled in."""
    if isinstance(message, tuple):
        return _(message[0], **message[1])
    return translate(message)


def error_text(error: ServiceError) -> str:
    """The refusal's message in the user's language."""
    return translate(error.text)


def apply_service_errors(form, error: ServiceError) -> None:
    for field, messages in error.field_errors.items():
        getattr(form, field).errors = list(getattr(form, field).errors) + [field_message(m) for m in messages]


@dataclass
class ServiceCall:
    error: ServiceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@contextmanager
def refusals(form=None, *, flash_message: bool = True) -> Iterator[ServiceCall]:
    """Catch a ServiceError from the block: roll back, put it on ``form``'s fields, or flash its
    message (unless ``flash_message`` is False: the view shows ``call.error`` itself)."""
    call = ServiceCall()
    try:
        yield call
    except ServiceError as exc:
        db.session.rollback()
        call.error = exc
        if form is not None and exc.field_errors:
            apply_service_errors(form, exc)
        elif flash_message:
            flash(error_text(exc), "error")
