"""Why a message is in its state, as a customer reads it, with the raw code kept for support.

One function, :func:`explain`, turns a message's ``status``, ``reason_code`` (why we refused
it, or ``rejected_at_submission``) and ``error_code`` (the receipt's ``err:`` field, or the
SMPP ``command_status`` of a refused submit_sm, written ``0x0000000B``) into a short label, a
sentence and the raw code. The sentences are msgids marked with N_: the web layer translates
them (and fills ``values`` in) at render time. A route may override or add texts for its
operator's codes (``Route.error_texts``); those are the admin's own words, shown as written.

Receipt ``err:`` codes are SMSC-specific. The default table follows the most common convention
(Logica/Acision/CMG-style SMSCs and most aggregators): the GSM MAP error code of the failed
delivery attempt, 3GPP TS 29.002 §17.6, written in 3 decimal digits (err:027 = absentSubscriber).
Operators that number differently (some put 001 for "absent") get route overrides.
SMPP command_status values: SMPP v3.4 §5.1.3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from webapp.domain import N_, lifecycle

# Overrides as stored on a route: code → {language: text}; "*" is the text for any language.
RouteTexts = Mapping[str, Mapping[str, str]]
ANY_LANGUAGE = "*"

# status → (short label, one sentence). Labels are lower case, as badges were: a label is about one
# message (Romanian "livrat", where the capitalised "Delivered" of the reports' headings is "Livrate").
STATUS_TEXTS: dict[str, tuple[str, str]] = {
    lifecycle.DRAFT: (N_("draft"), N_("Not sent yet: the campaign has not been confirmed.")),
    lifecycle.ACCEPTED: (N_("accepted"), N_("Accepted; it is being queued for sending.")),
    lifecycle.QUEUED: (N_("queued"), N_("Waiting in the queue to be sent to the operator.")),
    lifecycle.SUBMITTED: (N_("sent"), N_("Handed to the operator; waiting for the delivery report.")),
    lifecycle.DELIVRD: (N_("delivered"), N_("Delivered to the phone.")),
    lifecycle.UNDELIV: (N_("not delivered"), N_("The operator could not deliver the message to the phone.")),
    lifecycle.EXPIRED: (N_("expired"), N_("The phone was off or out of coverage for the whole validity period.")),
    lifecycle.REJECTD: (N_("rejected"), N_("The operator refused the message.")),
    lifecycle.FAILED: (N_("failed"), N_("Delivery failed; the operator gave no reason.")),
    lifecycle.NOREPORT: (
        N_("no report"),
        N_(
            "The operator sent no delivery report within the validity period: "
            "we cannot tell whether the phone received it."
        ),
    ),
    lifecycle.REFUSED: (N_("not sent"), N_("We did not send this message.")),
}

# reason_code → sentence (why we did not send it, or why it ended before it went out).
REASON_TEXTS: dict[str, str] = {
    "invalid_number": N_("Not sent: the number is not a valid phone number."),
    "duplicate": N_("Not sent: the number was already in this campaign."),
    "blocklisted": N_("Not sent: the number is on the blocklist."),
    "opted_out": N_("Not sent: the recipient answered STOP to your messages (opted out)."),
    "insufficient_credit": N_("Not sent: there was not enough credit."),
    "unroutable": N_("Not sent: we have no route to this number's country or network."),
    "expired": N_("Not sent: its validity period ended before it could be sent."),
    "empty_text": N_("Not sent: the text was empty."),
    "too_long": N_("Not sent: the text is longer than the maximum number of parts."),
    "cancelled": N_("Not sent: the campaign was cancelled before this message went out."),
    "rejected_at_submission": N_("The operator refused the message when we handed it over."),
}

# Receipt err: codes (GSM MAP error codes, 3 digits). None: says nothing beyond the status.
RECEIPT_ERROR_TEXTS: dict[str, str | None] = {
    "000": None,  # no error
    "001": N_("The number does not exist on the operator's network or is no longer in use."),
    "005": N_("The operator's network does not know this number."),
    "006": N_("The phone was off or out of coverage."),
    "009": N_("The operator refused the number."),
    "010": N_("The number has no SMS service."),
    "011": N_("The number has no SMS service (for example a landline or a data-only SIM)."),
    "012": N_("The operator has blocked this phone."),
    "013": N_("The operator blocks messages to this number."),
    "015": N_("The number belongs to a closed user group that does not accept these messages."),
    "021": N_("The recipient's network does not support SMS."),
    "027": N_("The phone was off or out of coverage."),
    "031": N_("The phone was busy receiving another message."),
    "032": N_("The phone could not take the message (its memory may be full)."),
    "033": N_("The phone has been unreachable for long and the operator's waiting list for it is full."),
    "034": N_("The operator's network had a system failure."),
    "035": N_("The operator's network is missing data about this number."),
    "036": N_("The operator's network answered with unexpected data."),
    "044": N_("The number has changed."),
    "051": N_("The operator's network was overloaded."),
}

# SMPP command_status of a refused submit_sm (SMPP v3.4 §5.1.3).
SMPP_STATUS_TEXTS: dict[str, str | None] = {
    "0x00000000": None,
    "0x00000001": N_("The operator refused the message: its length is invalid."),
    "0x00000008": N_("The operator's system had an error and refused the message."),
    "0x0000000A": N_("The operator refused the sender ID."),
    "0x0000000B": N_("The operator refused the number: it is not a valid destination."),
    "0x00000014": N_("The operator's queue was full and it refused the message."),
    "0x00000045": N_("The operator refused the message."),
    "0x00000048": N_("The operator refused the sender ID's format."),
    "0x00000049": N_("The operator refused the sender ID's format."),
    "0x00000050": N_("The operator refused the number's format."),
    "0x00000051": N_("The operator refused the number's format."),
    "0x00000058": N_("The operator refused the message because too many were sent at once."),
    "0x00000061": N_("The operator refused the scheduled time."),
    "0x00000062": N_("The operator refused the validity period."),
    "0x00000064": N_("The operator could not take the message for now and refused it."),
    "0x00000065": N_("The operator refused the message for good."),
    "0x00000066": N_("The operator refused the message."),
    "0x000000FE": N_("The operator could not deliver the message."),
    "0x000000FF": N_("The operator refused the message without a reason."),
}

# A code the tables do not know: a sentence per status that names it.
UNKNOWN_CODE_TEXTS: dict[str, str] = {
    lifecycle.UNDELIV: N_(
        "The operator could not deliver the message and gave error code %(code)s, which has no description here."
    ),
    lifecycle.EXPIRED: N_(
        "The phone could not be reached within the validity period (the operator's error code %(code)s)."
    ),
    lifecycle.REJECTD: N_("The operator refused the message with error code %(code)s, which has no description here."),
}
UNKNOWN_CODE_TEXT = N_(
    "The message was not delivered: the operator gave error code %(code)s, which has no description here."
)

FAILURES = frozenset({lifecycle.UNDELIV, lifecycle.EXPIRED, lifecycle.REJECTD, lifecycle.FAILED, lifecycle.NOREPORT})


@dataclass(frozen=True)
class Explanation:
    """What the customer reads, and the raw codes support asks for.

    ``label`` and ``sentence`` are msgids to translate, unless ``literal`` (a route's own text,
    shown as written); ``values`` fill the sentence's placeholders after translation.
    ``kind`` is ok / pending / bad / refused, for the badge's colour.
    """

    label: str
    sentence: str
    status_code: str  # the status as the API and support name it (ENROUTE for submitted)
    code: str | None = None  # the error or reason code, as stored
    kind: str = "bad"
    literal: bool = False
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def raw(self) -> str:
        """``UNDELIV · err:001``, ``REJECTD · 0x0000000B``, ``refused · blocklisted``, ``DELIVRD``."""
        if not self.code:
            return self.status_code
        prefix = "err:" if self.code[:1].isdigit() and not self.code.lower().startswith("0x") else ""
        return f"{self.status_code} · {prefix}{self.code}"


def normalise_code(code: str) -> str:
    """One spelling per code: ``1`` and ``001`` → ``001``; ``0xb`` and ``0x0000000B`` → ``0x0000000B``."""
    code = code.strip()
    if code.lower().startswith("0x"):
        try:
            return f"0x{int(code[2:], 16):08X}"
        except ValueError:
            return code
    if code.isdigit() and len(code) <= 3:
        return code.zfill(3)
    return code


def status_code(status: str) -> str:
    """The status word support and the API use: ENROUTE for a message handed to the operator."""
    return "ENROUTE" if status == lifecycle.SUBMITTED else status


def status_kind(status: str) -> str:
    if status == lifecycle.DELIVRD:
        return "ok"
    if status in lifecycle.PENDING or status == lifecycle.DRAFT:
        return "pending"
    if status == lifecycle.REFUSED:
        return "refused"
    return "bad"


def route_text(overrides: RouteTexts | None, code: str, language: str) -> str | None:
    """The route's own text for ``code`` in ``language`` (or for any language), if it has one."""
    if not overrides:
        return None
    texts = overrides.get(normalise_code(code)) or overrides.get(code)
    if not texts:
        return None
    return texts.get(language) or texts.get(language.split("_")[0]) or texts.get(ANY_LANGUAGE)


def explain(
    status: str,
    reason_code: str | None = None,
    error_code: str | None = None,
    overrides: RouteTexts | None = None,
    language: str = "en",
) -> Explanation:
    """The customer's sentence and the raw code for a message.

    Order: a refused message says why we did not send it; a failed one says what its error
    code means (the route's own text first, then the tables; an unknown code gets a sentence
    naming it); otherwise, and when the code adds nothing (000), the status's own sentence.
    A delivered or pending message is explained by its status alone.
    """
    label, status_sentence = STATUS_TEXTS.get(status, (status, N_("Status %(code)s.")))
    base = Explanation(
        label,
        status_sentence,
        status_code(status),
        kind=status_kind(status),
        values={} if status in STATUS_TEXTS else {"code": status},
    )
    if status == lifecycle.REFUSED:
        if not reason_code:
            return base
        sentence = REASON_TEXTS.get(reason_code)
        if sentence is None:
            return _with(base, N_("Not sent (reason: %(code)s)."), reason_code, values={"code": reason_code})
        return _with(base, sentence, reason_code)
    if status not in FAILURES:
        return _with(base, base.sentence, error_code) if error_code and status == lifecycle.DELIVRD else base
    code = error_code.strip() if error_code and error_code.strip() else None
    if code is None:
        if reason_code in REASON_TEXTS:
            return _with(base, REASON_TEXTS[reason_code], None)
        return base
    own = route_text(overrides, code, language)
    if own:
        return _with(base, own, code, literal=True)
    key = normalise_code(code)
    table = SMPP_STATUS_TEXTS if key.startswith("0x") else RECEIPT_ERROR_TEXTS
    if key in table:
        known = table[key]
        if known is None:  # "no error": the status says it all
            return _with(base, base.sentence, code)
        return _with(base, known, code)
    sentence = UNKNOWN_CODE_TEXTS.get(status, UNKNOWN_CODE_TEXT)
    return _with(base, sentence, code, values={"code": code})


def _with(
    base: Explanation,
    sentence: str,
    code: str | None,
    *,
    literal: bool = False,
    values: Mapping[str, str] | None = None,
) -> Explanation:
    return Explanation(base.label, sentence, base.status_code, code, base.kind, literal, values or {})
