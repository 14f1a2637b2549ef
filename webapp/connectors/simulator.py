"""The built-in simulator route: accepts every part, decides each message's outcome by chance
(deterministically from its id, so a repeat gives the same answer) and reports receipts
after `dlr_delay`, to be collected by polling, as for HTTP providers that must be polled.

    simulator://?delivered=0.93&undeliv=0.04&expired=0.02&rejectd=0.01&dlr_delay=3s

A share of the delivered messages' phones may answer (replies, MO) after the receipt:
``replies=0.1`` answer with ``reply_text``, ``stop=0.02`` answer "Stop sms".

Receipts and replies wait in Redis until the caller has stored them: ``poll()`` and
``poll_replies()`` lease what is due (another poller does not see it for ``lease``, 60 s by
default) and ``forget_receipts()`` / ``forget_replies()`` remove exactly those after the
caller's commit. A worker killed in between loses nothing: once the lease runs out they are
due again and are taken again (a reply by its key is stored once, services/inbound.py; a
receipt given twice settles its part once, services/receipts.py).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis import Redis

from webapp.connectors.base import OutgoingPart, Receipt, Reply, RouteDown, SubmitResult
from webapp.domain.routing import RouteSpec, parse_duration
from webapp.domain.simulator_shares import shares_from_params

OUTCOMES = (
    ("delivered", "DELIVRD", "000"),
    ("undeliv", "UNDELIV", "001"),
    ("expired", "EXPIRED", "002"),
    ("rejectd", "REJECTD", "003"),
)

# Lease the due entries atomically: they stay in the set, due again only at ARGV[3] (now plus
# the lease), so two pollers never take the same one at once and none is lost if its taker
# dies before storing it. The taker removes them (ZREM) once they are committed.
_LEASE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, item in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], item) end
return due
"""


@dataclass(frozen=True)
class SimulatorReceipt(Receipt):
    """A receipt with its entry in Redis, for forget_receipts()."""

    entry: bytes | str = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class SimulatorReply(Reply):
    """A reply with its entry in Redis, for forget_replies()."""

    entry: bytes | str = field(default=b"", repr=False, compare=False)


def _fraction(key: str) -> float:
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class SimulatorConnector:
    def __init__(self, route_id: int, spec: RouteSpec, redis: Redis):
        self.route_id = route_id
        self.redis = redis
        self.delay = parse_duration(spec.param("dlr_delay", "3s"))
        self.down = spec.param("down", "0") == "1"
        # For tests and demos: a pause per submit call, and a log of every submission key sent.
        self.submit_delay = parse_duration(spec.param("submit_delay", "0"))
        self.log_key = f"smsportal:sim:{route_id}:sent" if spec.param("log", "0") == "1" else None
        # Named shares as written, the others sharing what is left (domain/simulator_shares.py).
        shares = shares_from_params(dict(spec.params))
        self.weights = [(stat, err, shares[name]) for name, stat, err in OUTCOMES]
        self.key = f"smsportal:sim:{route_id}:due"
        # Replies: a share of the recipients answers each message after the receipt, with
        # `reply_text`; a share (`stop`) answers "Stop sms" (domain/opt_out.py) instead.
        self.reply_share = float(spec.param("replies", "0"))
        self.stop_share = float(spec.param("stop", "0"))
        self.reply_text = spec.param("reply_text", "Mulțumesc, am primit mesajul!")
        self.replies_key = f"smsportal:sim:{route_id}:replies"
        # How long a taken receipt or reply is hidden from other pollers before it is due again
        # (its taker died, or has not committed it yet).
        self.lease = parse_duration(spec.param("lease", "60s"))

    def outcome(self, message_id: int) -> tuple[str, str]:
        draw, acc = _fraction(f"outcome:{message_id}"), 0.0
        for stat, err, weight in self.weights:
            acc += weight
            if draw < acc:
                return stat, err
        return self.weights[-1][0], self.weights[-1][1]

    def submit(self, parts: list[OutgoingPart]) -> list[SubmitResult]:
        if self.down:
            raise RouteDown("the simulator route is set to down=1")
        if self.submit_delay:
            time.sleep(self.submit_delay)
        due = time.time() + self.delay
        results, entries, replies = [], {}, {}
        for part in parts:
            upstream_id = hashlib.sha1(part.submission_key.encode()).hexdigest()[:20]
            stat, err = self.outcome(part.message_id)
            entries[json.dumps([upstream_id, stat, err, part.to])] = due
            results.append(SubmitResult(part.submission_key, upstream_id=upstream_id))
            answer = self.reply_to(part.message_id) if part.seq == part.total and stat == "DELIVRD" else None
            if answer is not None:  # from the phone (international, no +) to our number
                replies[json.dumps([f"mo-{upstream_id}", part.to.lstrip("+"), part.sender, answer])] = due + 0.001
        if entries:
            pipe = self.redis.pipeline()
            pipe.zadd(self.key, entries)
            if replies:
                pipe.zadd(self.replies_key, replies)
            if self.log_key:
                pipe.rpush(self.log_key, *[p.submission_key for p in parts])
            pipe.execute()
        return results

    def reply_to(self, message_id: int) -> str | None:
        """What the phone of this (delivered) message answers, or None: decided by its id."""
        draw = _fraction(f"reply:{message_id}")
        if draw < self.stop_share:
            return "Stop sms"
        if draw < self.stop_share + self.reply_share:
            return self.reply_text
        return None

    def _lease_due(self, key: str, limit: int) -> list[bytes | str]:
        now = time.time()
        return self.redis.eval(_LEASE_DUE, 1, key, now, limit, now + self.lease)

    def _forget(self, key: str, entries: Iterable[bytes | str]) -> int:
        """Remove taken entries, once the caller has committed them."""
        entries = list(entries)
        return int(self.redis.zrem(key, *entries)) if entries else 0

    def poll_replies(self, limit: int = 5000) -> list[Reply]:
        """The replies due by now (after their message's receipt), leased: call forget_replies()
        once they are stored and committed."""
        now = datetime.now(UTC)
        replies: list[Reply] = []
        for item in self._lease_due(self.replies_key, limit):
            key, sender, to, text = json.loads(item)
            replies.append(
                SimulatorReply(
                    from_number=sender, to_address=to, text=text, upstream_key=key, received_at=now, entry=item
                )
            )
        return replies

    def forget_replies(self, replies: Iterable[Reply]) -> int:
        """Remove these replies (from poll_replies) for good: they are committed."""
        return self._forget(self.replies_key, (r.entry for r in replies if isinstance(r, SimulatorReply)))

    def poll(self, limit: int = 5000) -> list[Receipt]:
        """The receipts due by now, leased: call forget_receipts() once they are committed."""
        now = datetime.now(UTC)
        receipts: list[Receipt] = []
        for item in self._lease_due(self.key, limit):
            upstream_id, stat, err, *number = json.loads(item)  # the number: since 0015 (None: no check)
            text = f"id:{upstream_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} stat:{stat} err:{err}"
            receipts.append(
                SimulatorReceipt(
                    upstream_id=upstream_id,
                    stat=stat,
                    error_code=err,
                    raw=text,
                    done_at=now,
                    source_addr=number[0] if number else None,
                    entry=item,
                )
            )
        return receipts

    def forget_receipts(self, receipts: Iterable[Receipt]) -> int:
        """Remove these receipts (from poll) for good: they are applied and committed."""
        return self._forget(self.key, (r.entry for r in receipts if isinstance(r, SimulatorReceipt)))

    def check(self) -> str:
        if self.down:
            raise RouteDown("the simulator route is set to down=1")
        self.redis.ping()
        shares = ", ".join(f"{stat} {weight:.0%}" for stat, _, weight in self.weights)
        return f"simulator ready: {shares}; receipts after {self.delay:g}s"

    def close(self) -> None:
        pass
