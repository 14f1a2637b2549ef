"""What every upstream route offers the sending workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class RouteDown(Exception):
    """The route cannot take messages now (connection refused, throttled): retry later.

    ``results`` are the parts of the failed call that did reach the SMSC (or were refused by
    it for good); ``uncertain`` are submission keys sent with no answer: they may have gone
    upstream, so they are never sent again. Every other part of the call was not sent.
    ``pause``: the provider throttles; seconds the whole route waits before its next part."""

    def __init__(
        self,
        message: str,
        results: list[SubmitResult] | None = None,
        uncertain: list[str] | None = None,
        pause: float | None = None,
    ):
        super().__init__(message)
        self.results = list(results or [])
        self.uncertain = list(uncertain or [])
        self.pause = pause


@dataclass(frozen=True)
class OutgoingPart:
    submission_key: str  # unique, claimed in the database before submission
    message_id: int
    sender: str
    to: str  # E.164
    text: str  # this part's text, from sms_text.split()
    encoding: str  # GSM-7 | UCS-2
    seq: int  # 1-based
    total: int
    validity_seconds: int
    flash: bool = False  # message class 0: shown on the screen, not stored in the phone


@dataclass(frozen=True)
class SubmitResult:
    submission_key: str
    upstream_id: str | None = None
    error_code: str | None = None  # the SMSC refused this part for good (not retried)
    error: str | None = None
    # HTTP routes send a message whole: the SMS the provider counted for it (None: not said).
    provider_parts: int | None = None


@dataclass(frozen=True)
class Receipt:
    upstream_id: str  # "" when the receipt names none (kept as unreadable)
    stat: str  # DELIVRD, UNDELIV, EXPIRED, REJECTD …
    error_code: str | None = None
    raw: str = ""  # the receipt as received, readable and safe to store
    done_at: datetime | None = None
    # The number the receipt is about (a deliver_sm's source_addr); checked against the part's
    # recipient before the receipt settles it. None: the route does not say (no check).
    source_addr: str | None = None


@dataclass(frozen=True)
class Reply:
    """A message a phone sent to one of our numbers (MO), as the route hands it over: its text
    already read (``text``), or its short_message bytes with their data_coding and esm_class
    (a segment of a long reply carries its UDH there, or its SAR TLVs in ``sar``)."""

    from_number: str
    to_address: str
    text: str | None = None
    short_message: bytes = b""
    data_coding: int = 0
    esm_class: int = 0
    sar: tuple[int, int, int] | None = None  # (reference, total, number) from the SAR TLVs
    upstream_key: str | None = None  # unique on the route when the route has one
    received_at: datetime | None = None


@dataclass(frozen=True)
class AwaitedReport:
    """A message sent over an HTTP route whose report a status request asks for."""

    message_id: int
    upstream_id: str
    to: str  # E.164


@dataclass(frozen=True)
class PolledReport:
    """What the provider said of one awaited message: ``stat`` our final status, None while
    it is not final (``word`` keeps the provider's own status, ``raw`` its whole answer)."""

    message_id: int
    word: str
    stat: str | None
    error_code: str | None = None
    raw: str = ""


class PollFailed(RouteDown):
    """A status request failed (the provider is down, throttles, or answered nonsense): the
    reports in ``reports`` were read before it; the other messages are asked again later.
    ``retry_after``: seconds the provider asked us to wait, when it said."""

    def __init__(self, message: str, reports: list[PolledReport] | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.reports = list(reports or [])
        self.retry_after = retry_after


class Connector(Protocol):
    def submit(self, parts: list[OutgoingPart]) -> list[SubmitResult]: ...

    def poll(self) -> list[Receipt]: ...

    def check(self) -> str:
        """Connect (bind) and say what is there; raises RouteDown when it cannot."""
        ...

    def close(self) -> None: ...
