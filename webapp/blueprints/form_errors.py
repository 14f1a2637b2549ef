"""A service's refusal, shown on the form that asked for it."""
from __future__ import annotations

from flask_babel import gettext as _

from webapp.services.errors import ServiceError


def apply_service_errors(form, error: ServiceError) -> None:
    """A message is a msgid, or (msgid, parameters) so that it is translated before it is filled in."""
    for field, messages in error.field_errors.items():
        getattr(form, field).errors = list(getattr(form, field).errors) + [
            _(m[0], **m[1]) if isinstance(m, tuple) else _(m) for m in messages]
