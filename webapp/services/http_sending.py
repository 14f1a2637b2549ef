"""What sending over an HTTP route adds to the pipeline (webapp/services/delivery.py): a message
goes whole, so a piece of the route's throughput never cuts one; the messages taken await their
reports (services/report_polling.py); the SMS the provider counted are recorded against ours,
a difference flagged to operators (the message's timeline and the route's console figures)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from webapp.connectors import OutgoingPart, SubmitResult
from webapp.models import MessageEvent
from webapp.services import report_polling
from webapp.services.bulk_rows import insert_rows

MISMATCH_KEY = "smsportal:parts-mismatch"


def pieces(outgoing: list[OutgoingPart], size: int, whole_messages: bool) -> list[list[OutgoingPart]]:
    """The parts in pieces of about ``size`` parts; with ``whole_messages`` a message's parts
    stay in one piece (a message longer than ``size`` is a piece of its own)."""
    if not whole_messages:
        return [outgoing[start : start + size] for start in range(0, len(outgoing), size)]
    out: list[list[OutgoingPart]] = []
    current: list[OutgoingPart] = []
    for part in outgoing:
        starts_message = part.seq == 1 or not current or current[-1].message_id != part.message_id
        if current and starts_message and len(current) + 1 > size:
            out.append(current)
            current = []
        current.append(part)
    if current:
        out.append(current)
    return out


def await_reports(
    session: Session,
    route_id: int,
    url: str,
    connector: object,
    results: list[SubmitResult],
    part_messages: Mapping[str, int],
    live: Mapping[int, Any],
    redis: Redis,
    now: datetime,
) -> None:
    """The messages the route took await their reports; the provider's counts are recorded.
    ``part_messages``: submission key → message id. Flushes."""
    taken: dict[int, str] = {}
    counted: dict[int, int] = {}
    for result in results:
        message_id = part_messages.get(result.submission_key)
        if message_id is None or not result.upstream_id:
            continue
        taken.setdefault(message_id, result.upstream_id)
        if result.provider_parts is not None:
            counted[message_id] = result.provider_parts
    report_polling.register_sent(
        session,
        route_id,
        [report_polling.Sent(mid, uid, live[mid].to, live[mid].validity_until) for mid, uid in taken.items()],
        polled=bool(getattr(connector, "polls_reports", False)),
        schedule=report_polling.schedule_of(url),
        now=now,
    )
    events = [
        {
            "message_id": mid,
            "kind": "provider_parts",
            "at": now,
            "detail": {"route_id": route_id, "ours": live[mid].parts, "provider": n, "mismatch": n != live[mid].parts},
        }
        for mid, n in counted.items()
    ]
    insert_rows(session, MessageEvent.__table__, events)
    mismatched = [mid for mid, n in counted.items() if n != live[mid].parts]
    if mismatched:
        _flag(redis, route_id, mismatched)
    report_polling.match_early_pushes(session, route_id, sorted(set(taken.values())))


def _flag(redis: Redis, route_id: int, message_ids: list[int]) -> None:
    try:
        pipe = redis.pipeline()
        pipe.hincrby(f"{MISMATCH_KEY}:{route_id}", "count", len(message_ids))
        pipe.hset(f"{MISMATCH_KEY}:{route_id}", mapping={"last_message_id": message_ids[-1], "at": time.time()})
        pipe.execute()
    except RedisError:  # a figure for the console; the timeline keeps the fact
        pass


def mismatches(redis: Redis, route_id: int) -> tuple[int, int | None]:
    """How many messages the provider counted differently, and the last one's id."""
    data = cast("dict[bytes | str, bytes | str]", redis.hgetall(f"{MISMATCH_KEY}:{route_id}"))
    if not data:
        return 0, None
    decoded = {(k.decode() if isinstance(k, bytes) else k): v for k, v in data.items()}
    last = decoded.get("last_message_id")
    return int(decoded.get("count", 0) or 0), int(last) if last is not None else None
