"""A message for the customer that is translated where it is shown: a message id (marked with
``N_``) and its parameters, filled in after translation. ``str()`` of one is the English text, so
logs, the API's English answers and the tests that read ``str(exc)`` keep working.

A parameter may itself be a :class:`Text` (translated first), a :class:`Country` (named in the
reader's language) or a whole number (grouped as the reader's language writes it: 1,048,576 or
1.048.576). Anything else (a file name, what the customer typed) is put in as it is: user data is
never passed through the translation lookup."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Gettext = Callable[[str], str]


def _identity(message: str) -> str:
    return message


@dataclass(frozen=True)
class Country:
    """A region code (``"RO"``) shown as the country's name in the reader's language."""

    code: str

    def name(self, language: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            territories = Locale.parse(language or "en").territories
        except (ValueError, UnknownLocaleError):
            territories = Locale("en").territories
        return str(territories.get(self.code) or self.code)


@dataclass(frozen=True)
class Text:
    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, gettext: Gettext = _identity, language: str = "en") -> str:
        """The text in a language: ``gettext`` looks the message id up (the web layer passes
        Flask-Babel's, or a catalogue's); ``language`` names countries and groups numbers."""
        translated = gettext(self.msgid)
        if not self.params:
            return translated
        values = {key: _value(value, gettext, language) for key, value in self.params.items()}
        return translated % values

    def __str__(self) -> str:
        return self.render()

    def startswith(self, prefix: str | tuple[str, ...]) -> bool:
        """Whether the English text starts so (callers that compared plain strings)."""
        return str(self).startswith(prefix)

    def __contains__(self, part: str) -> bool:
        """Whether the English text holds ``part`` (callers that looked into plain strings)."""
        return part in str(self)


def _value(value: object, gettext: Gettext, language: str) -> object:
    if isinstance(value, Text):
        return value.render(gettext, language)
    if isinstance(value, Country):
        return value.name(language)
    if isinstance(value, int) and not isinstance(value, bool):
        from babel.numbers import format_decimal

        return format_decimal(value, locale=language or "en")
    return value


def text(msgid: str, **params: Any) -> Text:
    """``text(N_("too short for a %(what)s"), what=...)``."""
    return Text(msgid, params)


class TextError(ValueError):
    """An error whose message the customer reads: ``exc.text`` is the :class:`Text` to translate
    where it is shown; ``str(exc)`` and ``exc.message`` are its English text."""

    def __init__(self, message: str | Text, *args: object) -> None:
        self.text = message if isinstance(message, Text) else Text(message)
        self.message = str(self.text)
        super().__init__(self.message, *args)

    def __str__(self) -> str:
        return self.message
