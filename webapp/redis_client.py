"""One Redis connection pool per app; RQ and the login throttle share it."""
from __future__ import annotations

from flask import current_app
from redis import Redis


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
