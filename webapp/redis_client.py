"""One Redis connection pool per app; RQ and the login throttle share it."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def redis_from_url(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def get_redis() -> Redis:
    app = current_app._get_current_object()
    conn = app.extensions.get("redis")
    if conn is None:
        url = app.config["SETTINGS"].redis_url
        if not url:
            raise RuntimeError(
                "REDIS_URL is not set: start the app with `make run` (embedded Redis) "
                "or point REDIS_URL at a Redis server"
            )
        conn = app.extensions["redis"] = redis_from_url(url)
    return conn


def get_quick_redis() -> Redis:
    """A client of its own with short timeouts and no retries, for what must answer at once
    while Redis is down (/healthz, the API's rate limit): the shared client's retries take
    seconds to give up."""
    app = current_app._get_current_object()
    conn = app.extensions.get("redis_quick")
    if conn is None:
        conn = app.extensions["redis_quick"] = Redis.from_url(
            app.config["SETTINGS"].redis_url, socket_connect_timeout=0.5, socket_timeout=1, retry=Retry(NoBackoff(), 0)
        )
    return conn
