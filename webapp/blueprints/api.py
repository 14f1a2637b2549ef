"""HTTP API v1: JSON, Bearer API keys, idempotent sending. Thin: parse, call a service, answer."""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, make_response, request

from webapp.blueprints import api_input, api_schemas
from webapp.domain import delivery_reasons, lifecycle
from webapp.extensions import csrf, db
from webapp.models import ApiIdempotency, Message
from webapp.redis_client import get_quick_redis, get_redis
from webapp.services import (
    accounts,
    api_requests,
    composer,
    dispatch,
    inbound_api,
    message_costs,
    reports,
    sender_ids,
    sending,
    webhooks,
)
from webapp.services.api_limits import ApiRateLimit
from webapp.services.errors import ServiceError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def error(status: int, code: str, message: str, **extra):
    response = jsonify({"error": {"code": code, "message": message, **extra}})
    response.status_code = status
    return response


def api_key_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        key = accounts.api_key_for_token(db.session, token) if scheme.lower() == "bearer" else None
        if key is None:
            return error(401, "unauthorized", "A valid API key is required: Authorization: Bearer <key>.")
        user = key.user
        limit = user.account.api_requests_per_minute or current_app.config["SETTINGS"].api_requests_per_minute
        db.session.commit()  # last_used_at, kept whatever the answer (GETs and 429s are not committed after)
        decision = ApiRateLimit(get_quick_redis()).hit(key.id, limit)
        if not decision.allowed:
            response = error(
                429,
                "rate_limited",
                f"At most {limit} requests per minute per API key; try again in {decision.retry_after} s.",
                retry_after=decision.retry_after,
            )
        else:
            g.api_user = user
            response = make_response(view(*args, **kwargs))
        response.headers["X-RateLimit-Limit"] = str(decision.limit)
        response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
        if decision.retry_after:
            response.headers["Retry-After"] = str(decision.retry_after)
        return response

    return wrapper


def _amount(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.0001")))


def _described(m: Message) -> str:
    """The status in one English sentence (the pages say it in the customer's language)."""
    got = delivery_reasons.explain(m.status, m.reason_code, m.error_code)
    return got.sentence if got.literal else got.sentence % dict(got.values)


def message_json(m: Message) -> dict:
    cost = message_costs.of(m)
    return {
        "id": m.id,
        "to": m.to,
        "country": m.country,
        "sender": m.sender,
        "text": m.text,
        "encoding": m.encoding,
        "parts": m.parts,
        "price_per_part": _amount(m.price_per_part),
        "cost": _amount(cost.total),
        "reserved": _amount(cost.reserved),
        "refunded": _amount(m.refunded or Decimal(0)),
        "currency": "EUR",
        "status": reports.api_status_name(m.status),
        "reason": m.reason_code,
        "error_code": m.error_code,
        "description": _described(m),
        "created_at": m.created_at.isoformat(),
        "final_at": m.final_at.isoformat() if m.final_at else None,
        "flash": bool(m.flash),
        "not_before": m.not_before.isoformat() if m.not_before else None,
    }


def _read(model):
    """The request's JSON body as an api_schemas model."""
    return api_schemas.read(model, api_input.json_object())


def _input_error(exc: api_input.ApiInputError):
    return error(exc.status, exc.code, exc.message, **({"field": exc.field} if exc.field else {}))


@bp.post("/messages")
@api_key_required
def send_messages():
    try:
        body = api_input.json_object()
        wanted = api_schemas.read(api_schemas.SendRequest, body)
    except api_input.ApiInputError as exc:
        return _input_error(exc)
    key = request.headers.get("Idempotency-Key", "").strip()[:120]
    digest = api_requests.request_hash(body)
    row = None
    if key:
        try:
            previous, row = api_requests.previous_or_claim(db.session, g.api_user, key, digest)
        except api_requests.KeyReused:
            return error(422, "idempotency_key_reused", "This Idempotency-Key was used for a different request.")
        if previous is not None:
            return _replayed(previous)
    sender = wanted.sender or current_app.config["SETTINGS"].shared_sender_id
    try:
        callback = _callback_endpoint(wanted.callback_url)
    except ServiceError as exc:
        db.session.rollback()
        return error(422, "callback_url_refused", str(exc), field="callback_url")
    try:
        messages = sending.accept(db.session, g.api_user, _submission(wanted, sender, callback))
    except ServiceError as exc:
        db.session.rollback()
        return _refused(exc, sender)
    payload = _sent(messages)
    if row is not None:
        row.response, row.status_code = payload, 201
    # read before the commit expires them; those waiting for their delivery window go at its start
    queued = [(m.id, m.not_before) for m in messages if m.status == lifecycle.QUEUED]
    db.session.commit()  # before the workers are handed the messages
    # Accepted either way: the sweeper queues what Redis missed.
    dispatch.hand_to_workers_when_due(get_redis(), queued, at=wanted.send_at)
    return jsonify(payload), 201


def _replayed(previous: ApiIdempotency):
    """A retry of a request already answered: the first answer again, marked as replayed."""
    response = jsonify(previous.response)
    response.status_code, response.headers["Idempotent-Replayed"] = previous.status_code or 409, "true"
    return response


def _callback_endpoint(url: str | None) -> int | None:
    """The account's callback endpoint for this callback_url (None: no callback asked for)."""
    if url is None:
        return None
    allow_private = current_app.config["SETTINGS"].webhook_allow_private
    return webhooks.callback_endpoint(db.session, g.api_user, url, allow_private=allow_private).id


def _submission(wanted: api_schemas.SendRequest, sender: str, callback: int | None) -> sending.Submission:
    settings = current_app.config["SETTINGS"]
    return sending.Submission(
        to=wanted.to,
        text=wanted.text,
        sender=sender,
        validity=wanted.validity,
        send_at=wanted.send_at,
        max_parts=settings.max_parts_per_message,
        shared_sender=settings.shared_sender_id,
        callback_endpoint_id=callback,
        link_base=settings.public_url,
        links=True,
        flash=wanted.flash,
        window=wanted.delivery_window,
    )


def _refused(exc: ServiceError, sender: str):
    """The 422 for a submission sending.accept refused (the transaction is rolled back already)."""
    if isinstance(exc, sending.TextTooLong):
        return error(422, "text_too_long", exc.message, field="text", parts=exc.parts, max_parts=exc.max_parts)
    if "sender" in exc.field_errors:
        return error(
            422,
            "sender_not_allowed",
            (
                f"The sender {sender[:20]!r} is not approved for this account: use one "
                "of 'allowed', or ask for it under Account → Sender IDs."
            ),
            field="sender",
            allowed=sender_ids.usable_senders(db.session, g.api_user, current_app.config["SETTINGS"].shared_sender_id),
        )
    return error(422, "invalid_request", exc.message, fields=exc.field_errors)


def _sent(messages: list[Message]) -> dict:
    """The answer to a submission: each message as GET /messages/<id> shows it, and their total cost."""
    return {
        "messages": [message_json(m) for m in messages],
        "total_cost": _amount(sum((message_costs.of(m).total for m in messages), Decimal(0))),
    }


@bp.get("/messages/<int:message_id>")
@api_key_required
def get_message(message_id: int):
    message = reports.get_message(db.session, g.api_user, message_id) if message_id <= api_input.MAX_ID else None
    if message is None:
        return error(404, "not_found", f"No message {message_id} in this account.")
    return jsonify(message_json(message))


@bp.get("/messages")
@api_key_required
def list_messages():
    args = request.args
    status = args.get("status") or None
    if status is not None and reports.api_status(status) is None:
        allowed = list(reports.API_STATUSES)
        return error(
            422,
            "invalid_request",
            f"status must be one of {', '.join(allowed)}.",
            field="status",
            allowed=allowed,
        )
    try:
        wanted = reports.ApiMessageQuery(
            status=status,
            to=args.get("to") or None,
            since=api_input.moment_arg(args.get("since"), "since"),
            until=api_input.moment_arg(args.get("until"), "until"),
            limit=api_input.limit_arg(args.get("limit")),
            before_id=api_input.record_id(args["before_id"], "before_id") if args.get("before_id") else None,
        )
    except api_input.ApiInputError as exc:
        return error(exc.status, exc.code, exc.message, field=exc.field)
    except (ValueError, OverflowError) as exc:
        return error(422, "invalid_request", str(exc))
    rows = reports.api_messages(db.session, g.api_user, wanted)
    return jsonify(
        {
            "messages": [message_json(m) for m in rows],
            "next_before_id": rows[-1].id if len(rows) == wanted.limit else None,
        }
    )


@bp.get("/inbound")
@api_key_required
def list_inbound():
    args = request.args
    try:
        wanted = inbound_api.ApiInboundQuery(
            from_number=args.get("from") or None,
            since=api_input.moment_arg(args.get("since"), "since"),
            until=api_input.moment_arg(args.get("until"), "until"),
            limit=api_input.limit_arg(args.get("limit")),
            before_id=api_input.record_id(args["before_id"], "before_id") if args.get("before_id") else None,
        )
    except api_input.ApiInputError as exc:
        return error(exc.status, exc.code, exc.message, field=exc.field)
    except (ValueError, OverflowError) as exc:
        return error(422, "invalid_request", str(exc))
    rows = inbound_api.api_inbound(db.session, g.api_user, wanted)
    return jsonify(
        {
            "inbound": [_inbound_json(reply, original) for reply, original in rows],
            "next_before_id": rows[-1][0].id if len(rows) == wanted.limit else None,
        }
    )


def _inbound_json(reply, original) -> dict:
    answers = None
    if original is not None:
        answers = {
            "id": original.id,
            "sender": original.sender,
            "text": original.text,
            "created_at": original.created_at.isoformat(),
            "campaign_id": original.campaign_id,
        }
    return {
        "id": reply.id,
        "from": reply.from_number,
        "to": reply.to_address,
        "text": reply.text,
        "received_at": reply.received_at.isoformat(),
        "keyword": reply.keyword_action,
        "answers": answers,
    }


@bp.get("/balance")
@api_key_required
def balance():
    account = g.api_user.account
    return jsonify({"balance": str(account.balance), "currency": account.currency})


@bp.post("/prices/preview")
@api_key_required
def price_preview():
    """What sending would cost, per number, without sending anything."""
    try:
        wanted = _read(api_schemas.PricePreviewRequest)
    except api_input.ApiInputError as exc:
        return _input_error(exc)
    text, results = wanted.text, []
    for number in wanted.to:
        p = composer.preview(db.session, g.api_user, text, number, link_base=current_app.config["SETTINGS"].public_url)
        results.append(
            {
                "to": p.number or number,
                "valid": p.number is not None,
                "error": p.number_error,
                "country": p.number_info.country if p.number_info else None,
                "parts": p.analysis.parts,
                "encoding": p.analysis.encoding,
                "price_per_part": str(p.quote.price_per_part) if p.quote and p.number else None,
                "cost": str(p.quote.cost) if p.quote and p.number else None,
                "unroutable": str(p.unroutable) if p.unroutable and p.number else None,
            }
        )
    return jsonify({"results": results})


@bp.get("/openapi.json")
def openapi():
    from webapp.blueprints.openapi import document

    return jsonify(document())
