"""Receipts that come on a bind before the submitting worker has committed their parts' ids.

SMSCs with instant receipts (and every SMSC now and then) send a deliver_sm for a part a few
milliseconds after its submit_sm_resp, while the worker that submitted it is still waiting
for the rest of its batch: its id is not in the database yet, so the receipt could only be
kept and matched again later. Instead, the session remembers the ids it was given until the
worker has recorded them; a receipt for one of them (its id in any spelling, its number the
part's) is *held*: not acknowledged, not stored. The worker takes the held receipts and writes
them with the parts' outcome in the same transaction; after the commit they are acknowledged.
Receipts held after the worker took its share, or for a batch that could not be recorded, are
stored the usual way once the ids are committed (or kept, as before). Held receipts are never
lost: an unacknowledged deliver_sm is sent again by the SMSC, on this bind or another, when
the process dies.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from webapp.connectors.base import OutgoingPart, Receipt
from webapp.domain.receipt_matching import same_number
from webapp.domain.smpp_pdu import id_candidates

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Held:
    link: object  # the _Link the deliver_sm came on: its answer goes back there
    sequence: int
    receipt: Receipt


class InFlight:
    """Ids given by submit_sm_resp whose outcome the worker has not committed yet, and the
    receipts held for them. Thread-safe: the reader threads hold, the submitter takes."""

    def __init__(self, max_age: float = 60.0):
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self.max_age = max_age
        self._by_id: dict[str, OutgoingPart] = {}
        self._id_of: dict[str, str] = {}  # submission key → upstream id
        self._since: dict[str, float] = {}  # submission key → when its id came (oldest first)
        self._held: dict[str, list[Held]] = defaultdict(list)
        self._taken: dict[str, list[Held]] = {}
        # Whether the SMSC answers with instant receipts: most of the last batch's came before
        # its outcome was committed. Then the next batch waits a moment for its own.
        self.instant = False

    def submitted(self, part: OutgoingPart, upstream_id: str) -> None:
        if not upstream_id:
            return
        with self._lock:
            self._by_id[upstream_id] = part
            self._id_of[part.submission_key] = upstream_id
            self._since[part.submission_key] = time.monotonic()

    def hold(self, link, sequence: int, receipt: Receipt) -> bool:
        """Hold the receipt when it is about a part in flight (and agrees with its number)."""
        if not receipt.upstream_id or not receipt.stat:
            return False
        with self._lock:
            if not self._by_id:
                return False
            part = self._by_id.get(receipt.upstream_id)
            if part is None:
                part = next((p for c in id_candidates(receipt.upstream_id)[1:] if (p := self._by_id.get(c))), None)
            if part is None or same_number(receipt.source_addr, part.to) is False:
                return False
            self._held[part.submission_key].append(Held(link, sequence, receipt))
            self._arrived.notify_all()
            return True

    def take(self, keys: list[str], wait: float = 0.0) -> dict[str, list[Receipt]]:
        """The receipts held for these parts, for the worker to record with their outcome. When
        some have come already, or the SMSC answers with instant receipts (most of the last
        batch's came in time), up to ``wait`` seconds more for the others: recorded now, they
        cost nothing more; a moment later, they are stored on their own."""
        taken: dict[str, list[Receipt]] = {}
        with self._lock:
            in_flight = [key for key in keys if key in self._id_of]
            if wait > 0 and in_flight and (self.instant or any(key in self._held for key in in_flight)):
                deadline = time.monotonic() + wait
                while not all(key in self._held for key in in_flight):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._arrived.wait(left)
            for key in keys:
                held = self._held.pop(key, None)
                if held:
                    self._taken.setdefault(key, []).extend(held)
                    taken[key] = [h.receipt for h in held]
        return taken

    def finish(self, keys: list[str], recorded: bool) -> tuple[list[Held], list[Held]]:
        """The worker's transaction ended: these ids are no longer in flight. Returns the held
        receipts to acknowledge (recorded with the outcome) and those to store the usual way."""
        acknowledge, store = [], []
        with self._lock:
            in_flight = [key for key in keys if key in self._id_of]
            if in_flight:
                came = sum(1 for key in in_flight if key in self._taken or key in self._held)
                self.instant = came * 2 >= len(in_flight)
            for key in keys:
                self._forget(key)
                taken = self._taken.pop(key, [])
                (acknowledge if recorded else store).extend(taken)
                store.extend(self._held.pop(key, []))
            # Ids a worker never came back for (it failed between submitting and recording):
            # after max_age they are no longer in flight, and what was held for them is stored.
            limit = time.monotonic() - self.max_age
            for key in [k for k, since in self._since.items() if since < limit]:
                self._forget(key)
                store.extend(self._held.pop(key, []))
        return acknowledge, store

    def _forget(self, key: str) -> None:
        self._since.pop(key, None)
        upstream_id = self._id_of.pop(key, None)
        if upstream_id is not None and (p := self._by_id.get(upstream_id)) and p.submission_key == key:
            del self._by_id[upstream_id]

    def drop_link(self, link) -> None:
        """A bind was lost: its held receipts will be sent again by the SMSC (unanswered)."""
        with self._lock:
            for held in (self._held, self._taken):
                for key in list(held):
                    held[key] = [h for h in held[key] if h.link is not link]
                    if not held[key]:
                        del held[key]
