"""/healthz for load balancers: database and Redis reachable, workers seen recently."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from webapp.extensions import db
from webapp.redis_client import get_redis
from webapp.services.health import check

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    report = check(db.session, get_redis, current_app.config["SETTINGS"].worker_stale_seconds)
    # Web nodes stay in rotation when only the workers are behind; ?strict=1 counts them too.
    healthy = report.ok_strict if request.args.get("strict") else report.ok
    response = jsonify(report.as_dict())
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
