"""One SMPP connection and bind with its reader thread (see smpp.py for the session around it).

The reader thread answers enquire_link, sends enquire_link when the line is idle, matches
submit_sm_resp to the parts waiting for it, holds the receipts of parts whose outcome the
submitting worker has not committed yet (smpp_handoff.py), and hands the other delivery
receipts to the receipt sink before acknowledging them. The hot PDUs are encoded and decoded by
smpp_codec.py (smpp34); smpplib binds and reads the rest.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smpplib import consts, exceptions, smpp
from smpplib.client import Client, SimpleSequenceGenerator

from webapp.connectors import smpp_codec
from webapp.connectors.base import OutgoingPart, Receipt, Reply, RouteDown
from webapp.connectors.smpp_receipts import (
    ESME_RX_T_APPN,
    _text,
    receipt_from_pdu,
    reply_from_pdu,
    store_receipts,
    store_replies,
)
from webapp.domain.smpp_pdu import ESM_DELIVERY_RECEIPT, relative_validity, short_message

if TYPE_CHECKING:
    from webapp.connectors.smpp import SmppSession

# esm_class bits 2-5 of a deliver_sm: 0 a message from a phone, 0x04 a delivery receipt, others
# acknowledgements and intermediate notifications (SMPP 3.4, 5.2.12).
ESM_MESSAGE_TYPE = 0x3C
log = logging.getLogger("webapp.connectors.smpp")


class _Sequence(SimpleSequenceGenerator):
    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def next_sequence(self):
        with self._lock:
            return super().next_sequence()


class _Client(Client):
    """smpplib's client with sends serialised: the reader thread answers PDUs while submitters send."""

    def __init__(self, host, port, timeout):
        super().__init__(host, port, timeout=timeout, sequence_generator=_Sequence(), allow_unknown_opt_params=True)
        self._send_lock = threading.Lock()
        self.reader = smpp_codec.BufferedReader()

    def send_pdu(self, p):
        with self._send_lock:
            return super().send_pdu(p)

    def send_raw(self, data: bytes) -> None:
        """Send an encoded PDU (smpp_codec.py)."""
        with self._send_lock:
            if self._socket is None:
                raise exceptions.ConnectionError()
            try:
                self._socket.sendall(data)
            except OSError as exc:
                raise exceptions.ConnectionError() from exc

    def read_pdu(self):
        """The next PDU, read in large pieces and decoded by smpp_codec (smpplib for the rare kinds)."""
        return smpp_codec.parse(self.reader.read(self._socket), self)

    def readable(self, wait: float) -> bool:
        """A whole PDU is buffered, or the socket has bytes within ``wait`` seconds."""
        return self.reader.has_pdu() or bool(select.select([self._socket], [], [], wait)[0])


@dataclass
class _Waiting:
    part: OutgoingPart
    done: threading.Event = field(default_factory=threading.Event)
    status: int | None = None
    message_id: str = ""
    lost: bool = False
    hold: bool = False  # its receipt is held until the worker recorded its id (smpp_handoff.py)


def _address(sender: str) -> tuple[int, int, str]:
    """(ton, npi, addr): alphanumeric senders TON 5; long numbers international; short codes national."""
    digits = sender.lstrip("+")
    if not digits.isdigit():
        return 5, 0, sender
    return (1, 1, digits) if len(digits) > 8 else (0, 1, digits)


class _Link:
    """One TCP connection and bind, with its reader thread."""

    def __init__(self, session: SmppSession, mode: str):
        self.session, self.mode = session, mode
        self.client: _Client | None = None
        self.pending: dict[int, _Waiting] = {}
        self.slots = threading.BoundedSemaphore(session.window)
        self.alive = False
        self.last_heard = time.monotonic()
        self.enquiry_sent_at: float | None = None
        self.enquiry_answered = threading.Event()

    def open(self) -> None:
        spec = self.session.spec
        client = _Client(spec.host, spec.port, timeout=self.session.timeout)
        try:
            client.connect()
            getattr(client, f"bind_{self.mode}")(
                system_id=spec.username,
                password=spec.password,
                system_type=spec.param("system_type", ""),
                interface_version=0x34,
            )
        except (exceptions.ConnectionError, exceptions.PDUError, OSError) as exc:
            client.disconnect()
            reason = exc.args[0] if exc.args else "connection refused"
            raise RouteDown(f"{self.mode} bind to {spec.host}:{spec.port} failed: {reason}") from None
        self.client, self.alive, self.last_heard = client, True, time.monotonic()
        threading.Thread(target=self._read_loop, name=f"smpp-{self.session.route_id}-{self.mode}", daemon=True).start()

    # -- submitting -------------------------------------------------------------------
    def send_submit(self, part: OutgoingPart, registered_delivery: int, hold: bool = False) -> _Waiting:
        data, data_coding, esm_class = short_message(
            part.text, part.encoding, part.message_id, part.total, part.seq, flash=part.flash
        )
        ton, npi, source = _address(part.sender)
        sequence = self.client.sequence_generator.next_sequence()
        pdu = smpp_codec.submit_sm(
            sequence,
            source_addr_ton=ton,
            source_addr_npi=npi,
            source_addr=source,
            dest_addr_ton=1,
            dest_addr_npi=1,
            destination_addr=part.to.lstrip("+"),
            esm_class=esm_class,
            data_coding=data_coding,
            short_message=data,
            registered_delivery=registered_delivery,
            validity_period=relative_validity(part.validity_seconds),
        )
        waiting = _Waiting(part, hold=hold)
        self.pending[sequence] = waiting
        try:
            self.client.send_raw(pdu)
        except (exceptions.ConnectionError, OSError):
            self._lost("send failed")
        return waiting

    # -- reading ----------------------------------------------------------------------
    def _read_loop(self) -> None:
        client = self.client
        try:
            while self.alive and client._socket is not None:
                if not client.readable(0.5):
                    self._keep_alive()
                    continue
                pdu = client.read_pdu()
                self.last_heard, self.enquiry_sent_at = time.monotonic(), None
                if pdu.command == "deliver_sm":
                    self._deliveries([pdu] + self._more_deliveries())
                else:
                    self._dispatch(pdu)
        except (exceptions.ConnectionError, exceptions.PDUError, OSError, ValueError, TypeError) as exc:
            if self.alive:
                log.warning(
                    "SMPP route %s (%s): connection lost: %s",
                    self.session.route_id,
                    self.mode,
                    exc or "closed by the SMSC",
                )
        finally:
            self._lost("connection lost")

    def _more_deliveries(self, limit: int = 200) -> list:
        """Receipts already waiting on the socket are stored together (one transaction)."""
        more = []
        while len(more) < limit and self.client.readable(0):
            pdu = self.client.read_pdu()
            if pdu.command == "deliver_sm":
                more.append(pdu)
            else:
                self._dispatch(pdu)
        return more

    def _dispatch(self, pdu) -> None:
        if pdu.command in ("submit_sm_resp", "generic_nack"):
            waiting = self.pending.pop(pdu.sequence, None)
            if waiting is not None:
                waiting.status, waiting.message_id = int(pdu.status), _text(getattr(pdu, "message_id", None))
                if waiting.hold and waiting.status == consts.SMPP_ESME_ROK:  # its receipt may come first
                    self.session.in_flight.submitted(waiting.part, waiting.message_id)
                waiting.done.set()
                self.slots.release()
        elif pdu.command == "enquire_link":
            resp = smpp.make_pdu("enquire_link_resp", client=self.client)
            resp.sequence = pdu.sequence
            self.client.send_pdu(resp)
        elif pdu.command == "unbind":
            resp = smpp.make_pdu("unbind_resp", client=self.client)
            resp.sequence = pdu.sequence
            self.client.send_pdu(resp)
            self.alive = False
        elif pdu.command == "enquire_link_resp":
            self.enquiry_answered.set()
        elif pdu.command != "unbind_resp":
            log.info("SMPP route %s: %s ignored", self.session.route_id, pdu.command)

    def _deliveries(self, pdus: list) -> None:
        receipts: list[tuple[int, Receipt]] = []
        replies: list[tuple[int, Reply]] = []
        statuses = {}
        for pdu in pdus:
            statuses[pdu.sequence] = consts.SMPP_ESME_ROK
            kind = (pdu.esm_class or 0) & ESM_MESSAGE_TYPE
            if kind == 0:  # a reply (MO): stored, then answered
                replies.append((pdu.sequence, reply_from_pdu(pdu)))
                continue
            if not kind & ESM_DELIVERY_RECEIPT:  # an SME or user acknowledgement, an intermediate notice
                log.info(
                    "SMPP route %s: deliver_sm of esm_class %#x acknowledged, not kept",
                    self.session.route_id,
                    pdu.esm_class,
                )
                continue
            try:
                receipt = receipt_from_pdu(pdu)
                if self.session.in_flight.hold(self, pdu.sequence, receipt):
                    del statuses[pdu.sequence]  # answered once the submitting worker has recorded it
                    continue
                receipts.append((pdu.sequence, receipt))
            except Exception:  # never: read_receipt takes any bytes; acknowledged, not retried for ever
                log.exception(
                    "SMPP route %s: unreadable receipt %r", self.session.route_id, getattr(pdu, "short_message", None)
                )
        if receipts:
            for sequence in self._store([r for _, r in receipts], [seq for seq, _ in receipts]):
                statuses[sequence] = ESME_RX_T_APPN
        if replies:
            for sequence in store_replies(self.session.route_id, [r for _, r in replies], [s for s, _ in replies]):
                statuses[sequence] = ESME_RX_T_APPN
        self.client.send_raw(b"".join(smpp_codec.deliver_sm_resp(seq, status) for seq, status in statuses.items()))

    def answer(self, sequences_and_statuses) -> None:
        """deliver_sm_resp for held receipts, from the submitting worker's thread; on a lost bind
        nothing is sent (the SMSC sends those receipts again)."""
        try:
            self.client.send_raw(
                b"".join(smpp_codec.deliver_sm_resp(seq, status) for seq, status in sequences_and_statuses)
            )
        except (exceptions.ConnectionError, exceptions.PDUError, OSError, AttributeError) as exc:
            log.info(
                "SMPP route %s: held receipts not answered (%s); the SMSC sends them again", self.session.route_id, exc
            )

    def _store(self, receipts: list[Receipt], sequences: list[int]) -> list[int]:
        return store_receipts(self.session.route_id, receipts, sequences)

    def _keep_alive(self) -> None:
        self.session.receipts_recorded([], True)  # what was held for a worker that never came back
        now = time.monotonic()
        if self.enquiry_sent_at is not None and now - self.enquiry_sent_at > self.session.timeout:
            raise exceptions.ConnectionError("enquire_link not answered")
        if self.enquiry_sent_at is None and now - self.last_heard > self.session.enquire_interval:
            self.enquiry_sent_at = now
            self.client.send_pdu(smpp.make_pdu("enquire_link", client=self.client))

    def _lost(self, reason: str) -> None:
        self.alive = False
        self.session.in_flight.drop_link(self)
        for sequence in list(self.pending):
            waiting = self.pending.pop(sequence, None)
            if waiting is not None:
                waiting.lost = True
                waiting.done.set()
                self.slots.release()
        client = self.client
        if client is not None and client._socket is not None:
            sock, client._socket, client.state = client._socket, None, consts.SMPP_CLIENT_STATE_CLOSED
            try:
                sock.close()
            except OSError:
                pass

    def close(self) -> None:
        if self.alive and self.client is not None:
            try:
                self.client.send_pdu(smpp.make_pdu("unbind", client=self.client))
                time.sleep(0.05)
            except (exceptions.ConnectionError, exceptions.PDUError, OSError):
                pass
        self._lost("closed")
