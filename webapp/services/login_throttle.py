"""Login throttling: after repeated failures, per username and per IP, kept in Redis.

Fixed windows: the first failure starts a window of ``window`` seconds; once the
count reaches the limit, attempts are refused until the window ends. Works across
any number of web processes because the counters live in Redis.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

PREFIX = "smsportal:login-fail"


@dataclass(frozen=True)
class ThrottleState:
    blocked: bool
    retry_after: int  # seconds until a new attempt is accepted (0 when not blocked)


class LoginThrottle:
    def __init__(self, redis: Redis, *, max_per_user: int, max_per_ip: int, window: int):
        self.redis = redis
        self.limits = {"user": max_per_user, "ip": max_per_ip}
        self.window = window

    def _keys(self, username: str, ip: str) -> dict[str, str]:
        return {
            "user": f"{PREFIX}:user:{username.strip().lower()}",
            "ip": f"{PREFIX}:ip:{ip}",
        }

    def check(self, username: str, ip: str) -> ThrottleState:
        keys = self._keys(username, ip)
        pipe = self.redis.pipeline()
        for key in keys.values():
            pipe.get(key)
            pipe.ttl(key)
        values = pipe.execute()
        retry = 0
        for i, scope in enumerate(keys):
            count, ttl = values[2 * i], values[2 * i + 1]
            if count is not None and int(count) >= self.limits[scope]:
                retry = max(retry, ttl if ttl and ttl > 0 else self.window)
        return ThrottleState(blocked=retry > 0, retry_after=retry)

    def record_failure(self, username: str, ip: str) -> None:
        pipe = self.redis.pipeline()
        for key in self._keys(username, ip).values():
            # The first failure opens the window (SET NX EX works on Redis 6.2, unlike EXPIRE NX).
            pipe.set(key, 0, ex=self.window, nx=True)
            pipe.incr(key)
        pipe.execute()

    def record_success(self, username: str, ip: str) -> None:
        """A right password clears the username's count (the IP's stays: it may be guessing many)."""
        self.redis.delete(self._keys(username, ip)["user"])
