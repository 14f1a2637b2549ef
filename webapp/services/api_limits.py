"""The HTTP API's rate limit: requests per minute per API key, shared by every web process
through Redis (the `limits` library's moving window, as the routes' throughput limit uses).

The limit is the account's own (``accounts.api_requests_per_minute``, set by an operator with
``flask accounts api-limit``) or the platform's (setting ``API_REQUESTS_PER_MINUTE``). When Redis
cannot be asked, requests are let through: accepting messages never depends on Redis.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis

log = logging.getLogger(__name__)
PAUSE_AFTER_FAILURE = 5.0  # seconds the limit is not asked again after Redis failed to answer
_not_before = 0.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int = 0  # seconds, when refused


class ApiRateLimit:
    def __init__(self, redis: Redis):
        self.limiter = MovingWindowRateLimiter(
            RedisStorage("redis://", connection_pool=redis.connection_pool, key_prefix="smsportal-api")
        )

    def hit(self, key_id: int, per_minute: int) -> Decision:
        """Count one request of this API key against ``per_minute``."""
        global _not_before
        item = RateLimitItemPerMinute(max(1, per_minute))
        if time.monotonic() < _not_before:  # Redis failed a moment ago: not asked again yet
            return Decision(True, per_minute, per_minute)
        try:
            allowed = self.limiter.hit(item, f"key:{key_id}")
            reset_at, remaining = self.limiter.get_window_stats(item, f"key:{key_id}")
        except Exception as exc:  # Redis away or refusing: the API keeps working
            _not_before = time.monotonic() + PAUSE_AFTER_FAILURE
            log.warning("API rate limit not checked for %.0f s (%s)", PAUSE_AFTER_FAILURE, exc)
            return Decision(True, per_minute, per_minute)
        retry = 0 if allowed else max(1, math.ceil(reset_at - time.time()))
        return Decision(allowed, per_minute, max(0, remaining), retry)
