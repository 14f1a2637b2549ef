"""Health of the parts the web app depends on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, cast

from redis import Redis
from sqlalchemy import text
from sqlalchemy.orm import Session

from webapp.services.route_state import down_routes

CRON_TICK_KEY = "smsportal:cron:last-tick"
CRON_SCHEDULERS_KEY = "rq:cron_schedulers"  # rq cron's registry: name → last heartbeat (unix time)


@dataclass(frozen=True)
class HealthReport:
    database: str
    redis: str  # ok | down: <error>
    workers: str  # ok | none | stale | unknown (Redis down)
    worker_count: int  # workers with a recent heartbeat
    last_worker_heartbeat: str | None
    cron: str  # ok | stale | never | unknown (Redis down)
    last_cron_heartbeat: str | None  # the cron process itself
    last_cron_tick: str | None  # the cron's tick job, run by a worker
    routes_down: dict[str, str]  # route name → reason, as the sending workers last found them

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.redis == "ok"

    @property
    def ok_strict(self) -> bool:
        return self.ok and self.workers == "ok" and self.cron == "ok" and not self.routes_down

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "fail", **asdict(self)}


def _age(ts: datetime, now: datetime) -> float:
    return (now - ts).total_seconds()


def check(session: Session, redis_factory: Callable[[], Redis], stale_after: int) -> HealthReport:
    """``redis_factory`` should give a client with short timeouts and no retries: during an
    outage this answers at once that Redis is down."""
    from rq import Worker

    now = datetime.now(UTC)
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # reported, not raised: this is the health page
        session.rollback()
        database = f"error: {exc.__class__.__name__}"
    workers, count, last_beat, cron, last_cron, last_tick, routes_down = "unknown", 0, None, "unknown", None, None, {}
    try:
        redis = redis_factory()
        redis.ping()
        redis_state = "ok"
        beats = [
            b if b.tzinfo else b.replace(tzinfo=UTC)
            for b in (w.last_heartbeat for w in Worker.all(connection=redis))
            if b
        ]
        count = sum(1 for b in beats if _age(b, now) <= stale_after)  # a killed worker's entry lingers
        if beats:
            newest = max(beats)
            last_beat = newest.isoformat()
            workers = "ok" if count else "stale"
        else:
            workers = "none"
        # redis-py types replies as "a value or an awaitable" (one class for sync and async);
        # this client is the synchronous one, with bytes replies.
        newest_cron = cast("list[tuple[bytes, float]]", redis.zrange(CRON_SCHEDULERS_KEY, -1, -1, withscores=True))
        raw = cast("bytes | None", redis.get(CRON_TICK_KEY))
        if raw is not None:
            last_tick = datetime.fromisoformat(raw.decode()).isoformat()
        if newest_cron:
            seen = datetime.fromtimestamp(newest_cron[0][1], tz=UTC)
            last_cron = seen.isoformat()
            cron = "ok" if _age(seen, now) <= stale_after else "stale"
        else:
            cron = "never" if raw is None else "stale"
        routes_down = {d["name"]: d["reason"] for d in down_routes(redis).values()}
    except Exception as exc:
        redis_state = f"down: {exc.__class__.__name__}"
    return HealthReport(database, redis_state, workers, count, last_beat, cron, last_cron, last_tick, routes_down)
