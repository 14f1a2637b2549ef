"""Webhook events: their names, the body each is sent with (Standard Webhooks' shape: type,
timestamp, data), and when a failed delivery is tried again.

A delivery is tried until the endpoint answers 2xx, again after each failure with a growing
pause (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then every 8 h) for up to 24 hours
after the event; then it has failed. An endpoint failing without a success for a day is
switched off (its owner is told by e-mail).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from webapp.domain import N_

MESSAGE_STATUS = "message.status"
MESSAGE_REPLY = "message.reply"
OPTED_OUT = "contact.opted_out"
BALANCE_LOW = "balance.low"
# The events an endpoint may ask for.
EVENTS: Mapping[str, str] = {
    MESSAGE_STATUS: N_("A message's status changed (sent, delivered, failed …)"),
    MESSAGE_REPLY: N_("A reply came in"),
    OPTED_OUT: N_("A phone answered STOP (or START)"),
    BALANCE_LOW: N_("The balance fell below the amount set under Account → Notifications"),
}

RETRY_PAUSES = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
)
LAST_PAUSE = timedelta(hours=8)
GIVE_UP_AFTER = timedelta(hours=24)
DISABLE_AFTER = timedelta(hours=24)


def next_attempt(attempts: int, created_at: datetime, now: datetime, scale: float = 1.0) -> datetime | None:
    """When to try again after ``attempts`` failed tries of an event made at ``created_at``;
    None when its 24 hours are over (the delivery has failed). ``scale`` shortens every pause
    and the day alike (tests)."""
    pause = RETRY_PAUSES[attempts - 1] if 0 < attempts <= len(RETRY_PAUSES) else LAST_PAUSE
    when, give_up = now + pause * scale, created_at + GIVE_UP_AFTER * scale
    if when > give_up:
        return give_up if give_up > now else None  # one last try at the end of the day, if still ahead
    return when


def status_event_id(message_id: int, status: str) -> str:
    """A message reaches each status once: its event id says which (a second emission of the
    same change adds nothing, and a receiver de-duplicates by it)."""
    return f"msg_{message_id}_{status}"


def body(event_type: str, at: datetime, data: Mapping[str, Any]) -> str:
    """The JSON body, as signed and sent: compact, keys in a stable order, UTF-8 text as is."""
    return json.dumps(
        {"type": event_type, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": dict(data)},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def answer_excerpt(status: int | None, text: str, limit: int = 300) -> str:
    """What the delivery log keeps of an answer: its status and the start of its body."""
    start = " ".join((text or "").split())[:limit]
    return f"{status} {start}".strip() if status is not None else start
