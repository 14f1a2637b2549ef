"""Replies (MO) posted by HTTP-gateway providers: one signed URL per route, no login, no CSRF
(services/inbound_http.py reads the fields; services/inbound.py stores the reply once and acts
on its keyword). The operator console's route page shows each route's URL."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, request, url_for
from sqlalchemy import select

from webapp.extensions import csrf, db
from webapp.models import InboundMessage, Route
from webapp.models.types import utcnow
from webapp.redis_client import get_redis
from webapp.services import dispatch, inbound, inbound_http, report_polling, report_push

bp = Blueprint("inbound_hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)


def _settings():
    return current_app.config["SETTINGS"]


def inbound_url(route_id: int) -> str:
    """The route's URL, absolute: PUBLIC_URL when set, else this request's host."""
    path = url_for(
        "inbound_hooks.receive", route_id=route_id, token=inbound_http.route_token(_settings().secret_key, route_id)
    )
    base = (_settings().public_url or "").rstrip("/")
    return (base or request.host_url.rstrip("/")) + path


def report_url(route_id: int) -> str:
    """The route's delivery-report URL (providers that push), absolute like inbound_url."""
    path = url_for(
        "inbound_hooks.report", route_id=route_id, token=report_push.report_token(_settings().secret_key, route_id)
    )
    base = (_settings().public_url or "").rstrip("/")
    return (base or request.host_url.rstrip("/")) + path


def _params() -> dict[str, object]:
    """The query string, form fields and JSON object of the request, merged (the body wins)."""
    params: dict[str, object] = dict(request.args.to_dict(flat=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params.update(request.form.to_dict(flat=True))
    elif request.get_data(cache=True).strip():
        body = request.get_json(silent=True, force=True)
        if not isinstance(body, dict):
            raise inbound_http.BadField("bad body", "body", "a form or a JSON object is expected")
        params.update(body)
    return params


@bp.route("/routes/<int:route_id>/inbound/<token>", methods=["GET", "POST"])
def receive(route_id: int, token: str):
    """One reply from the route's provider: 200 ``{"stored": true, "id": …}`` (with
    ``"duplicate": true`` when the provider sent its id before); 400 naming the field missing or
    unreadable, nothing stored; 404 for a wrong token or an unknown route."""
    if not inbound_http.token_ok(_settings().secret_key, route_id, token) or db.session.get(Route, route_id) is None:
        abort(404)
    if request.method == "HEAD":  # a provider's panel checking the URL: nothing to store
        return {"ok": True}
    try:
        params = _params()
        got = inbound_http.read_reply(params, utcnow())
    except inbound_http.BadField as exc:
        return exc.as_json(), 400
    window = timedelta(days=_settings().reply_window_days)
    stored = inbound.receive(db.session, route_id, got.reply, window=window)
    if stored is None:  # the provider sent this one before (its id, or the same words just now)
        keys = [got.reply.upstream_key] if got.reply.upstream_key else []
        earlier = (
            db.session.scalar(
                select(InboundMessage.id).where(
                    InboundMessage.route_id == route_id, InboundMessage.upstream_key.in_(keys)
                )
            )
            if keys
            else None
        )
        db.session.rollback()
        return {"stored": True, "duplicate": True, **({"id": earlier} if earlier is not None else {})}
    reply_id, answers = stored.id, list(getattr(stored, "answer_ids", []))
    db.session.commit()  # kept before the answer; the workers get the HELP / STOP answers once committed
    if answers:
        dispatch.hand_to_workers(get_redis(), answers)
    return {"stored": True, "id": reply_id}


@bp.route("/routes/<int:route_id>/reports/<token>", methods=["GET", "POST"])
def report(route_id: int, token: str):
    """A delivery report the route's provider pushes: 200 ``{"ok": true, "outcome": …}``
    (settled, waiting, kept: its message is not known yet, ignored: not final and unknown); 400
    naming what is missing, nothing stored; 404 for a wrong token or a route that takes none."""
    route = db.session.get(Route, route_id) if report_push.token_ok(_settings().secret_key, route_id, token) else None
    if route is None or not report_push.takes_pushes(route.url):
        abort(404)
    if request.method == "HEAD":
        return {"ok": True}
    try:
        fields = report_push.decode_fields(
            request.args.to_dict(flat=True), request.get_data(cache=True), request.mimetype_params.get("charset")
        )
        upstream_id, phone, got = report_push.read_push(route.url, route.http_config, fields)
    except report_push.BadPush as exc:
        # kept whatever its bytes, for support (unreadable reports), and the provider told why
        report_push.keep_unreadable(db.session, route_id, request.query_string + b" " + request.get_data(cache=True))
        db.session.commit()
        return {"ok": False, "error": str(exc)}, 400
    outcome = report_polling.take_push(db.session, route_id, upstream_id, got, phone)
    db.session.commit()
    return {"ok": True, "outcome": outcome}
