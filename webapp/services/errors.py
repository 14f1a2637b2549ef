from __future__ import annotations

from collections.abc import Mapping, Sequence

# A message on a field: a msgid, or (msgid, parameters) so that it is translated before it is
# filled in (webapp/blueprints/form_errors.py).
FieldMessage = str | tuple[str, Mapping[str, object]]


class ServiceError(Exception):
    """A refusal the user should read: carries field-specific messages when it has them."""

    def __init__(self, message: str, field_errors: Mapping[str, Sequence[FieldMessage]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors: Mapping[str, Sequence[FieldMessage]] = field_errors or {}
