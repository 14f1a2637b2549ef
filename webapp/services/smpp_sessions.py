"""The SMPP sessions bound right now, as the SMPP server instances keep them in Redis (each
session's presence refreshed every 10 s, gone 45 s after its last refresh): for the customer's
SMPP access page and the operators' list. Reading only; the server writes
(workers/smpp_server.py register/heartbeat/unregister)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from redis import Redis

SESSIONS = "smpp:sessions"


@dataclass(frozen=True)
class LiveSession:
    session_id: str
    account_id: int
    credential_id: int
    system_id: str
    bind: str  # transmitter | receiver | transceiver
    since: datetime
    peer: str
    instance: str
    submits_in: int
    delivers_out: int


def live(redis: Redis, account_ids: Iterable[int] | None = None) -> list[LiveSession]:
    """The sessions bound now (of these accounts, or all), the longest-bound first."""
    wanted = None if account_ids is None else set(account_ids)
    members = cast("set[bytes | str]", redis.smembers(SESSIONS))
    ids = sorted(member.decode() if isinstance(member, bytes) else str(member) for member in members)
    if not ids:
        return []
    pipe = redis.pipeline()
    for session_id in ids:
        pipe.hgetall(f"smpp:session:{session_id}")
    found, gone = [], []
    for session_id, raw in zip(ids, pipe.execute()):
        if not raw:
            gone.append(session_id)  # its presence ran out (a server instance died)
            continue
        fields = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in raw.items()
        }
        session = _session(session_id, fields)
        if session is not None and (wanted is None or session.account_id in wanted):
            found.append(session)
    if gone:
        redis.srem(SESSIONS, *gone)
    return sorted(found, key=lambda s: (s.since, s.session_id))


def _session(session_id: str, fields: dict[str, str]) -> LiveSession | None:
    try:
        return LiveSession(
            session_id,
            int(fields["account_id"]),
            int(fields["credential_id"]),
            fields.get("system_id", ""),
            fields.get("bind", ""),
            datetime.fromtimestamp(float(fields["since"]), UTC),
            fields.get("peer", ""),
            fields.get("instance", ""),
            int(fields.get("submit_in", "0")),
            int(fields.get("deliver_out", "0")),
        )
    except (KeyError, ValueError):
        return None
