"""Which routes are down right now, as the sending workers last found them (kept in Redis)."""

from __future__ import annotations

import json
import logging
import time
from typing import NotRequired, TypedDict, cast

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY = "smsportal:routes:down"


class RouteDown(TypedDict):
    name: str
    reason: str
    since: float  # unix time: when it went down
    last: NotRequired[float]  # when it last failed


def mark_down(redis: Redis, route_id: int, name: str, reason: str) -> None:
    """Advisory (shown on /healthz and pages): Redis away never stops the sending that reports it."""
    try:
        # ``since``: when it went down (kept while it stays down: failover waits on it)
        earlier = cast("bytes | None", redis.hget(KEY, str(route_id)))
        since = json.loads(earlier)["since"] if earlier else time.time()
        down = {"name": name, "reason": reason, "since": since, "last": time.time()}
        redis.hset(KEY, str(route_id), json.dumps(down))
    except RedisError as exc:
        log.warning("route %s down (%s); not recorded: %s", name, reason, exc)


def mark_up(redis: Redis, route_id: int) -> None:
    try:
        redis.hdel(KEY, str(route_id))
    except RedisError as exc:
        log.warning("route %s up; not recorded: %s", route_id, exc)


def down_routes(redis: Redis) -> dict[int, RouteDown]:
    """For pages that show it beside other things: Redis away means nothing known to be down
    (a message's page must still open while Redis restarts)."""
    try:
        # redis-py types its replies as "a value or an awaitable" (one class for both clients);
        # this client is the synchronous one, with bytes replies.
        down = cast("dict[bytes, bytes]", redis.hgetall(KEY))
        return {int(k): json.loads(v) for k, v in down.items()}
    except RedisError as exc:
        log.warning("route states unknown: %s", exc)
        return {}
