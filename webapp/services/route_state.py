"""Which routes are down right now, as the sending workers last found them (kept in Redis)."""
from __future__ import annotations

import json
import time

from redis import Redis

KEY = "smsportal:routes:down"


def mark_down(redis: Redis, route_id: int, name: str, reason: str) -> None:
    redis.hset(KEY, str(route_id), json.dumps({"name": name, "reason": reason, "since": time.time()}))


def mark_up(redis: Redis, route_id: int) -> None:
    redis.hdel(KEY, str(route_id))


def down_routes(redis: Redis) -> dict[int, dict]:
    return {int(k): json.loads(v) for k, v in redis.hgetall(KEY).items()}
