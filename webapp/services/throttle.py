"""A route's throughput limit (parts per second), shared by every worker process through Redis.

Uses the `limits` library's moving window on the Redis server the workers already share.
"""

from __future__ import annotations

import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis


class RouteThrottle:
    def __init__(self, redis: Redis, route_id: int, tps: int, scope: str = "", rate: RateLimitItem | None = None):
        """``scope``: another budget of the same route (``"poll"``: its status requests), at
        ``rate`` when given (e.g. ``limits.parse("1/minute")``), else ``tps`` per second."""
        self.tps = max(1, rate.amount if rate is not None else tps)
        self.key = f"route:{route_id}" + (f":{scope}" if scope else "")
        self.item = rate if rate is not None else RateLimitItemPerSecond(self.tps)
        self.limiter = MovingWindowRateLimiter(
            RedisStorage("redis://", connection_pool=redis.connection_pool, key_prefix="smsportal-tps")
        )

    def acquire(self, parts: int, timeout: float = 60.0) -> None:
        """Wait until ``parts`` (at most tps) may go upstream now; TimeoutError past ``timeout``."""
        deadline = time.monotonic() + timeout
        while not self.limiter.hit(self.item, self.key, cost=min(parts, self.tps)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.key}: no room for {parts} parts within {timeout:.0f}s")
            reset_at, _remaining = self.limiter.get_window_stats(self.item, self.key)
            time.sleep(min(max(reset_at - time.time(), 0.01), 0.25))
