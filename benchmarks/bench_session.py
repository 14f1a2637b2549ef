"""What the page benchmarks share: a throwaway Redis for the login throttle when REDIS_URL names
none, and a test client signed in through the real form."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def redis_for_sign_in() -> Iterator[None]:
    """REDIS_URL, or an embedded Redis started for the run and stopped after it."""
    if os.environ.get("REDIS_URL"):
        yield
        return
    from webapp.embedded_redis import EmbeddedRedis

    redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="bench-redis-"))).start(persist=False)
    os.environ["REDIS_URL"] = redis.url
    try:
        yield
    finally:
        redis.stop(save=False)
        del os.environ["REDIS_URL"]


def signed_in(app, username: str, password: str):
    """A Flask test client signed in as ``username`` (CSRF token read from the form)."""
    client = app.test_client()
    form = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1) if token else ""}
    )
    assert answer.status_code in (302, 303), f"signing in as {username} answered {answer.status_code}"
    return client
