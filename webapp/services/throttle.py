"""A route's throughput limit (parts per second), shared by every worker process through Redis.

Uses the `limits` library's moving window on the Redis server the workers already share.
"""

from __future__ import annotations

import time
from typing import cast

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis


class RouteThrottle:
    def __init__(self, redis: Redis, route_id: int, tps: int, scope: str = "", rate: RateLimitItem | None = None):
        """``scope``: another budget of the same route (``"poll"``: its status requests), at
        ``rate`` when given (e.g. ``limits.parse("1/minute")``), else ``tps`` per second."""
        self.redis = redis
        self.tps = max(1, rate.amount if rate is not None else tps)
        self.key = f"route:{route_id}" + (f":{scope}" if scope else "")
        self.item = rate if rate is not None else RateLimitItemPerSecond(self.tps)
        self.limiter = MovingWindowRateLimiter(
            RedisStorage("redis://", connection_pool=redis.connection_pool, key_prefix="smsportal-tps")
        )

    def acquire(self, parts: int, timeout: float = 60.0) -> None:
        """Wait until ``parts`` (at most tps) may go upstream now; TimeoutError past ``timeout``."""
        deadline = time.monotonic() + timeout
        self._wait_out_pause(deadline)
        while not self.limiter.hit(self.item, self.key, cost=min(parts, self.tps)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.key}: no room for {parts} parts within {timeout:.0f}s")
            reset_at, _remaining = self.limiter.get_window_stats(self.item, self.key)
            time.sleep(min(max(reset_at - time.time(), 0.01), 0.25))

    @property
    def _pause_key(self) -> str:
        return f"smsportal-tps:{self.key}:paused"

    def pause(self, seconds: float) -> None:
        """The provider throttles: no part goes on this route for ``seconds``, from any worker."""
        if seconds > 0:
            self.redis.set(self._pause_key, "1", px=int(seconds * 1000))

    def _wait_out_pause(self, deadline: float) -> None:
        while (left := int(cast("int", self.redis.pttl(self._pause_key)))) > 0:
            if time.monotonic() + left / 1000 > deadline:
                raise TimeoutError(f"{self.key}: paused by the provider for {left / 1000:.0f}s more")
            time.sleep(min(left / 1000, 0.5))
