"""submit_sm from a customer's SMPP bind (issue 21), through the same rules as the HTTP API:
sender approval, blocklists and opt-outs, pricing, spend caps, the ledger's reservation.

The server hands over the submits it has read (a concatenated message already joined) in
arrival order; consecutive ones with the same text, sender and options go in one
``sending.accept`` (bulk traffic over SMPP is mostly one text to many numbers), each group in
its own transaction, so a refusal that rolls back (a spend cap) never takes another group's
messages with it. Each submit gets our message id or the command status that says why not.
Commits (one transaction per group); the caller hands the queued ids to the workers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy.orm import Session

from webapp.domain import lifecycle
from webapp.domain import smpp_server_pdu as pdu
from webapp.models import Message, User
from webapp.services import sending
from webapp.services.errors import ServiceError
from webapp.services.smpp_binds import Bound

DEFAULT_VALIDITY = sending.DEFAULT_VALIDITY
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submit:
    """One message a bind submitted (its segments joined), as the server read it."""

    sequence: int
    source_addr: str
    destination_addr: str
    text: str
    wants_receipt: bool = False  # registered_delivery asked for a final receipt
    validity: timedelta = DEFAULT_VALIDITY
    send_at: datetime | None = None  # schedule_delivery_time
    flash: bool = False  # data_coding said message class 0


@dataclass(frozen=True)
class Answer:
    sequence: int
    status: int  # ESME_ROK or why not
    message_id: str | None = None


@dataclass
class Outcome:
    answers: list[Answer] = field(default_factory=list)
    # message ids to hand to the workers, by when they are due (None: now)
    queued: list[tuple[list[int], datetime | None]] = field(default_factory=list)


def accept(session: Session, credential: Bound, submits: list[Submit], shared_sender: str, max_parts: int) -> Outcome:
    """Accept these submits as the bound credential's user; one answer per submit, in their order."""
    outcome = Outcome()
    key = lambda s: (s.source_addr, s.text, s.wants_receipt, s.validity, s.send_at, s.flash)  # noqa: E731
    groups = [list(group) for _, group in groupby(submits, key=key)]
    for n, batch in enumerate(groups):
        first = batch[0]
        submission = sending.Submission(
            to=[s.destination_addr for s in batch],
            text=first.text,
            sender=first.source_addr or shared_sender,
            validity=first.validity,
            send_at=first.send_at,
            max_parts=max_parts,
            shared_sender=shared_sender,
            callback_endpoint_id=credential.endpoint_id if first.wants_receipt else None,
            flash=first.flash,
        )
        try:
            user = session.get_one(User, credential.user_id)  # again after each commit or rollback
            messages = sending.accept(session, user, submission)
            answers = list(_answers(batch, messages))
            session.commit()
        except ServiceError as exc:
            session.rollback()
            status = refusal_status(exc)
            answers = [Answer(s.sequence, status) for s in batch]
        except Exception:
            # The database went away: this group and the rest are not accepted (a system error,
            # to try again); the groups committed before keep their ids, charged and queued.
            session.rollback()
            log.exception("%d SMPP submits not accepted", sum(len(g) for g in groups[n:]))
            outcome.answers += [Answer(s.sequence, pdu.ESME_RSYSERR) for g in groups[n:] for s in g]
            return outcome
        outcome.answers += answers
        queued = [int(a.message_id) for a in answers if a.message_id is not None]
        if queued:
            outcome.queued.append((queued, first.send_at))
    return outcome


def _answers(batch: list[Submit], messages: list[Message]) -> Iterator[Answer]:
    for submit, message in zip(batch, messages):
        if message.status == lifecycle.QUEUED:
            yield Answer(submit.sequence, pdu.ESME_ROK, str(message.id))
        else:
            yield Answer(submit.sequence, pdu.REFUSAL_STATUS.get(message.reason_code or "", pdu.ESME_RSUBMITFAIL))


def refusal_status(exc: ServiceError) -> int:
    """The command status of a submission refused as a whole."""
    if isinstance(exc, sending.TextTooLong) or "text" in exc.field_errors:
        return pdu.ESME_RINVMSGLEN
    if "sender" in exc.field_errors:
        return pdu.ESME_RINVSRCADR
    if "to" in exc.field_errors:  # a spend cap: no money for it
        return pdu.ESME_RNOCREDIT
    return pdu.ESME_RSUBMITFAIL
