"""Sender ID rules: what a customer may ask for as the "from" of its messages.

An alphanumeric sender (TON 5 in SMPP) travels in a GSM 03.38 field of at most 11 characters.
The protocol would carry any GSM character, but networks filter most symbols and handsets render
them differently, so we accept what operators pass reliably:

- letters A-Z a-z and digits 0-9 (ASCII only: diacritics like ș or ä are dropped or garbled);
- a single space between words ("Teatrul Mic"); no leading, trailing or double spaces
  (iOS collapses spaces, so "A  B" and "A B" would look alike);
- four symbols found in brand names and passed by operators: ``-`` ``_`` ``.`` ``&``.
  ``@ # ! + ' "`` and the like are refused: many networks drop or rewrite them.

It must contain at least one letter: an all-digit sender is a phone number or short code (a
numeric sender, TON 1/3), which the platform does not hand out on request — it has to be a number
the customer owns, and the shared short code (settings.shared_sender_id) is offered to everyone.
Case is kept as typed (handsets show it), but two senders that differ only in case are the same
request for the same account.
"""

from __future__ import annotations

import re

from webapp.domain import N_

MAX_LENGTH = 11
SYMBOLS = "-_.&"
_ALLOWED = re.compile(r"[A-Za-z0-9 \-_.&]+")


class InvalidSender(ValueError):
    """``message`` is the msgid; ``params`` fill it in after it is translated."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def check_alphanumeric(raw: str) -> str:
    """The sender as it will be used (surrounding spaces removed), or InvalidSender."""
    sender = (raw or "").strip()
    if not sender:
        raise InvalidSender(N_("Give the sender ID you would like to use."))
    if len(sender) > MAX_LENGTH:
        raise InvalidSender(
            N_("A sender ID has at most %(max)d characters (this one has %(count)d)."),
            max=MAX_LENGTH,
            count=len(sender),
        )
    if not _ALLOWED.fullmatch(sender):
        bad = "".join(dict.fromkeys(c for c in sender if not _ALLOWED.fullmatch(c)))
        raise InvalidSender(
            N_("A sender ID may use only letters A-Z, digits, spaces and - _ . & (not: %(chars)s)."), chars=bad
        )
    if "  " in sender:
        raise InvalidSender(N_("Use a single space between words."))
    if not any(c.isalpha() for c in sender):
        raise InvalidSender(N_("A sender ID needs at least one letter; numeric senders are not available on request."))
    return sender


def same_sender(a: str, b: str) -> bool:
    """Whether two requests name the same sender (case does not make a new one)."""
    return a.strip().casefold() == b.strip().casefold()
