"""SMPP 3.4 routes with smpplib.

    smpp://system_id:password@host:port?tps=100&bind=transceiver&window=50&enquire_link=30s

Each worker process keeps one long-lived session per route (module registry): a bind
(transceiver, or transmitter plus a receiver bind with ``bind=transmitter``) with its own
reader thread that answers enquire_link, sends enquire_link when the line is idle, matches
submit_sm_resp to the parts waiting for it, and hands delivery receipts to the *receipt
sink* the worker registered (it stores them in the database) before acknowledging them:
a receipt that cannot be stored is answered with a temporary error, so the SMSC sends it
again, and a receipt for a part whose id is not yet committed is kept by the sink. A receipt
is read whatever its bytes (UCS-2 text, NULs, garbage: see ``smpp_pdu.read_receipt``); one
without an id or a state is kept as unreadable and acknowledged; when a batch cannot be
stored, its receipts are stored one by one, so one bad receipt never holds back the others.

Submission keeps at most ``window`` submit_sm outstanding. Throttling answers
(ESME_RTHROTTLED, ESME_RMSGQFUL) pause the route and resend the part; when the route is
still throttled, or the bind is lost, :class:`RouteDown` carries the parts that did go
upstream (their results) and those whose fate is unknown (sent, no answer): the latter are
never sent again. Lost binds are re-established with exponential backoff.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time

from smpplib import consts, smpp

from webapp.connectors.base import OutgoingPart, Receipt, RouteDown, SubmitResult
from webapp.connectors.smpp_handoff import InFlight
from webapp.connectors.smpp_link import _Link
from webapp.connectors.smpp_receipts import ESME_RX_T_APPN, store_receipts
from webapp.domain.routing import RouteSpec, parse_duration

log = logging.getLogger(__name__)

THROTTLED = {0x58: "ESME_RTHROTTLED", 0x14: "ESME_RMSGQFUL"}
RECEIPT_WAIT = 0.05  # seconds a batch waits for the rest of its instant receipts (smpp_handoff.py)


class SmppSession:
    """The long-lived bind(s) of one route in this process; reconnects with backoff."""

    def __init__(self, route_id: int, spec: RouteSpec):
        self.route_id, self.spec = route_id, spec
        self.window = max(1, int(spec.param("window", "50")))
        self.mode = spec.param("bind", "transceiver")
        if self.mode not in ("transceiver", "transmitter"):
            raise RouteDown(f"bind must be transceiver or transmitter, not '{self.mode}'")
        self.enquire_interval = parse_duration(spec.param("enquire_link", "30s"))
        self.timeout = parse_duration(spec.param("timeout", "10s"))
        self.throttle_budget = parse_duration(spec.param("throttle_wait", "30s"))
        self.links: list[_Link] = []
        self.in_flight = InFlight()
        self.failures, self.retry_at, self.last_error = 0, 0.0, ""
        self._lock = threading.Lock()

    @property
    def bound(self) -> bool:
        return bool(self.links) and all(link.alive for link in self.links)

    def ensure_bound(self) -> _Link:
        with self._lock:
            if self.bound:
                return self.links[0]
            for link in self.links:
                link.close()
            self.links = []
            wait = self.retry_at - time.monotonic()
            if wait > 0:
                raise RouteDown(f"{self.last_error}; reconnecting in {wait:.0f}s")
            modes = ["transceiver"] if self.mode == "transceiver" else ["transmitter", "receiver"]
            try:
                for mode in modes:
                    link = _Link(self, mode)
                    link.open()
                    self.links.append(link)
            except RouteDown as exc:
                for link in self.links:
                    link.close()
                self.links = []
                self.failures += 1
                self.last_error = str(exc)
                self.retry_at = time.monotonic() + min(60.0, 2.0 ** (self.failures - 1))
                raise
            self.failures, self.last_error = 0, ""
            return self.links[0]

    def submit(self, parts: list[OutgoingPart], hold_receipts: bool = False) -> list[SubmitResult]:
        """``hold_receipts``: the caller will record the results and then call receipts_recorded()."""
        results: list[SubmitResult] = []
        uncertain: list[str] = []
        todo, pause, waited = list(parts), 0.5, 0.0
        while todo:
            link = self._bound_or_down(results, uncertain)
            throttled: list[OutgoingPart] = []
            waiting = []
            for part in todo:
                if not link.slots.acquire(timeout=self.timeout) or not link.alive:
                    break
                waiting.append(link.send_submit(part, registered_delivery=1, hold=hold_receipts))
            sent_keys = {w.part.submission_key for w in waiting}
            not_sent = [p for p in todo if p.submission_key not in sent_keys]
            deadline = time.monotonic() + self.timeout
            for w in waiting:
                if not w.done.wait(max(0.0, deadline - time.monotonic())) or w.lost:
                    uncertain.append(w.part.submission_key)  # sent; the answer never came
                elif w.status == consts.SMPP_ESME_ROK:
                    results.append(SubmitResult(w.part.submission_key, upstream_id=w.message_id))
                elif w.status in THROTTLED:
                    throttled.append(w.part)
                else:
                    results.append(
                        SubmitResult(
                            w.part.submission_key,
                            error_code=f"0x{w.status:08X}",
                            error=consts.DESCRIPTIONS.get(w.status, "refused by the SMSC"),
                        )
                    )
            if uncertain or not_sent:
                raise RouteDown(
                    f"SMPP bind lost while submitting ({len(uncertain)} parts without an answer)",
                    results=results,
                    uncertain=uncertain,
                )
            todo = throttled
            if todo:
                if waited >= self.throttle_budget:
                    raise RouteDown(
                        f"the SMSC keeps answering {THROTTLED.get(waiting[0].status, 'throttled')}",
                        results=results,
                        uncertain=uncertain,
                    )
                time.sleep(pause)  # throttling answers slow the route down
                waited += pause
                pause = min(pause * 2, 5.0)
        return results

    def take_receipts(self, keys: list[str]) -> dict[str, list[Receipt]]:
        """Receipts that came for these parts before their outcome was committed (see
        smpp_handoff.py): the caller records them with the outcome."""
        return self.in_flight.take(keys, wait=RECEIPT_WAIT)

    def receipts_recorded(self, keys: list[str], recorded: bool) -> None:
        """The caller's transaction for these parts ended (committed when ``recorded``): held
        receipts it recorded are answered; the others are stored the usual way, then answered."""
        acknowledge, store = self.in_flight.finish(keys, recorded)
        by_link: dict[object, list] = {}
        for held in acknowledge:
            by_link.setdefault(held.link, []).append((held.sequence, consts.SMPP_ESME_ROK))
        if store:
            failed = set(store_receipts(self.route_id, [h.receipt for h in store], [h.sequence for h in store]))
            for held in store:
                by_link.setdefault(held.link, []).append(
                    (held.sequence, ESME_RX_T_APPN if held.sequence in failed else consts.SMPP_ESME_ROK)
                )
        for link, answers in by_link.items():
            link.answer(answers)

    def _bound_or_down(self, results, uncertain) -> _Link:
        try:
            return self.ensure_bound()
        except RouteDown as exc:
            raise RouteDown(str(exc), results=results, uncertain=uncertain) from None

    def close(self) -> None:
        with self._lock:
            for link in self.links:
                link.close()
            self.links = []


_sessions: dict[int, SmppSession] = {}
_registry_lock = threading.Lock()


def session_for(route_id: int, spec: RouteSpec) -> SmppSession:
    with _registry_lock:
        session = _sessions.get(route_id)
        if session is None or session.spec != spec:
            if session is not None:
                session.close()
            if not _sessions:
                atexit.register(close_all)
            session = _sessions[route_id] = SmppSession(route_id, spec)
        return session


def close_all() -> None:
    with _registry_lock:
        for session in _sessions.values():
            session.close()
        _sessions.clear()


def forget_after_fork() -> None:
    """In a forked child (webapp.extensions' at-fork hook): close this process's copies of the
    parent's bind sockets, without an unbind (the binds are the parent's), and start empty."""
    global _registry_lock
    _registry_lock = threading.Lock()  # another thread may have held it at the fork
    for session in list(_sessions.values()):
        session._lock = threading.Lock()
        for link in session.links:
            link.alive = False
            client = link.client
            sock = getattr(client, "_socket", None)
            if sock is not None:
                client._socket, client.state = None, consts.SMPP_CLIENT_STATE_CLOSED
                try:
                    sock.close()  # close(2) of the child's fd only: no FIN while the parent holds it
                except OSError:
                    pass
        session.links = []
    _sessions.clear()


class SmppConnector:
    """The handle the sending code uses; the session behind it outlives the job."""

    keeps_bind = True  # a successful poll() means the route is bound

    def __init__(self, route_id: int, spec: RouteSpec):
        self.route_id, self.spec = route_id, spec

    def submit(self, parts: list[OutgoingPart]) -> list[SubmitResult]:
        return session_for(self.route_id, self.spec).submit(parts)

    def submit_holding_receipts(self, parts: list[OutgoingPart]) -> list[SubmitResult]:
        """Submit; receipts that come before the caller calls receipts_recorded() are held."""
        return session_for(self.route_id, self.spec).submit(parts, hold_receipts=True)

    def take_receipts(self, keys: list[str]) -> dict[str, list[Receipt]]:
        return session_for(self.route_id, self.spec).take_receipts(keys)

    def receipts_recorded(self, keys: list[str], recorded: bool) -> None:
        session_for(self.route_id, self.spec).receipts_recorded(keys, recorded)

    def poll(self) -> list[Receipt]:
        """Receipts arrive on the bind by themselves; polling keeps the bind up (and rebinds)."""
        session_for(self.route_id, self.spec).ensure_bound()
        return []

    def check(self) -> str:
        """Bind as a transmitter (so no receipt is sent to this short session), enquire, unbind."""
        session = SmppSession(self.route_id, self.spec)
        link = _Link(session, "transmitter")
        started = time.monotonic()
        link.open()
        try:
            link.client.send_pdu(smpp.make_pdu("enquire_link", client=link.client))
            if not link.enquiry_answered.wait(session.timeout):
                raise RouteDown("bound, but enquire_link was not answered")
            took = (time.monotonic() - started) * 1000
        finally:
            link.close()
        return (
            f"SMPP bind to {self.spec.host}:{self.spec.port} as '{self.spec.username}' works "
            f"(bind and enquire_link in {took:.0f} ms); sending with bind={session.mode}, "
            f"window {session.window}, {self.spec.tps} parts/s"
        )

    def close(self) -> None:
        pass  # the bind is long-lived; close_all() unbinds at process exit
