from __future__ import annotations

from collections.abc import Mapping, Sequence

from webapp.domain.texts import Text

# A message on a field: a msgid, (msgid, parameters) or a Text, so that it is translated before it
# is filled in (webapp/blueprints/form_errors.py).
FieldMessage = str | tuple[str, Mapping[str, object]] | Text


class ServiceError(Exception):
    """A refusal the user should read: carries field-specific messages when it has them.

    ``message`` is a msgid or a :class:`Text` (a msgid with parameters); ``text`` is always the
    Text to translate where the refusal is shown (form_errors.error_text), ``str(exc)`` its English."""

    def __init__(self, message: str | Text, field_errors: Mapping[str, Sequence[FieldMessage]] | None = None):
        self.text = message if isinstance(message, Text) else Text(message)
        super().__init__(str(self.text))
        # the msgid: the views that still translate it with _() find a message without parameters
        self.message = self.text.msgid if not self.text.params else str(self.text)
        self.field_errors: Mapping[str, Sequence[FieldMessage]] = field_errors or {}
