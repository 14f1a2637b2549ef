"""Webhooks: an account's endpoints, the events written for them in the transaction of what
happened (an outbox: nothing happens without its event, nor an event without it), and their
delivery, signed as the Standard Webhooks spec says (webhook-id, webhook-timestamp,
webhook-signature: HMAC-SHA256 of "id.timestamp.body" with the endpoint's secret).

Delivered at least once: a delivery is claimed (a conditional UPDATE that leases it for a
minute), committed, posted, and its outcome written; a worker that dies in between leaves the
lease to run out and the event is sent again with the same id, which receivers de-duplicate by.
Targets are checked on every attempt (public addresses only unless allowed) and redirects are
never followed. Operations flush, never commit (the jobs commit).
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from webapp.domain import N_, webhook_events
from webapp.domain.texts import Text
from webapp.domain.webhook_targets import TargetRefused, check_addresses, target_host
from webapp.models import Account, User, WebhookDelivery, WebhookEndpoint
from webapp.models.types import utcnow
from webapp.services import webhook_transport
from webapp.services.errors import ServiceError
from webapp.services.webhook_transport import resolve

LEASE = timedelta(seconds=60)
TIMEOUT_SECONDS = 5.0
# Claimed per round: posted PARALLEL (workers/webhooks.py) at a time, even all timing out they
# are done well within the lease (100 / 16 × 5 s ≈ 35 s < 60 s): no lease runs out, no event goes twice.
PER_PASS = 100
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
FAILING_FOR_A_DAY = "failing for a day"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def add_endpoint(
    session: Session, actor: User, url: str, events: Iterable[str], *, allow_private: bool
) -> WebhookEndpoint:
    """A new endpoint of the actor's account, for the events named; the URL must be http(s) and
    (unless allowed) resolve to public addresses only."""
    chosen = [e for e in webhook_events.EVENTS if e in set(events)]
    errors: dict[str, list[Any]] = {}
    refused = refusal(url, allow_private=allow_private)
    if refused is not None:
        errors["url"] = [(refused.message, refused.params)]
    if not chosen:
        errors["events"] = [N_("Choose at least one event.")]
    if errors:
        raise ServiceError(N_("The webhook was not added."), errors)
    endpoint = WebhookEndpoint(
        account_id=actor.account_id, url=url.strip(), secret=new_secret(), events=chosen, enabled=True
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def refusal(url: str, *, allow_private: bool) -> TargetRefused | None:
    """Why a webhook may not call this URL (not http(s), no such host, a private address when
    not allowed), or None when it may."""
    try:
        host, port = target_host(url)
        check_addresses(host, resolve(host, port), allow_private=allow_private)
    except TargetRefused as exc:
        return exc
    return None


def callback_endpoint(session: Session, actor: User, url: str, *, allow_private: bool) -> WebhookEndpoint:
    """The account's callback endpoint for a callback_url given in the API (made on first use,
    signed with the account's callback secret); one switched off after a day of failures is
    switched on again by being asked for, one switched off by hand stays off. A URL a webhook
    may not call raises ServiceError on the field callback_url."""
    url = url.strip()
    refused = refusal(url, allow_private=allow_private)
    if refused is not None:
        raise ServiceError(Text(refused.message, refused.params), {"callback_url": [(refused.message, refused.params)]})
    endpoint = session.scalar(
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.account_id == actor.account_id,
            WebhookEndpoint.kind == "callback",
            WebhookEndpoint.url == url,
        )
        .order_by(WebhookEndpoint.id)
        .limit(1)
    )
    if endpoint is None:
        endpoint = WebhookEndpoint(
            account_id=actor.account_id,
            kind="callback",
            url=url,
            secret=callback_secret(session, actor.account),
            events=[webhook_events.MESSAGE_STATUS],
            enabled=True,
        )
        session.add(endpoint)
    elif not endpoint.enabled and endpoint.disabled_reason == FAILING_FOR_A_DAY:
        endpoint.enabled, endpoint.failing_since, endpoint.disabled_reason = True, None, ""
    session.flush()
    return endpoint


def callback_secret(session: Session, account: Account) -> str:
    """The secret that signs the account's callback_url calls (made when first needed)."""
    if not account.webhook_callback_secret:
        account.webhook_callback_secret = new_secret()
        session.flush()
    return account.webhook_callback_secret


def roll_callback_secret(session: Session, account: Account) -> str:
    """A new callback secret, for every callback endpoint of the account from now on."""
    account.webhook_callback_secret = new_secret()
    session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == account.id, WebhookEndpoint.kind == "callback")
        .values(secret=account.webhook_callback_secret)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return account.webhook_callback_secret


def emit(
    session: Session,
    account_id: int,
    event_type: str,
    data: Mapping[str, Any],
    event_id: str,
    at: datetime | None = None,
) -> int:
    """Write the event for each enabled endpoint of the account that wants it (once per event id:
    emitting it again adds nothing). Returns how many deliveries it made."""
    at = at or utcnow()
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.account_id == account_id,
            WebhookEndpoint.kind.in_(("endpoint", "smpp")),  # an SMPP bind's: what it asked for
            WebhookEndpoint.enabled.is_(True),
        )
    ).all()
    body = webhook_events.body(event_type, at, data)
    rows = [delivery_row(e.id, event_id, event_type, body, at) for e in endpoints if event_type in (e.events or [])]
    return insert_deliveries(session, rows)


def delivery_row(endpoint_id: int, event_id: str, event_type: str, body: str, at: datetime) -> dict[str, Any]:
    """A pending delivery of an event to an endpoint, due at once."""
    return {
        "endpoint_id": endpoint_id,
        "event_id": event_id,
        "event_type": event_type,
        "payload": body,
        "state": PENDING,
        "attempts": 0,
        "created_at": at,
        "next_attempt_at": at,
        "last_response": "",
    }


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert these deliveries, leaving out any an endpoint has already (same event id): one
    statement whatever their number. Returns how many went in."""
    if not rows:
        return 0
    session.flush()
    table = WebhookDelivery.__table__
    make = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = make(table).on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"]).returning(table.c.id)
    return len(session.execute(statement, rows).all())  # batched by SQLAlchemy's insertmanyvalues


def _due(now: datetime, limit: int) -> Select[tuple[int]]:
    """Pending deliveries of switched-on endpoints whose time has come, oldest first."""
    return (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.state == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.kind != "smpp",  # sent over the customer's SMPP binds, not posted
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )


def claim_due(session: Session, limit: int = PER_PASS, now: datetime | None = None) -> list[int]:
    """Lease up to ``limit`` due deliveries to this worker in one statement (commit before
    posting): rows another worker is leasing right now are skipped, not waited for."""
    now = now or utcnow()
    chosen = _due(now, limit).with_for_update(of=WebhookDelivery, skip_locked=True).scalar_subquery()
    return sorted(
        session.scalars(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_(chosen),
                WebhookDelivery.state == PENDING,
                WebhookDelivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + LEASE)
            .returning(WebhookDelivery.id)
            .execution_options(synchronize_session=False)
        )
    )


@dataclass(frozen=True)
class Request:
    """What a claimed delivery posts: to ``url``, the body with its signed headers."""

    delivery_id: int
    url: str
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused target, timeout, connection error)
    text: str
    latency_ms: int


def _loaded(session: Session, delivery_ids: list[int]) -> list[WebhookDelivery | WebhookEndpoint]:
    """These deliveries and their endpoints, in two queries; the caller holds the list while it
    works on them (the session's identity map keeps only what is referenced)."""
    deliveries = session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(delivery_ids))).all()
    endpoint_ids = {d.endpoint_id for d in deliveries}
    endpoints = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids))).all()
    return [*deliveries, *endpoints]


def requests_for(session: Session, delivery_ids: list[int], now: datetime | None = None) -> list[Request]:
    """The requests of these claimed deliveries."""
    held = _loaded(session, delivery_ids)
    requests = [request_for(session, i, now) for i in delivery_ids]
    del held
    return requests


def request_for(session: Session, delivery_id: int, now: datetime | None = None) -> Request:
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    assert endpoint is not None
    at = now or utcnow()
    signature = Webhook(endpoint.secret).sign(delivery.event_id, at, delivery.payload)
    headers = {
        "content-type": "application/json; charset=utf-8",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "user-agent": "SMS-Portal-Webhooks/1",
    }
    return Request(delivery.id, endpoint.url, delivery.payload, headers)


def post(request: Request, *, allow_private: bool) -> Answer:
    """One attempt: the target checked, the body posted, redirects not followed."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target_host(request.url)  # an http(s) URL naming a host; its addresses are checked as it connects
        with webhook_transport.session_for(allow_private).post(
            request.url,
            data=request.body.encode(),
            headers=request.headers,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,  # only the start of the answer is read: a slow, endless body holds nothing
        ) as answer:
            start = answer.raw.read(1000, decode_content=True) or b""
    except TargetRefused as exc:
        return Answer(None, str(exc), took())
    except requests.RequestException as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}", took())
    return Answer(answer.status_code, start.decode("utf-8", errors="replace"), took())


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    endpoint_switched_off: bool = False


def record_all(session: Session, answered: list[tuple[Request, Answer]], *, pause_percent: int = 100) -> list[Outcome]:
    """:func:`record` for a round's answers, with one load and one flush for them all."""
    held = _loaded(session, [request.delivery_id for request, _ in answered])
    outcomes = [
        record(session, request.delivery_id, answer, pause_percent=pause_percent, flush=False)
        for request, answer in answered
    ]
    session.flush()
    del held
    return outcomes


def record(
    session: Session,
    delivery_id: int,
    answer: Answer,
    *,
    pause_percent: int = 100,
    now: datetime | None = None,
    flush: bool = True,
) -> Outcome:
    """Write an attempt's outcome: delivered on 2xx; else the next try (or failed after a day),
    and the endpoint switched off after a day of failures without a success."""
    now = now or utcnow()
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    assert endpoint is not None
    delivery.attempts += 1
    delivery.last_status, delivery.last_latency_ms = answer.status, answer.latency_ms
    delivery.last_response = webhook_events.answer_excerpt(answer.status, answer.text)[:500]
    if answer.status is not None and 200 <= answer.status < 300:
        delivery.state, delivery.delivered_at = DELIVERED, now
        endpoint.failing_since = None
        if flush:
            session.flush()
        return Outcome(True)
    scale = max(pause_percent, 1) / 100
    retry = webhook_events.next_attempt(delivery.attempts, delivery.created_at, now, scale)
    if retry is None:
        delivery.state = FAILED
    else:
        delivery.next_attempt_at = retry
    switched_off = False
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    elif endpoint.enabled and now - endpoint.failing_since >= webhook_events.DISABLE_AFTER * scale:
        endpoint.enabled, switched_off = False, True
        endpoint.disabled_reason = FAILING_FOR_A_DAY
    if flush:
        session.flush()
    return Outcome(False, switched_off)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def switched_off_mails(session: Session, endpoint_id: int) -> list[Mail]:
    """The e-mails telling the account's owners that an endpoint was switched off, each in the
    owner's language."""
    from flask_babel import force_locale, gettext

    from webapp.services.balance_watch_notify import owners

    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        return []
    mails = []
    for owner in owners(session, endpoint.account_id):
        with force_locale(owner.language or "en"):
            subject = gettext("Your webhook was switched off")
            body = gettext(
                "Calls to %(url)s have failed for a day without one success, so we switched the webhook "
                "off. Events from now on are not sent to it. Its delivery log shows each answer; switch it on "
                "again under Account → Webhooks once it answers.",
                url=endpoint.url,
            )
        mails.append(Mail(str(owner.email), subject, body))
    return mails
