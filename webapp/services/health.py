"""Health of the parts the web app depends on."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from webapp.services.route_state import down_routes

CRON_TICK_KEY = "smsportal:cron:last-tick"


@dataclass(frozen=True)
class HealthReport:
    database: str
    redis: str
    workers: str  # ok | none | stale | unknown
    worker_count: int
    last_worker_heartbeat: str | None
    cron: str  # ok | stale | never | unknown
    last_cron_tick: str | None
    routes_down: dict  # route name → reason, as the sending workers last found them

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.redis == "ok"

    @property
    def ok_strict(self) -> bool:
        return self.ok and self.workers == "ok" and self.cron == "ok" and not self.routes_down

    def as_dict(self) -> dict:
        return {"status": "ok" if self.ok else "fail", **asdict(self)}


def _age(ts: datetime, now: datetime) -> float:
    return (now - ts).total_seconds()


def check(session: Session, redis_factory, stale_after: int) -> HealthReport:
    from rq import Worker

    now = datetime.now(timezone.utc)
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # reported, not raised: this is the health page
        session.rollback()
        database = f"error: {exc.__class__.__name__}"
    workers, count, last_beat, cron, last_tick, routes_down = "unknown", 0, None, "unknown", None, {}
    try:
        redis = redis_factory()
        redis.ping()
        redis_state = "ok"
        beats = [w.last_heartbeat for w in Worker.all(connection=redis) if w.last_heartbeat]
        count = len(beats)
        if beats:
            newest = max(b if b.tzinfo else b.replace(tzinfo=timezone.utc) for b in beats)
            last_beat = newest.isoformat()
            workers = "ok" if _age(newest, now) <= stale_after else "stale"
        else:
            workers = "none"
        raw = redis.get(CRON_TICK_KEY)
        if raw is None:
            cron = "never"
        else:
            tick = datetime.fromisoformat(raw.decode())
            last_tick = tick.isoformat()
            cron = "ok" if _age(tick, now) <= stale_after else "stale"
        routes_down = {d["name"]: d["reason"] for d in down_routes(redis).values()}
    except Exception as exc:
        redis_state = f"error: {exc.__class__.__name__}"
    return HealthReport(database, redis_state, workers, count, last_beat, cron, last_tick, routes_down)
