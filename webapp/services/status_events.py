"""The ``message.status`` webhook event: written, in the transaction that changes a message's
status, for each switched-on endpoint of its account that wants it and for the message's own
callback endpoint (the API's ``callback_url``). Whoever changes statuses in bulk (settlement,
expiry, a campaign's cancel) names the changed messages; this costs one query for the endpoints
when nobody listens, and one more read of the messages and one INSERT when somebody does.

Each message reaches each status once, so the event id names the message and the status
(webhook_events.status_event_id): the same change emitted twice is written once. Flushes,
never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from webapp.domain import lifecycle, webhook_events
from webapp.domain.message_cost import message_cost
from webapp.models import Message, WebhookEndpoint
from webapp.models.types import utcnow
from webapp.services import webhooks
from webapp.services.reports import api_status_name

CHUNK = 1000
ENDPOINT, CALLBACK, SMPP = "endpoint", "callback", "smpp"
_TEN_THOUSANDTH = Decimal("0.0001")


@dataclass(frozen=True)
class Changed:
    """A message whose status just changed: whose it is and its callback endpoint, if any."""

    message_id: int
    account_id: int
    callback_endpoint_id: int | None = None


def emit_changes(session: Session, changed: Iterable[Changed]) -> int:
    """Write the status event of each changed message (its status as stored now) for whoever
    listens. Returns how many deliveries were written."""
    changed = list(changed)
    if not changed:
        return 0
    targets = _listeners(session, changed)
    if not targets:
        return 0
    session.flush()
    now, ids, made = utcnow(), sorted(targets), 0
    for start in range(0, len(ids), CHUNK):
        rows: list[dict[str, Any]] = []
        for message in session.execute(_message_columns().where(Message.id.in_(ids[start : start + CHUNK]))):
            body = webhook_events.body(webhook_events.MESSAGE_STATUS, now, status_data(message))
            event_id = webhook_events.status_event_id(message.id, message.status)
            final = message.status in lifecycle.FINAL
            rows += [
                webhooks.delivery_row(endpoint_id, event_id, webhook_events.MESSAGE_STATUS, body, now)
                for endpoint_id, kind in targets[message.id]
                if final or kind != SMPP  # an SMPP bind gets the final receipt only
            ]
        made += webhooks.insert_deliveries(session, rows)
    return made


def _listeners(session: Session, changed: list[Changed]) -> dict[int, list[tuple[int, str]]]:
    """The endpoints (id, kind) told of each message (messages nobody listens to left out):
    the account's own, and the message's callback endpoint (the API's callback_url, or the
    SMPP credential whose bind asked for a receipt)."""
    accounts = {c.account_id for c in changed}
    callbacks = {c.callback_endpoint_id for c in changed if c.callback_endpoint_id}
    whose = and_(WebhookEndpoint.kind == ENDPOINT, WebhookEndpoint.account_id.in_(accounts))
    if callbacks:
        whose = or_(whose, and_(WebhookEndpoint.kind.in_((CALLBACK, SMPP)), WebhookEndpoint.id.in_(callbacks)))
    by_account: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
    callback_on: dict[int, str] = {}
    for endpoint_id, account_id, kind, events in session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.account_id, WebhookEndpoint.kind, WebhookEndpoint.events).where(
            WebhookEndpoint.enabled.is_(True), whose
        )
    ):
        if webhook_events.MESSAGE_STATUS in (events or []):
            if kind == ENDPOINT:
                by_account[account_id].append((endpoint_id, kind))
            else:
                callback_on[endpoint_id] = kind
    targets = {}
    for c in changed:
        told = by_account.get(c.account_id, []) + (
            [(c.callback_endpoint_id, callback_on[c.callback_endpoint_id])]
            if c.callback_endpoint_id in callback_on
            else []
        )
        if told:
            targets[c.message_id] = told
    return targets


def _message_columns() -> Select[Any]:
    return select(
        Message.id,
        Message.to,
        Message.sender,
        Message.status,
        Message.reason_code,
        Message.error_code,
        Message.parts,
        Message.cost,
        Message.refunded,
        Message.submitted_at,
        Message.final_at,
        Message.campaign_id,
    )


def status_data(message: Any) -> dict[str, Any]:
    """What a status event says of a message: as GET /api/v1/messages/<id> names its fields."""
    cost = message_cost(message.status, message.cost, message.refunded)
    return {
        "message_id": message.id,
        "to": message.to,
        "sender": message.sender,
        "status": api_status_name(message.status),
        "reason": message.reason_code,
        "error_code": message.error_code,
        "parts": message.parts,
        "cost": str(cost.total.quantize(_TEN_THOUSANDTH)),
        "currency": "EUR",
        "campaign_id": message.campaign_id,
        "submitted_at": message.submitted_at.isoformat() if message.submitted_at else None,
        "final_at": message.final_at.isoformat() if message.final_at else None,
    }
