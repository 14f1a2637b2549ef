"""SMSC.ru's HTTP API (English mirror smscentre.com): its answers read into our lifecycle.

Plain rules for the SMSC.ru connector (issue 23): what a ``send.php`` answer and a
``status.php`` answer say, with ``fmt=3`` (JSON), and what each documented code means for a
message. The raw code is always kept (``StatusReading.code``, ``SendError.code``) so support
can read what the provider said; the meaning is a short English text for logs and the admin,
not a customer sentence (those are in ``delivery_reasons``).

Documentation (read for this module; smsc.ru/api/http/… is the same text in Russian):

- send answer and its error codes:
  https://smscentre.com/api/http/send/sms/sms_answer/
- status request (one message, or several: ``id`` and ``phone`` comma-separated, in the same
  order; a single message may be asked in the batch form with a trailing comma):
  https://smscentre.com/api/http/status_messages/
- status answer and the status request's error codes:
  https://smscentre.com/api/http/status_messages/status_answer/
- status codes: https://smscentre.com/api/http/status_messages/statuses/
- delivery error codes (the ``err`` field; the same table for SMPP):
  https://smscentre.com/api/smpp/errors/

Answers, ``fmt=3``:

- send, success: ``{"id": <id>, "cnt": <n>}`` (with ``cost=2``/``3`` also ``"cost"`` and
  ``"balance"``, as strings); ``cnt`` is the number of SMS the provider counted (parts × phones).
- send, error: ``{"error": "<text>", "error_code": N}``; for errors 3, 6, 7 and 8 the message
  was registered upstream and the answer also carries its ``"id"``.
- status, one message: ``{"status": N, "last_date": "dd.mm.yyyy hh:mm:ss",
  "last_timestamp": T, "flag": F, "err": E}``; several: a list of those, each with its
  ``"id"`` and ``"phone"``.
- status, error: ``{"error": "<text>", "error_code": N}``.

Decisions:

- A status is final when the provider says it will not change: 1 (delivered), 2 (read: e-mail)
  and 4 (delivered, and the short link was clicked) are DELIVRD; 3 is EXPIRED; 20 (could not
  be delivered) and 25 (the number takes no SMS, or no route to its operator) are UNDELIV;
  22 (wrong number) and 23 (prohibited: spam filter, duplicates, flood, stop list, sender
  name) are REJECTD: the provider refused it; 24 (no funds on *our* account at the provider)
  is FAILED: neither the recipient's nor the operator's doing, flagged ``account_problem``.
- -1 (waiting to be sent), 0 (handed to the operator) and -2 (stopped: a paused mailing) are
  not final. -3 (message not found) is not final either: right after sending, or when the
  provider reformatted the number, a message may not be found yet; polling goes on and,
  without a final answer, the validity period ends it as NOREPORT as for any route.
- An undocumented status code: the provider numbers its failures from 20 on, so a code of 20
  or more counts as FAILED (as an unknown receipt word does in ``lifecycle``); a lower one
  keeps the message waiting. ``known`` says which.
- send.php errors: 4 (IP blocked for frequent errors) and 9 (too many identical or concurrent
  requests) are *throttled*: pause the route and send again later. 2 (wrong login/password,
  or an IP address not allowed) and 3 (not enough funds on our account) are *account*
  problems: the route cannot send, the message waits (or goes another way); not the
  message's fault. 1 (parameter error), 5 (wrong date format), 6 (message prohibited by text
  or sender name), 7 (wrong number format) and 8 (cannot be delivered to this number) are
  *refused*: this message will never be taken, sending it again gives the same answer; it
  ends REJECTD as refused at submission. An undocumented code is refused as well (kept raw).
- Parsing is strict on what decides a message's fate (``id``, ``status``, ``error_code``:
  a number, or a string of one) and lenient on what only informs (``cnt``, ``cost``,
  ``balance``, ``last_timestamp``: None when absent or unreadable). A malformed answer raises
  :class:`MalformedAnswer`, never a guessed outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from webapp.domain import lifecycle

DOCS_SEND_ANSWER = "https://smscentre.com/api/http/send/sms/sms_answer/"
DOCS_STATUS_ANSWER = "https://smscentre.com/api/http/status_messages/status_answer/"
DOCS_STATUSES = "https://smscentre.com/api/http/status_messages/statuses/"

# status code → (our final status, or None while not final; the provider's meaning)
STATUSES: dict[int, tuple[str | None, str]] = {
    -3: (None, "message not found (for this phone number and id)"),
    -2: (None, "stopped (a paused mailing; not yet handed to the operator)"),
    -1: (None, "waiting to be sent"),
    0: (None, "handed to the operator"),
    1: (lifecycle.DELIVRD, "delivered"),
    2: (lifecycle.DELIVRD, "read (e-mail)"),
    3: (lifecycle.EXPIRED, "expired: not delivered within its lifetime"),
    4: (lifecycle.DELIVRD, "delivered, and the link in it was clicked"),
    20: (lifecycle.UNDELIV, "could not be delivered"),
    22: (lifecycle.REJECTD, "wrong number"),
    23: (lifecycle.REJECTD, "prohibited (spam filter, duplicate, flood, stop list or sender name)"),
    24: (lifecycle.FAILED, "not enough funds on the account at the provider"),
    25: (lifecycle.UNDELIV, "number unavailable (takes no SMS, or no route to its operator)"),
}
# Codes from which an undocumented status counts as a failure (the provider's failures start at 20).
FIRST_FAILURE_CODE = 20
# Final states that are the account's doing at the provider, not the recipient's nor the operator's.
ACCOUNT_PROBLEM_STATUSES = frozenset({24})

ErrorKind = Literal["refused", "account", "throttled"]

# send.php error_code → (kind, meaning)
SEND_ERRORS: dict[int, tuple[ErrorKind, str]] = {
    1: ("refused", "error in parameters"),
    2: ("account", "wrong login or password, or a request from an IP address not allowed"),
    3: ("account", "not enough funds on the account at the provider"),
    4: ("throttled", "IP address temporarily blocked after frequent errors in requests"),
    5: ("refused", "wrong date format"),
    6: ("refused", "message prohibited (by its text or its sender name)"),
    7: ("refused", "wrong phone number format"),
    8: ("refused", "the message cannot be delivered to this number"),
    9: ("throttled", "too many identical or concurrent requests"),
}
# status.php error_code → (kind, meaning). Every one means "ask again later"; throttled: back off.
STATUS_ERRORS: dict[int, tuple[ErrorKind, str]] = {
    1: ("refused", "error in parameters"),
    2: ("account", "wrong login or password, or a request from an IP address not allowed"),
    4: ("throttled", "IP address temporarily blocked"),
    5: ("refused", "error deleting a message"),
    9: ("throttled", "too many status requests for one message, or too many concurrent requests"),
}


class MalformedAnswer(ValueError):
    """The provider's answer is not of the documented shape: nothing can be concluded from it."""


@dataclass(frozen=True)
class StatusReading:
    """One message's status as status.php gave it."""

    code: str  # the raw status code, e.g. "-1", "1", "20"
    status: str | None  # our final status, None while not final
    meaning: str
    known: bool = True  # a documented code
    err: str | None = None  # the raw delivery error code (``err``), if the answer has one
    last_timestamp: int | None = None
    last_date: str | None = None
    id: str | None = None  # in a batch answer: which message
    phone: str | None = None

    @property
    def final(self) -> bool:
        return self.status is not None

    @property
    def account_problem(self) -> bool:
        """Final for a reason on our side at the provider (no funds): alert, do not blame the number."""
        return self.known and int(self.code) in ACCOUNT_PROBLEM_STATUSES


@dataclass(frozen=True)
class SendError:
    """What a send.php (or status.php) error code means for the message and the route."""

    code: int
    kind: ErrorKind
    meaning: str
    known: bool = True

    @property
    def retryable(self) -> bool:
        """The same request may succeed later (throttled) or after the account is fixed."""
        return self.kind != "refused"

    @property
    def status(self) -> str | None:
        """The message's final status when the error ends it (refused), else None."""
        return lifecycle.REJECTD if self.kind == "refused" else None

    @property
    def raw(self) -> str:
        return str(self.code)


@dataclass(frozen=True)
class SendAnswer:
    """A send.php answer: the message's id at the provider and what it counted, or an error."""

    id: str | None
    parts: int | None = None  # ``cnt``: SMS the provider counted (parts × phones)
    cost: Decimal | None = None
    balance: Decimal | None = None
    error: SendError | None = None
    error_text: str | None = None  # the provider's own wording, as given

    @property
    def ok(self) -> bool:
        return self.error is None


class StatusRequestFailed(Exception):
    """status.php answered with an error instead of statuses."""

    def __init__(self, error: SendError, text: str | None = None):
        super().__init__(f"SMSC.ru status error {error.code}: {text or error.meaning}")
        self.error = error
        self.text = text


def status_of(code: int) -> StatusReading:
    """Our reading of a status code (see the module's decisions for undocumented codes)."""
    if code in STATUSES:
        status, meaning = STATUSES[code]
        return StatusReading(code=str(code), status=status, meaning=meaning)
    if code >= FIRST_FAILURE_CODE:
        return StatusReading(code=str(code), status=lifecycle.FAILED, meaning="undocumented failure", known=False)
    return StatusReading(code=str(code), status=None, meaning="undocumented status", known=False)


def send_error(code: int) -> SendError:
    """What a send.php error code means; an undocumented one refuses the message."""
    if code in SEND_ERRORS:
        kind, meaning = SEND_ERRORS[code]
        return SendError(code=code, kind=kind, meaning=meaning)
    return SendError(code=code, kind="refused", meaning="undocumented error", known=False)


def status_error(code: int) -> SendError:
    """What a status.php error code means; an undocumented one is treated as a parameter error."""
    if code in STATUS_ERRORS:
        kind, meaning = STATUS_ERRORS[code]
        return SendError(code=code, kind=kind, meaning=meaning)
    return SendError(code=code, kind="refused", meaning="undocumented error", known=False)


def _number(value: object, name: str) -> int:
    """An integer from a JSON number or a string of one (PHP answers either); else malformed."""
    if isinstance(value, bool):
        raise MalformedAnswer(f"{name} is not a number: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise MalformedAnswer(f"{name} is not a number: {value!r}")


def _optional_number(value: object) -> int | None:
    try:
        return None if value is None else _number(value, "")
    except MalformedAnswer:
        return None


def _amount(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _text(value: object) -> str | None:
    """An identifier or a short text: strings and numbers as written, anything else None."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    text = str(value).strip()
    return text or None


def _mapping(answer: object) -> Mapping[str, object]:
    if not isinstance(answer, Mapping):
        raise MalformedAnswer(f"expected an object, got {type(answer).__name__}")
    return answer


def parse_send_answer(answer: object) -> SendAnswer:
    """A send.php ``fmt=3`` answer (the decoded JSON)."""
    data = _mapping(answer)
    if "error_code" in data or "error" in data:
        if "error_code" not in data:
            raise MalformedAnswer("an error without its error_code")
        error = send_error(_number(data["error_code"], "error_code"))
        return SendAnswer(id=_text(data.get("id")), error=error, error_text=_text(data.get("error")))
    upstream_id = _text(data.get("id"))
    if upstream_id is None:
        raise MalformedAnswer("neither an id nor an error")
    return SendAnswer(
        id=upstream_id,
        parts=_optional_number(data.get("cnt")),
        cost=_amount(data.get("cost")),
        balance=_amount(data.get("balance")),
    )


def _reading(item: Mapping[str, object]) -> StatusReading:
    if "status" not in item:
        raise MalformedAnswer("a status answer without its status")
    reading = status_of(_number(item["status"], "status"))
    return StatusReading(
        code=reading.code,
        status=reading.status,
        meaning=reading.meaning,
        known=reading.known,
        err=_text(item.get("err")),
        last_timestamp=_optional_number(item.get("last_timestamp")),
        last_date=_text(item.get("last_date")),
        id=_text(item.get("id")),
        phone=_text(item.get("phone")),
    )


def _raise_if_error(data: Mapping[str, object]) -> None:
    if "error_code" in data:
        code = _number(data["error_code"], "error_code")
        raise StatusRequestFailed(status_error(code), _text(data.get("error")))
    if "error" in data and "status" not in data:
        raise MalformedAnswer("an error without its error_code")


def parse_status_answer(answer: object) -> list[StatusReading]:
    """A status.php ``fmt=3`` answer: one object (one message) or a list (several), in order.

    Raises :class:`StatusRequestFailed` when the provider answered with an error, and
    :class:`MalformedAnswer` when the answer (or any item of a batch) is not readable.
    """
    if isinstance(answer, list):
        items = [_mapping(item) for item in answer]
    else:
        items = [_mapping(answer)]
    readings = []
    for item in items:
        _raise_if_error(item)
        readings.append(_reading(item))
    return readings
