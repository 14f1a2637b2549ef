"""An account's webhook endpoints as its pages show them: the list, switching one on or off,
removing it, its delivery log, a test event, and sending a logged event again. Each takes the
acting user and finds only its own account's endpoints. Operations flush, never commit."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain import webhook_events
from webapp.models import User, WebhookDelivery, WebhookEndpoint
from webapp.models.types import utcnow
from webapp.services.webhooks import PENDING

TEST_EVENT = "webhook.test"
LOG_SIZE = 50


def endpoints_of(session: Session, actor: User, kind: str = "endpoint") -> Sequence[WebhookEndpoint]:
    """The account's endpoints added on the page ("endpoint"), or the ones its API callback_url's
    made ("callback")."""
    return session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == actor.account_id, WebhookEndpoint.kind == kind)
        .order_by(WebhookEndpoint.id)
    ).all()


def endpoint_of(session: Session, actor: User, endpoint_id: int) -> WebhookEndpoint | None:
    """The endpoint, when it is the actor's account's (None otherwise: another account's is not found)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.account_id != actor.account_id or endpoint.kind == "smpp":
        return None  # an SMPP credential's is managed with the credential, not on this page
    return endpoint


def switch(session: Session, endpoint: WebhookEndpoint, enabled: bool) -> None:
    """On or off; switched on again, it starts afresh (no day of failures behind it)."""
    endpoint.enabled = enabled
    if enabled:
        endpoint.failing_since, endpoint.disabled_reason = None, ""
    session.flush()


def remove(session: Session, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its log (deleted first: SQLite keeps no ON DELETE CASCADE by default)."""
    session.execute(WebhookDelivery.__table__.delete().where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
    session.flush()


def log_of(session: Session, endpoint: WebhookEndpoint, limit: int = LOG_SIZE) -> Sequence[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first: time, state, status code, latency, answer."""
    return session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    ).all()


def send_test(session: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event for this endpoint alone, sent by the next pass of the delivery job."""
    now = utcnow()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_id=f"test_{secrets.token_hex(8)}",
        event_type=TEST_EVENT,
        payload=webhook_events.body(TEST_EVENT, now, {"endpoint_id": endpoint.id, "hello": "Salut! 🙂"}),
        state=PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        last_response="",
    )
    session.add(delivery)
    session.flush()
    return delivery


def send_again(session: Session, endpoint: WebhookEndpoint, delivery_id: int) -> bool:
    """A logged event sent again (same id and body), by the next pass; False if it is not this
    endpoint's or still waiting. A delivered one is sent once more: the receiver de-duplicates by its id."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id or delivery.state == PENDING:
        return False  # a waiting one goes anyway (and may be being posted right now)
    delivery.state, delivery.next_attempt_at, delivery.created_at = PENDING, utcnow(), utcnow()
    session.flush()
    return True
