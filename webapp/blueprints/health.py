"""/healthz for load balancers: database and Redis reachable (200/503); ?strict=1 also wants a
live worker and cron process seen recently. And /favicon.ico, which browsers and feed readers
ask for whatever the page's <link rel="icon"> says."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, url_for
from redis import Redis

from webapp.extensions import db
from webapp.redis_client import get_quick_redis
from webapp.services.health import check

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    report = check(db.session, _health_redis, current_app.config["SETTINGS"].worker_stale_seconds)
    # Web nodes stay in rotation when only the workers are behind; ?strict=1 counts them too.
    healthy = report.ok_strict if request.args.get("strict") else report.ok
    response = jsonify(report.as_dict())
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _health_redis() -> Redis:
    """A client of its own with short timeouts and no retries: while Redis is down, /healthz
    answers 503 at once (a load balancer's probe has a deadline too)."""
    return get_quick_redis()


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)
