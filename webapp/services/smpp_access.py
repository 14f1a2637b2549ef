"""Account → SMPP access (issue 21): an account's SMPP credentials as its pages manage them, and
the check our SMPP server makes when a client binds.

A credential belongs to the actor's account (a subuser is an account of its own) and acts as the
user who made it. Its password is generated, shown once and stored as an argon2id hash. Every
change is in the audit log (never the password). Operations flush, never commit."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.domain import N_
from webapp.domain import smpp_access as rules
from webapp.domain.texts import Text
from webapp.models import Account, User, WebhookDelivery, WebhookEndpoint
from webapp.models.smpp import SmppCredential
from webapp.models.types import utcnow
from webapp.services import audit
from webapp.services.errors import FieldMessage, ServiceError
from webapp.services.passwords import hash_password, needs_rehash, verify_password

SUGGESTION_TRIES = 50


@dataclass(frozen=True)
class NewPassword:
    credential: SmppCredential
    password: str  # shown once; only its hash is stored


def credentials_of(session: Session, actor: User) -> Sequence[SmppCredential]:
    """The actor's account's credentials, oldest first."""
    return session.scalars(
        select(SmppCredential).where(SmppCredential.account_id == actor.account_id).order_by(SmppCredential.id)
    ).all()


def credential_of(session: Session, actor: User, credential_id: int) -> SmppCredential | None:
    """The credential, when it is the actor's account's (another account's is not found)."""
    credential = session.get(SmppCredential, credential_id)
    return credential if credential is not None and credential.account_id == actor.account_id else None


def _taken(session: Session, system_id: str) -> bool:
    """system_ids are unique across the platform, whatever their case (clients type them)."""
    found = session.scalar(
        select(SmppCredential.id).where(func.lower(SmppCredential.system_id) == system_id.lower()).limit(1)
    )
    return found is not None


def suggested_system_id(session: Session, actor: User) -> str:
    """A free system_id made from the account's name (numbered when taken)."""
    base = rules.suggest_system_id(actor.account.name or actor.username)
    if not _taken(session, base):
        return base
    for n in range(2, SUGGESTION_TRIES):
        candidate = rules.numbered(base, n)
        if not _taken(session, candidate):
            return candidate
    return rules.numbered(base, 1000 + secrets.randbelow(90000))


def _checked(networks: str, limits: rules.Limits) -> str:
    """The networks as stored; ServiceError naming the fields when something is wrong."""
    errors: dict[str, list[FieldMessage]] = {}
    stored = ""
    try:
        stored = rules.normalise_networks(networks)
    except rules.NetworksRefused as refused:
        errors["allowed_networks"] = [refused.text]
    for name, problem in rules.limit_problems(limits).items():
        errors[name] = [problem]
    if errors:
        raise ServiceError(N_("Please correct the fields marked below."), errors)
    return stored


def _audit(session: Session, actor: User, credential: SmppCredential, action: str, **detail: Any) -> None:
    audit.record(
        session,
        staff_user=None,
        user=actor,
        account_id=credential.account_id,
        action=f"smpp_credential.{action}",
        target=f"smpp_credential:{credential.id} {credential.system_id}",
        detail={"system_id": credential.system_id, **detail},
    )


def _settings_of(credential: SmppCredential) -> dict[str, Any]:
    return {
        "allowed_networks": credential.allowed_networks,
        "max_binds": credential.max_binds,
        "tps_limit": credential.tps_limit,
        "window": credential.window,
    }


def create(
    session: Session,
    actor: User,
    *,
    system_id: str,
    networks: str = "",
    limits: rules.Limits = rules.DEFAULT_LIMITS,
) -> NewPassword:
    """A new credential of the actor's account, acting as the actor; its password returned once.
    An empty system_id takes the suggested one."""
    system_id = (system_id or "").strip() or suggested_system_id(session, actor)
    problem = rules.system_id_problem(system_id)
    errors: dict[str, list[FieldMessage]] = {}
    if problem is not None:
        errors["system_id"] = [problem]
    elif _taken(session, system_id):
        errors["system_id"] = [Text(N_("The system_id '%(system_id)s' is taken."), {"system_id": system_id})]
    try:
        stored = _checked(networks, limits)
    except ServiceError as refused:
        errors.update({name: list(messages) for name, messages in refused.field_errors.items()})
    if errors:
        raise ServiceError(N_("Please correct the fields marked below."), errors)
    password = rules.new_password()
    credential = SmppCredential(
        account_id=actor.account_id,
        user_id=actor.id,
        system_id=system_id,
        password_hash=hash_password(password),
        allowed_networks=stored,
        max_binds=limits.max_binds,
        tps_limit=limits.tps_limit,
        window=limits.window,
        enabled=True,
        created_at=utcnow(),
    )
    session.add(credential)
    session.flush()
    endpoint_for(session, credential)  # made with it: never raced by two first binds
    _audit(session, actor, credential, "create", **_settings_of(credential))
    return NewPassword(credential, password)


def update(session: Session, actor: User, credential: SmppCredential, *, networks: str, limits: rules.Limits) -> None:
    """New allowed networks and limits (binds already made keep theirs until they bind again)."""
    stored = _checked(networks, limits)
    before = _settings_of(credential)
    credential.allowed_networks = stored
    credential.max_binds, credential.tps_limit, credential.window = limits.max_binds, limits.tps_limit, limits.window
    session.flush()
    after = _settings_of(credential)
    changed = {name: after[name] for name in after if after[name] != before[name]}
    if changed:
        _audit(session, actor, credential, "update", before={n: before[n] for n in changed}, after=changed)


def switch(session: Session, actor: User, credential: SmppCredential, enabled: bool) -> None:
    """On or off; switched off, new binds are refused."""
    if credential.enabled == enabled:
        return
    credential.enabled = enabled
    session.flush()
    _audit(session, actor, credential, "on" if enabled else "off")


def new_password(session: Session, actor: User, credential: SmppCredential) -> str:
    """A new password, returned once; the old one stops working for new binds."""
    password = rules.new_password()
    credential.password_hash = hash_password(password)
    session.flush()
    _audit(session, actor, credential, "new_password")
    return password


def remove(session: Session, actor: User, credential: SmppCredential) -> None:
    """The credential is gone with its receipts and replies still waiting; its audit rows stay."""
    _audit(session, actor, credential, "remove")
    endpoint_id, credential.endpoint_id = credential.endpoint_id, None
    session.flush()
    if endpoint_id is not None:
        session.execute(WebhookDelivery.__table__.delete().where(WebhookDelivery.endpoint_id == endpoint_id))
        session.execute(WebhookEndpoint.__table__.delete().where(WebhookEndpoint.id == endpoint_id))
    session.delete(credential)
    session.flush()


SMPP_EVENTS = ["message.status", "message.reply"]


def endpoint_for(session: Session, credential: SmppCredential) -> int:
    """The endpoint whose deliveries are the credential's receipts and replies, made once (under
    the credential's row lock: two first binds at once make one, not two)."""
    locked = session.scalar(
        select(SmppCredential)
        .where(SmppCredential.id == credential.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    if locked.endpoint_id:
        return locked.endpoint_id
    endpoint = WebhookEndpoint(
        account_id=locked.account_id,
        kind="smpp",
        url=f"smpp://{locked.system_id}",
        secret="whsec_" + secrets.token_urlsafe(24),
        events=SMPP_EVENTS,
        enabled=True,
    )
    session.add(endpoint)
    session.flush()
    locked.endpoint_id = endpoint.id
    session.flush()
    return endpoint.id


def still_usable(session: Session, credential_id: int) -> bool:
    """What a bind needs besides its password and address, checked again while it is bound: the
    credential on, its user active and its account (and parent) active."""
    credential = session.get(SmppCredential, credential_id)
    if credential is None or not credential.enabled:
        return False
    user = session.get(User, credential.user_id)
    return (
        user is not None and user.active and user.account_id == credential.account_id and _account_active(session, user)
    )


def authenticate(session: Session, system_id: str, password: str, address: str) -> SmppCredential | str:
    """For our SMPP server's bind: the credential when the client may bind from ``address``, else
    the reason it may not (one of the refusal codes of webapp.domain.smpp_access; REFUSAL_STATUS
    gives the SMPP command_status to answer). A bind allowed is noted in last_bound_at."""
    credential = session.scalar(
        select(SmppCredential).where(func.lower(SmppCredential.system_id) == (system_id or "").lower())
    )
    # An unknown system_id costs a hash check too, so timing does not tell which ones exist.
    if not verify_password(credential.password_hash if credential else None, password or ""):
        return rules.WRONG_PASSWORD if credential is not None else rules.UNKNOWN_SYSTEM_ID
    assert credential is not None
    if not credential.enabled:
        return rules.SWITCHED_OFF
    user = session.get(User, credential.user_id)
    if user is None or credential.account_id != user.account_id or not _account_active(session, user):
        return rules.ACCOUNT_INACTIVE
    if not user.active:
        return rules.USER_INACTIVE
    if not rules.address_allowed(rules.parse_networks(credential.allowed_networks), address):
        return rules.ADDRESS_NOT_ALLOWED
    if needs_rehash(credential.password_hash):
        credential.password_hash = hash_password(password)
    credential.last_bound_at = utcnow()
    session.flush()
    return credential


def _account_active(session: Session, user: User) -> bool:
    """The user's account is active, and so is its parent's when it is a subuser's."""
    account = user.account
    if account.status != "active":
        return False
    parent = session.get(Account, account.parent_id) if account.parent_id is not None else None
    return parent is None or parent.status == "active"
