"""Webhook signatures the way Stripe makes them: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`."""

from __future__ import annotations

import hashlib
import hmac
import time

from webapp.services.processors import InvalidWebhook

TOLERANCE_SECONDS = 300


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(body: bytes, header: str | None, secret: str, now: float | None = None) -> None:
    if not header or not secret:
        raise InvalidWebhook("missing signature")
    try:
        items = [item.split("=", 1) for item in header.split(",")]
        t = int(next(v for k, v in items if k == "t"))
        signatures = [v for k, v in items if k == "v1"]
    except (ValueError, StopIteration):
        raise InvalidWebhook("malformed signature header") from None
    if abs((time.time() if now is None else now) - t) > TOLERANCE_SECONDS:
        raise InvalidWebhook("signature too old")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise InvalidWebhook("signature does not match")
