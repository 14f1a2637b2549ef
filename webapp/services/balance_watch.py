"""Watching balances: the low-balance notification (Account → Notifications) and the automatic
top-up (Account → Automatic top-up), each fired once per crossing of its threshold.

A crossing is *taken* by one conditional UPDATE … WHERE armed (joined with the accounts) over all
enabled rows at once, so two watchers (cron runs, workers, machines) never take the same one; it is
*given back* (re-armed) by another conditional UPDATE once the balance is at or above the threshold
again. What a crossing does is written in the same transaction as the take, so a rollback undoes
both and nothing fires twice or is lost:

- the automatic top-up's Payment (charged afterwards by a job that claims it first:
  :mod:`webapp.services.balance_watch_charge`);
- the alert's ``balance.low`` webhook event, for the endpoints that want it;
- the alert's SMS: a real message of the platform's own notifications account (sent, priced and
  reported like any other), so the customer's balance and ledger are untouched. The e-mails go
  out from jobs after the commit.

Operations flush, never commit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from webapp.domain import N_, billing, lifecycle, phone, webhook_events
from webapp.domain.roles import PLATFORM_USERNAME, Role
from webapp.domain.texts import Text
from webapp.models import Account, AutoTopUp, LowBalanceAlert, Payment, SavedCard, User
from webapp.models.types import utcnow
from webapp.services import payments, saved_cards, sending, webhooks
from webapp.services.balance_watch_notify import alert_text, language_of
from webapp.services.dml import rowcount
from webapp.services.errors import FieldMessage, ServiceError

if TYPE_CHECKING:
    from webapp.settings import Settings

PLATFORM_ACCOUNT_NAME = "Platform notifications"
# What the platform's own account may owe for its notifications (its balance goes negative:
# the messages are the platform's cost, never the customer's).
PLATFORM_CREDIT_LIMIT = Decimal("1000000")
CENT = Decimal("0.01")
_AMOUNT = re.compile(r"\d{1,7}(\.\d{1,2})?")
ACTIVE = "active"
NO_SAVED_CARD = N_("No saved card to charge.")


# -- settings (the two pages) ---------------------------------------------------------------------


def alert_of(session: Session, account_id: int) -> LowBalanceAlert | None:
    return session.get(LowBalanceAlert, account_id)


def auto_top_up_of(session: Session, account_id: int) -> AutoTopUp | None:
    return session.get(AutoTopUp, account_id)


def _amount(text: str | None, name: str, errors: dict[str, list[FieldMessage]], *, positive: bool) -> Decimal | None:
    """An amount in euro to the cent, or None when empty; problems go to errors[name]."""
    cleaned = (text or "").strip().replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    if cleaned.startswith("-"):
        errors[name] = [N_("The amount cannot be below zero.")]
        return None
    if not _AMOUNT.fullmatch(cleaned):
        errors[name] = [N_("Give the amount in euro, e.g. 5 or 4.50.")]
        return None
    value = Decimal(cleaned)
    if positive and value <= 0:
        errors[name] = [N_("Give an amount above zero.")]
        return None
    return value


def save_alert(session: Session, actor: User, *, enabled: bool, threshold: str, phone_number: str) -> LowBalanceAlert:
    """Account → Notifications. The number is checked and kept in E.164 (read with the account's
    default country); switching the notification on arms it, so a balance already below the
    amount is told at once."""
    errors: dict[str, list[FieldMessage]] = {}
    amount = _amount(threshold, "threshold", errors, positive=True)
    number = None
    if (phone_number or "").strip():
        try:
            number = phone.normalize(phone_number, actor.account.default_region)
        except phone.InvalidNumber as exc:
            errors["phone"] = [Text(N_("We cannot send an SMS to this number: %(problem)s."), {"problem": exc.text})]
    if enabled and amount is None and "threshold" not in errors:
        errors["threshold"] = [N_("Give the balance below which we tell you.")]
    if enabled and number is None and "phone" not in errors:
        errors["phone"] = [N_("Give the phone number to send the notification to.")]
    if errors:
        raise ServiceError(N_("Please correct the marked fields."), errors)
    alert = _switched(
        session,
        session.get(LowBalanceAlert, actor.account_id)
        or LowBalanceAlert(account_id=actor.account_id, threshold=Decimal(0), phone=""),
        enabled,
    )
    if amount is not None:
        alert.threshold = amount
    if number is not None:
        alert.phone = number
    session.flush()
    return alert


_Watch = TypeVar("_Watch", AutoTopUp, LowBalanceAlert)


def _switched(session: Session, row: _Watch, enabled: bool) -> _Watch:
    """Keep the watch row switched on or off; switching it on arms it (a balance already below
    fires at once), saving again while on does not."""
    if row not in session:  # new: off and armed until switched on
        row.enabled, row.armed = False, True
        session.add(row)
    if enabled and not row.enabled:
        row.armed = True
    row.enabled = enabled
    return row


NEEDS_CARD = N_(
    "Automatic top-ups charge a saved card. Pay once by card on Buy credit and tick "
    "“Keep this card for automatic top-ups” first."
)


def save_auto_top_up(session: Session, actor: User, *, enabled: bool, amount: str, threshold: str) -> AutoTopUp:
    """Account → Automatic top-up: the amount (the card minimum applies) and the threshold (>= 0).
    Switching it on needs a saved card, and arms it."""
    errors: dict[str, list[FieldMessage]] = {}
    value = None
    if (amount or "").strip():
        try:
            value = billing.top_up_amount(amount, billing.CARD)
        except billing.BillingError as exc:
            errors["amount"] = [(exc.message, exc.params)]
    limit = _amount(threshold, "threshold", errors, positive=False)
    if enabled:
        if saved_cards.saved_card_of(session, actor.account_id) is None:
            errors["enabled"] = [NEEDS_CARD]
        if value is None and "amount" not in errors:
            errors["amount"] = [N_("Give the amount to buy each time.")]
        if limit is None and "threshold" not in errors:
            errors["threshold"] = [N_("Give the balance below which we top up.")]
    if errors:
        raise ServiceError(N_("Please correct the marked fields."), errors)
    row = _switched(
        session,
        session.get(AutoTopUp, actor.account_id)
        or AutoTopUp(account_id=actor.account_id, amount=Decimal(0), threshold=Decimal(0), last_error=""),
        enabled,
    )
    if value is not None:
        row.amount = value
    if limit is not None:
        row.threshold = limit
    session.flush()
    return row


# -- crossings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    account_id: int
    message_id: int
    queued: bool  # False: refused (e.g. the number became unroutable); still a visible message
    balance: Decimal
    threshold: Decimal


@dataclass
class Crossings:
    top_ups: list[int] = field(default_factory=list)  # automatic payments to charge
    alerts: list[Alert] = field(default_factory=list)
    no_card: list[int] = field(default_factory=list)  # accounts whose top-up had no card to charge
    rearmed: int = 0


def watch(session: Session, settings: Settings) -> Crossings:
    """One pass over every enabled row: re-arm where the balance is back, then take the crossings."""
    crossings = Crossings(rearmed=rearm(session))
    take_top_ups(session, settings, crossings)
    take_alerts(session, settings, crossings)
    return crossings


def rearm(session: Session) -> int:
    """Give the flag back where the balance is at or above the threshold again (one UPDATE each)."""
    count = 0
    for model in (AutoTopUp, LowBalanceAlert):
        count += rowcount(
            session.execute(
                update(model)
                .where(
                    model.enabled.is_(True),
                    model.armed.is_(False),
                    model.account_id == Account.id,
                    Account.balance >= model.threshold,
                )
                .values(armed=True)
                .execution_options(synchronize_session=False)
            )
        )
    return count


def take_top_ups(session: Session, settings: Settings, crossings: Crossings) -> None:
    """Take every armed automatic top-up whose balance is below its threshold, in one UPDATE;
    none for an account that has an automatic payment still in flight. Each taken one gets its
    pending Payment (charged by a job) in this same transaction."""
    in_flight = exists().where(
        Payment.account_id == AutoTopUp.account_id, Payment.automatic.is_(True), Payment.status == payments.PENDING
    )
    taken = session.execute(
        update(AutoTopUp)
        .where(
            AutoTopUp.enabled.is_(True),
            AutoTopUp.armed.is_(True),
            AutoTopUp.account_id == Account.id,
            Account.status == ACTIVE,
            Account.balance < AutoTopUp.threshold,
            ~in_flight,
        )
        .values(armed=False)
        .returning(AutoTopUp.account_id, AutoTopUp.amount, AutoTopUp.threshold)
        .execution_options(synchronize_session=False)
    ).all()
    rate = Decimal(settings.vat_rate)
    # SQLite's RETURNING cannot name the accounts table of the UPDATE … FROM: read balances after.
    ids = [account_id for account_id, _, _ in taken]
    balances = dict(session.execute(select(Account.id, Account.balance).where(Account.id.in_(ids))).tuples().all())
    for account_id, step, threshold in taken:
        amount = billing.automatic_top_up(balances[account_id], threshold, step)
        card = saved_cards.saved_card_of(session, account_id)
        if card is None:  # removed since it was switched on
            record_failure(session, account_id, NO_SAVED_CARD)
            crossings.no_card.append(account_id)
            continue
        payment = payments.new_payment(
            session, account_id, None, billing.CARD, amount, rate, card.processor, automatic=True
        )
        crossings.top_ups.append(payment.id)


def take_alerts(session: Session, settings: Settings, crossings: Crossings) -> None:
    """Take every armed low-balance alert whose balance is below its amount, in one UPDATE; each
    taken one becomes one SMS of the platform's notifications account in this same transaction."""
    now = utcnow()
    taken = session.execute(
        update(LowBalanceAlert)
        .where(
            LowBalanceAlert.enabled.is_(True),
            LowBalanceAlert.armed.is_(True),
            LowBalanceAlert.account_id == Account.id,
            Account.status == ACTIVE,
            Account.balance < LowBalanceAlert.threshold,
        )
        .values(armed=False, last_sent_at=now)
        .returning(LowBalanceAlert.account_id, LowBalanceAlert.threshold, LowBalanceAlert.phone)
        .execution_options(synchronize_session=False)
    ).all()
    if not taken:
        return
    sender = platform_sender(session)
    ids = [account_id for account_id, _, _ in taken]
    balances = dict(session.execute(select(Account.id, Account.balance).where(Account.id.in_(ids))).tuples().all())
    for account_id, threshold, number in taken:
        text = alert_text(settings, balances[account_id], threshold, language_of(session, account_id))
        [message] = sending.accept(
            session,
            sender,
            sending.Submission(
                to=[number],
                text=text,
                sender=settings.shared_sender_id,
                shared_sender=settings.shared_sender_id,
                max_parts=settings.max_parts_per_message,
                idempotency_key=f"low-balance:{account_id}:{now.isoformat()}",
            ),
        )
        crossings.alerts.append(
            Alert(account_id, message.id, message.status == lifecycle.QUEUED, balances[account_id], threshold)
        )
        webhooks.emit(
            session,
            account_id,
            webhook_events.BALANCE_LOW,
            {"balance": str(balances[account_id]), "threshold": str(threshold), "currency": "EUR"},
            f"balance_low_{account_id}_{int(now.timestamp())}",
            now,
        )


def platform_sender(session: Session) -> User:
    """The platform's notifications account and its system user (get or create): a staff account
    with a large credit limit whose messages are the platform's cost. The user cannot sign in (no
    password hash, not active). Two first-ever creators race on the unique username: one fails and
    its transaction (with the crossings it took) rolls back, to be taken again on the next pass."""
    user = session.scalar(select(User).where(User.username == PLATFORM_USERNAME))
    if user is not None:
        return user
    account = Account(name=PLATFORM_ACCOUNT_NAME, kind="staff", balance=Decimal(0), credit_limit=PLATFORM_CREDIT_LIMIT)
    session.add(account)
    session.flush()
    user = User(
        account_id=account.id,
        username=PLATFORM_USERNAME,
        email=None,
        full_name=PLATFORM_ACCOUNT_NAME,
        password_hash="!",
        role=Role.SUPPORT.value,
        active=False,
    )
    session.add(user)
    session.flush()
    return user


# -- the automatic top-up's state, as the pages show it ----------------------------------------------


def record_failure(session: Session, account_id: int, failure: str) -> None:
    session.execute(
        update(AutoTopUp)
        .where(AutoTopUp.account_id == account_id)
        .values(last_error=failure[:500], last_error_at=utcnow())
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class FailureNotice:
    reason: str
    at: datetime


def failure_notice(session: Session, account_id: int) -> FailureNotice | None:
    """The last failure of a switched-on automatic top-up, unless a later one went through."""
    row = auto_top_up_of(session, account_id)
    if row is None or not row.enabled or not row.last_error or row.last_error_at is None:
        return None
    later = session.scalar(
        select(Payment.id)
        .where(
            Payment.account_id == account_id,
            Payment.automatic.is_(True),
            Payment.status.in_([payments.CREDITED, payments.REVIEW]),
            Payment.created_at > row.last_error_at,
        )
        .limit(1)
    )
    return None if later is not None else FailureNotice(row.last_error, row.last_error_at)


def automatic_payments(session: Session, account_id: int, limit: int = 10) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.account_id == account_id, Payment.automatic.is_(True))
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(limit)
        )
    )


def saved_card(session: Session, account_id: int) -> SavedCard | None:
    return saved_cards.saved_card_of(session, account_id)
