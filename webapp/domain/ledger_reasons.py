"""The ledger's reasons in the reader's language.

A ledger row keeps its reason as the English text it was written with ("Campaign “Spring” cancelled:
unsent messages", "SMS to +40722123456, 2 parts"): the ledger is an audit record, and the rows
written before translation existed hold the same texts. Each shape the platform writes is listed
here as a message id; :func:`read` recognises a stored reason and gives back the :class:`Text` to
translate where it is shown, with the parts that vary (a campaign's name, a number, a credit note's
number) put back in as they were. A reason of no known shape (what staff typed for an adjustment)
is shown as it was written."""

from __future__ import annotations

import re

from webapp.domain import N_
from webapp.domain.texts import Gettext, Text

#: Every reason the platform writes (services/sending, campaign_runs, payments, payment_review,
#: accounts, subusers, expiry; domain/settlement), as a message id.
SHAPES: tuple[str, ...] = (
    N_("Campaign “%(name)s” cancelled: unsent messages"),
    N_("Campaign “%(name)s”"),
    N_("SMS to %(number)s, 1 part"),
    N_("SMS to %(number)s, %(parts)s parts"),
    N_("SMS to %(number)s"),
    N_("Not delivered (%(status)s)"),
    N_("Reservation turned into charge"),
    N_("Top-up refunded (credit note %(number)s)"),
    N_("Top-up by card"),
    N_("Top-up by transfer"),
    N_("Top-up by bank transfer"),
    N_("Opening credit"),
    N_("Transfer to subuser %(name)s"),
    N_("Transfer from subuser %(name)s"),
    N_("Transfer from parent"),
    N_("Transfer to parent"),
)

#: Reasons written as a code rather than a sentence.
CODES: dict[str, str] = {
    "expired": N_("Expired before it was sent"),
    "opted_out": N_("The phone opted out (STOP) before it was sent"),
    "rejected_at_submission": N_("Refused when it was handed to the network"),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(msgid: str) -> re.Pattern[str]:
    pieces, last = [], 0
    for match in _PLACEHOLDER.finditer(msgid):
        pieces.append(re.escape(msgid[last : match.start()]))
        pieces.append(f"(?P<{match.group(1)}>.+?)" if match.group(1) != "parts" else r"(?P<parts>\d+)")
        last = match.end()
    pieces.append(re.escape(msgid[last:]))
    return re.compile("".join(pieces), re.DOTALL)


_PATTERNS = tuple((msgid, _pattern(msgid)) for msgid in SHAPES)


def read(reason: str) -> Text:
    """The stored reason as a Text: a known shape's message id with its values, a code's sentence,
    or the reason as it was written."""
    if reason in CODES:
        return Text(CODES[reason])
    for msgid, pattern in _PATTERNS:
        match = pattern.fullmatch(reason)
        if match:
            return Text(msgid, match.groupdict())
    return _Literal(reason)


class _Literal(Text):
    """A reason of no known shape: never looked up in the catalogue."""

    def render(self, gettext: Gettext | None = None, language: str = "en") -> str:
        return self.msgid
