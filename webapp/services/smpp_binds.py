"""What the SMPP server (workers/smpp_server.py) asks of the database, each call one short
transaction run in its thread pool: a bind's authentication, and the receipts and replies
waiting for a credential's binds.

Those wait as webhook deliveries of the credential's own endpoint (``kind = "smpp"``, made at
its first bind): written in the transaction that settles the message or stores the reply, so
none is lost while no bind is up; leased to one bind at a time (``FOR UPDATE SKIP LOCKED``:
several server instances share the work), marked delivered when the client's deliver_sm_resp
says so, and sent again after the lease if the bind went away first. Operations flush, never
commit: the server commits each call (its thread pool runs one call per transaction).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.domain import smpp_access as rules
from webapp.models import WebhookDelivery
from webapp.models.types import utcnow
from webapp.services import smpp_access, webhooks

LEASE = timedelta(seconds=60)
RETRY_AFTER = timedelta(seconds=5)  # a deliver_sm the client refused (or never answered)


@dataclass(frozen=True)
class Bound:
    """A credential allowed to bind, as the server keeps it (no ORM object crosses threads)."""

    credential_id: int
    account_id: int
    user_id: int
    system_id: str
    max_binds: int
    tps_limit: int
    window: int
    endpoint_id: int


def authenticate(session: Session, system_id: str, password: str, address: str) -> Bound | int:
    """The credential a bind may use, or the command_status refusing it."""
    got = smpp_access.authenticate(session, system_id, password, address)
    if isinstance(got, str):
        return rules.REFUSAL_STATUS[got]
    endpoint_id = got.endpoint_id or smpp_access.endpoint_for(session, got)
    return Bound(
        got.id, got.account_id, got.user_id, got.system_id, got.max_binds, got.tps_limit, got.window, endpoint_id
    )


def credential_still_usable(session: Session, credential_id: int) -> bool:
    """Its credential on, its user and account active (a bound session ends when one is not)."""
    return smpp_access.still_usable(session, credential_id)


@dataclass(frozen=True)
class Waiting:
    """A receipt or reply leased to a bind: the delivery's id, its event type and its data."""

    delivery_id: int
    event_type: str
    data: dict[str, Any]


def claim(session: Session, endpoint_id: int, limit: int, now: datetime | None = None) -> list[Waiting]:
    """Lease up to ``limit`` of the endpoint's waiting deliveries to this bind, oldest first."""
    now = now or utcnow()
    chosen = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.state == webhooks.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(chosen), WebhookDelivery.state == webhooks.PENDING)
        .values(next_attempt_at=now + LEASE, attempts=WebhookDelivery.attempts + 1)
        .returning(WebhookDelivery.id, WebhookDelivery.event_type, WebhookDelivery.payload)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(
        (Waiting(row.id, row.event_type, json.loads(row.payload)["data"]) for row in rows),
        key=lambda w: w.delivery_id,
    )


def delivered(session: Session, delivery_ids: list[int], answers: dict[int, int], now: datetime | None = None) -> None:
    """Write what the client answered: acknowledged ones delivered, the others due again soon
    (``answers``: delivery id → the deliver_sm_resp's command_status)."""
    now = now or utcnow()
    ok = [i for i in delivery_ids if answers.get(i) == 0]
    again = [i for i in delivery_ids if answers.get(i) != 0]
    if ok:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ok))
            .values(state=webhooks.DELIVERED, delivered_at=now, last_status=0, last_response="deliver_sm_resp OK")
            .execution_options(synchronize_session=False)
        )
    for delivery_id in again:
        status = answers.get(delivery_id)
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state == webhooks.PENDING)
            .values(
                next_attempt_at=now + RETRY_AFTER,
                last_status=status,
                last_response="no deliver_sm_resp" if status is None else f"deliver_sm_resp status 0x{status:08X}",
            )
            .execution_options(synchronize_session=False)
        )
